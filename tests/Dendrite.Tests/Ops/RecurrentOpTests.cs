namespace Dendrite.Tests.Ops;

/// <summary>
/// The fused sequence ops against finite differences through several time steps, in both directions,
/// with and without peepholes and zoneout; every output element carries a random upstream gradient
/// (the hidden and cell states of every step, not just the last).
/// </summary>
public class RecurrentOpTests
{
    private const int Batch = 2, Steps = 4, Hidden = 3;

    private static Tensor Leaf(Shape shape, RandomGenerator generator, float scale = 1f) => Tensor.Uniform(shape, -scale, scale, generator);

    private static void AssertGradients(Func<Tensor> function, params Tensor[] inputs)
    {
        GradCheckResult result = GradCheck.Run(function, inputs, relativeTolerance: 1e-2, absoluteTolerance: 1e-3);
        Assert.True(result.Passed, result.ToString());
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(true, true, true)]
    [InlineData(false, false, true)]
    public void LstmSequenceGradients(bool peepholes, bool zoneout, bool reverse)
    {
        var generator = new RandomGenerator(11);
        Tensor x = Leaf([Batch, Steps, 2], generator, 1.5f), wi = Leaf([4 * Hidden, 2], generator), w = Leaf([4 * Hidden, Hidden], generator);
        Tensor bi = Leaf([4 * Hidden], generator), bh = Leaf([4 * Hidden], generator);
        Tensor h0 = Leaf([Batch, Hidden], generator), c0 = Leaf([Batch, Hidden], generator), p = Leaf([3, Hidden], generator);
        Tensor? keep = zoneout ? Tensor.Uniform([2, Batch, Steps, Hidden], 0f, 1f, generator) : null;
        if (peepholes) AssertGradients(() => x.LstmSequence(wi, bi, bh, w, h0, c0, p, keep, reverse), x, wi, bi, bh, w, h0, c0, p);
        else AssertGradients(() => x.LstmSequence(wi, null, bh, w, h0, c0, null, keep, reverse), x, wi, bh, w, h0, c0);
    }

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, false, false)]
    [InlineData(true, true, false)]
    [InlineData(true, false, true)]
    public void GruSequenceGradients(bool bias, bool zoneout, bool reverse)
    {
        var generator = new RandomGenerator(12);
        Tensor x = Leaf([Batch, Steps, 3 * Hidden], generator, 1.5f), w = Leaf([3 * Hidden, Hidden], generator);
        Tensor b = Leaf([3 * Hidden], generator), h0 = Leaf([Batch, Hidden], generator);
        Tensor? keep = zoneout ? Tensor.Uniform([Batch, Steps, Hidden], 0f, 1f, generator) : null;
        if (bias) AssertGradients(() => x.GruSequence(w, b, h0, keep, reverse), x, w, b, h0);
        else AssertGradients(() => x.GruSequence(w, null, h0, keep, reverse), x, w, h0);
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(false, true, false)]
    [InlineData(false, false, true)]
    [InlineData(true, false, false)]
    public void RnnSequenceGradients(bool relu, bool zoneout, bool reverse)
    {
        var generator = new RandomGenerator(13);
        // ReLU: keep the pre-activations away from the kink at 0 for the finite differences.
        Tensor x = relu ? Tensor.Uniform([Batch, Steps, Hidden], 0.5f, 1.5f, generator) : Leaf([Batch, Steps, Hidden], generator, 1.5f);
        Tensor w = relu ? Tensor.Uniform([Hidden, Hidden], 0.05f, 0.3f, generator) : Leaf([Hidden, Hidden], generator);
        Tensor h0 = relu ? Tensor.Uniform([Batch, Hidden], 0.1f, 1f, generator) : Leaf([Batch, Hidden], generator);
        Tensor? keep = zoneout ? Tensor.Uniform([Batch, Steps, Hidden], 0f, 1f, generator) : null;
        AssertGradients(() => x.RnnSequence(w, h0, keep, reverse, relu), x, w, h0);
    }

    [Fact]
    public void SequenceOpsMatchOneStepAtATime()
    {
        // The fused LSTM over 4 steps equals 4 one-step calls chained by hand.
        var generator = new RandomGenerator(14);
        Tensor x = Leaf([Batch, Steps, 2], generator, 1.5f), wi = Leaf([4 * Hidden, 2], generator), w = Leaf([4 * Hidden, Hidden], generator);
        Tensor b = Leaf([4 * Hidden], generator);
        Tensor h = Leaf([Batch, Hidden], generator), c = Leaf([Batch, Hidden], generator), p = Leaf([3, Hidden], generator);
        Tensor all = x.LstmSequence(wi, b, null, w, h, c, p);
        for (int t = 0; t < Steps; t++)
        {
            Tensor step = x.Narrow(1, t, 1).Contiguous().LstmSequence(wi, b, null, w, h, c, p);
            h = step.Select(0, 0).Select(1, 0).Contiguous();
            c = step.Select(0, 1).Select(1, 0).Contiguous();
            Support.Assertions.AllClose(all.Select(0, 0).Select(1, t).Contiguous(), h, 1e-6, 1e-6, $"h at step {t}");
            Support.Assertions.AllClose(all.Select(0, 1).Select(1, t).Contiguous(), c, 1e-6, 1e-6, $"c at step {t}");
        }
    }

    [Fact]
    public void ShapeErrorsNameTheOpAndShapes()
    {
        var error = Assert.Throws<ShapeMismatchException>(() =>
            Tensor.Zeros([2, 5, 15]).LstmSequence(Tensor.Zeros([16, 14]), null, null, Tensor.Zeros([16, 4]), Tensor.Zeros([2, 4]), Tensor.Zeros([2, 4])));
        Assert.Contains("LstmSequence", error.Message);
        Assert.Contains("[2, 5, 15]", error.Message);
        Assert.Contains("[16, 14]", error.Message);
        error = Assert.Throws<ShapeMismatchException>(() => Tensor.Zeros([2, 5, 12]).GruSequence(Tensor.Zeros([12, 4]), null, Tensor.Zeros([3, 4])));
        Assert.Contains("GruSequence", error.Message);
        Assert.Contains("[3, 4]", error.Message);
    }
}

/// <summary>One forward and backward pass of a recurrent op, and the same on one and on several threads.</summary>
internal static class RecurrentRuns
{
    /// <summary>Makes each parameter require a gradient and clears what it holds.</summary>
    public static void ResetGradients(Tensor[] parameters)
    {
        foreach (Tensor t in parameters)
        {
            t.RequiresGrad = true;
            t.ZeroGrad();
        }
    }

    /// <summary>[the output's values, then each parameter's gradient] after <paramref name="forward"/> and a backward pass seeded with <paramref name="seed"/>.</summary>
    public static float[][] ValuesAndGradients(Func<Tensor> forward, Tensor seed, Tensor[] parameters)
    {
        ResetGradients(parameters);
        Tensor y = forward();
        float[] values = y.ToArray();
        y.Backward(seed);
        return [values, .. parameters.Select(t => t.Grad!.ToArray())];
    }

    /// <summary>
    /// An LSTM problem that starts from zero states, drawn from <paramref name="seed"/> in a fixed order: token i is
    /// i·tokenStep mod vocabulary; table E [V, F], W_ih [4H, F], W_hh [4H, H], bias [4H], inputs x [B, T, F], and the
    /// output gradient dy [2, B, T, H] for the hidden states and cells.
    /// </summary>
    public static (int[] Tokens, Tensor Table, Tensor InputWeight, Tensor HiddenWeight, Tensor Bias, Tensor Input, Tensor OutputGradient, Tensor InitialHidden, Tensor InitialCell)
        ZeroStateLstm(int seed, int batch, int steps, int hidden, int features, int vocabulary, int tokenStep)
    {
        var generator = new RandomGenerator(seed);
        int[] tokens = Enumerable.Range(0, batch * steps).Select(i => i * tokenStep % vocabulary).ToArray();
        Tensor e = Tensor.Uniform([vocabulary, features], -1f, 1f, generator), wi = Tensor.Uniform([4 * hidden, features], -0.5f, 0.5f, generator);
        Tensor w = Tensor.Uniform([4 * hidden, hidden], -0.3f, 0.3f, generator), bias = Tensor.Uniform([4 * hidden], -0.5f, 0.5f, generator);
        Tensor x = Tensor.Uniform([batch, steps, features], -1f, 1f, generator), dy = Tensor.Uniform([2, batch, steps, hidden], -1f, 1f, generator);
        return (tokens, e, wi, w, bias, x, dy, Tensor.Zeros([batch, hidden]), Tensor.Zeros([batch, hidden]));
    }

    /// <summary>Runs <paramref name="run"/> with the GEMM team on at least 2 threads, then on 1, and restores the setting.</summary>
    public static (float[][] Single, float[][] Parallel) OnOneAndManyThreads(Func<float[][]> run)
    {
        int threads = Dendrite.Kernels.Gemm.MaxThreads;
        try
        {
            Dendrite.Kernels.Gemm.MaxThreads = Math.Max(2, Environment.ProcessorCount);
            float[][] parallel = run();
            Dendrite.Kernels.Gemm.MaxThreads = 1;
            return (run(), parallel);
        }
        finally
        {
            Dendrite.Kernels.Gemm.MaxThreads = threads;
        }
    }
}

/// <summary>The batch is shared among threads in row blocks: the bits must not depend on how many.</summary>
public class RecurrentThreadingTests
{
    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        var generator = new RandomGenerator(15);
        const int batch = 24, steps = 6, hidden = 96;
        Tensor x = Tensor.Uniform([batch, steps, 5], -1f, 1f, generator), wi = Tensor.Uniform([4 * hidden, 5], -0.5f, 0.5f, generator);
        Tensor w = Tensor.Uniform([4 * hidden, hidden], -0.1f, 0.1f, generator), bias = Tensor.Uniform([4 * hidden], -0.5f, 0.5f, generator);
        Tensor h0 = Tensor.Uniform([batch, hidden], -1f, 1f, generator), c0 = Tensor.Uniform([batch, hidden], -1f, 1f, generator);
        Tensor p = Tensor.Uniform([3, hidden], -0.5f, 0.5f, generator), dy = Tensor.Uniform([2, batch, steps, hidden], -1f, 1f, generator);
        var (single, parallel) = RecurrentRuns.OnOneAndManyThreads(
            () => RecurrentRuns.ValuesAndGradients(() => x.LstmSequence(wi, bias, null, w, h0, c0, p), dy, [x, wi, bias, w, h0, c0, p]));
        for (int i = 0; i < single.Length; i++) Assert.Equal(single[i], parallel[i]);
    }

    [Fact]
    public void TheTokenFormDoesNotDependOnTheThreadCountAndMatchesThePlainForm()
    {
        // 40 x 9 = 360 rows (two row blocks of the fused dW_hh / table pass), 4H = 200 gates (four chunks,
        // the last of 8 gates), H = 50 (a partial column panel): every edge of that pass, on 1 and 2 threads,
        // and against the plain form (embedding, then the input GEMM and one weight-gradient GEMM).
        var generator = new RandomGenerator(23);
        const int batch = 40, steps = 9, hidden = 50, features = 7, vocabulary = 13;
        int[] tokens = Enumerable.Range(0, batch * steps).Select(i => (i * 5 + i / 7) % vocabulary).ToArray();
        Tensor e = Tensor.Uniform([vocabulary, features], -1f, 1f, generator), wi = Tensor.Uniform([4 * hidden, features], -0.5f, 0.5f, generator);
        Tensor w = Tensor.Uniform([4 * hidden, hidden], -0.3f, 0.3f, generator), bias = Tensor.Uniform([4 * hidden], -0.5f, 0.5f, generator);
        Tensor h0 = Tensor.Uniform([batch, hidden], -1f, 1f, generator), c0 = Tensor.Uniform([batch, hidden], -1f, 1f, generator);
        Tensor dy = Tensor.Uniform([2, batch, steps, hidden], -1f, 1f, generator);
        Tensor[] parameters = [e, wi, w, bias, h0, c0];
        var (single, parallel) = RecurrentRuns.OnOneAndManyThreads(
            () => RecurrentRuns.ValuesAndGradients(() => e.LstmSequenceOfTokens(tokens, batch, wi, bias, null, w, h0, c0), dy, parameters));
        for (int i = 0; i < single.Length; i++) Assert.Equal(single[i], parallel[i]);
        float[][] plain = RecurrentRuns.ValuesAndGradients(
            () => e.IndexSelect(0, tokens).Reshape(batch, steps, features).LstmSequence(wi, bias, null, w, h0, c0), dy, parameters);
        for (int i = 0; i < plain.Length; i++) Support.Assertions.AllClose(plain[i], single[i], 1e-4, 1e-5, i == 0 ? "output" : $"gradient {i - 1}");
    }

    [Fact]
    public void ASecondBackwardThroughARetainedGraphGivesTheSameGradients()
    {
        // Without retainGraph the backward pass writes dL/da over the saved gate activations; with it the
        // activations must survive for the second pass, which then adds exactly the same gradients.
        const int batch = 6, steps = 5;
        var (tokens, e, wi, w, bias, x, dy, h0, c0) = RecurrentRuns.ZeroStateLstm(seed: 29, batch, steps, hidden: 24, features: 4, vocabulary: 7, tokenStep: 3);
        foreach (bool table in new[] { false, true })
        {
            Tensor[] parameters = table ? [e, wi, w, bias] : [x, wi, w, bias];
            RecurrentRuns.ResetGradients(parameters);
            Tensor y = table ? e.LstmSequenceOfTokens(tokens, batch, wi, bias, null, w, h0, c0) : x.LstmSequence(wi, bias, null, w, h0, c0);
            y.Backward(dy, retainGraph: true);
            float[][] once = parameters.Select(t => t.Grad!.ToArray()).ToArray();
            y.Backward(dy);
            for (int i = 0; i < parameters.Length; i++)
                Assert.Equal(once[i].Select(v => v + v).ToArray(), parameters[i].Grad!.ToArray());
        }
    }

    [Fact]
    public void WeightGradientsAccumulateOverBackwardPasses()
    {
        // A second backward pass adds the same gradient again (exactly twice the first: x + x is exact),
        // through the transposed adds into W_ih and W_hh, in both the plain and the token form.
        const int batch = 8;
        var (tokens, e, wi, w, bias, x, dy, h0, c0) = RecurrentRuns.ZeroStateLstm(seed: 19, batch, steps: 5, hidden: 32, features: 16, vocabulary: 11, tokenStep: 7);
        foreach (bool table in new[] { false, true })
        {
            RecurrentRuns.ResetGradients([e, wi, w, bias, x]);
            Tensor Forward() => table ? e.LstmSequenceOfTokens(tokens, batch, wi, bias, null, w, h0, c0) : x.LstmSequence(wi, bias, null, w, h0, c0);
            Forward().Backward(dy);
            float[] once = [.. wi.Grad!.ToArray(), .. w.Grad!.ToArray()];
            Forward().Backward(dy);
            float[] twice = [.. wi.Grad!.ToArray(), .. w.Grad!.ToArray()];
            Assert.Equal(once.Select(v => v + v).ToArray(), twice);
        }
    }
}

/// <summary>The LSTM on embedded tokens through the projected table equals embedding then LSTM, values and gradients.</summary>
public class RecurrentTokenTests
{
    [Fact]
    public void LstmOfTokensGradients()
    {
        var generator = new RandomGenerator(16);
        int[] tokens = [0, 2, 2, 1, 3, 0, 1, 1];                                       // B = 2, T = 4
        Tensor e = Tensor.Uniform([4, 2], -1f, 1f, generator), wi = Tensor.Uniform([12, 2], -1f, 1f, generator), w = Tensor.Uniform([12, 3], -1f, 1f, generator);
        Tensor bi = Tensor.Uniform([12], -1f, 1f, generator), h0 = Tensor.Uniform([2, 3], -1f, 1f, generator), c0 = Tensor.Uniform([2, 3], -1f, 1f, generator);
        GradCheckResult result = GradCheck.Run(() => e.LstmSequenceOfTokens(tokens, 2, wi, bi, null, w, h0, c0), [e, wi, bi, w, h0, c0]);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void TheTableFormEqualsEmbeddingThenLstm()
    {
        var generator = new RandomGenerator(17);
        int[] tokens = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8];                          // B = 3, T = 4, V = 10
        Tensor e = Tensor.Uniform([10, 5], -1f, 1f, generator), wi = Tensor.Uniform([24, 5], -0.5f, 0.5f, generator), w = Tensor.Uniform([24, 6], -0.5f, 0.5f, generator);
        Tensor bi = Tensor.Uniform([24], -0.5f, 0.5f, generator), bh = Tensor.Uniform([24], -0.5f, 0.5f, generator);
        Tensor h0 = Tensor.Uniform([3, 6], -1f, 1f, generator), c0 = Tensor.Uniform([3, 6], -1f, 1f, generator), dy = Tensor.Uniform([2, 3, 4, 6], -1f, 1f, generator);
        Tensor[] parameters = [e, wi, bi, bh, w, h0, c0];
        float[][] table = RecurrentRuns.ValuesAndGradients(() => e.LstmSequenceOfTokens(tokens, 3, wi, bi, bh, w, h0, c0, reverse: true), dy, parameters);
        float[][] plain = RecurrentRuns.ValuesAndGradients(() => e.IndexSelect(0, tokens).Reshape(3, 4, 5).LstmSequence(wi, bi, bh, w, h0, c0, reverse: true), dy, parameters);
        for (int i = 0; i < table.Length; i++) Support.Assertions.AllClose(plain[i], table[i], 1e-5, 1e-6, i == 0 ? "output" : $"gradient {i - 1}");
    }

    [Fact]
    public void TheLanguageModelTakesTheTablePathForSmallVocabularies()
    {
        var model = Dendrite.NN.Models.LstmLanguageModel(3, embeddingDimension: 4, hiddenSize: 5, numLayers: 2, generator: new RandomGenerator(18));
        Tensor tokens = Tensor.FromArray([0, 1, 2, 2, 1, 0, 0, 2], new Shape(2, 4));   // 8 tokens ≥ 2·3: the table path
        Tensor viaTable = model.Forward(tokens);
        Tensor viaEmbedding = model.Head.Forward(model.Lstm.Forward(model.Embedding.Forward(tokens)));
        Support.Assertions.AllClose(viaEmbedding, viaTable, 1e-5, 1e-6, "logits");
    }
}
