using System.Globalization;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Tests.Support;
using Xunit.Abstractions;

namespace Dendrite.Tests.NN;

/// <summary>
/// Scaled dot-product attention, multi-head attention, positional encodings and the Transformer
/// blocks: gradient checks, libtorch parity (tests/reference/layers), conformance and masks.
/// </summary>
public class AttentionTests(ITestOutputHelper output)
{
    // ---- libtorch parity ----

    public static TheoryData<string> ParityCases() => new()
    {
        "mha_self", "mha_self_causal", "mha_self_key_padding", "mha_cross", "sdpa_causal",
        "transformer_encoder_post_norm", "transformer_encoder_pre_norm", "transformer_decoder_causal",
    };

    [Theory]
    [MemberData(nameof(ParityCases))]
    public void AgreesWithLibtorch(string name)
    {
        ReferenceCase c = ReferenceCase.Load("layers", name);
        Tensor[] inputs = c.Inputs.Select(i =>
        {
            Tensor t = i.ToTensor();
            t.RequiresGrad = i.RequiresGrad && i.DType == "float32";
            return t;
        }).ToArray();
        Module? module = c.Layer switch
        {
            "MultiheadAttention" => new MultiHeadAttention(c.Int("embed_dim"), c.Int("num_heads"), c.Float("dropout"), c.Bool("bias")),
            "TransformerEncoderLayer" => new TransformerEncoderLayer(c.Int("d_model"), c.Int("nhead"), c.Int("dim_feedforward"), c.Float("dropout"),
                c.String("activation"), c.Float("layer_norm_eps"), c.Bool("norm_first")),
            "TransformerDecoderLayer" => new TransformerDecoderLayer(c.Int("d_model"), c.Int("nhead"), c.Int("dim_feedforward"), c.Float("dropout"),
                c.String("activation"), c.Float("layer_norm_eps"), c.Bool("norm_first")),
            _ => null,
        };
        if (module is not null)
        {
            var state = module.StateDict();
            Assert.Equal(c.Parameters.Keys.Order(), state.Keys.Order());
            foreach (var (key, value) in c.Parameters) state[key].CopyFrom(value.ToTensor());
        }

        Tensor[] outputs = module switch
        {
            MultiHeadAttention mha => MultiHead(mha, c, inputs),
            TransformerEncoderLayer encoder => [encoder.Forward(inputs[0])],
            TransformerDecoderLayer decoder => [decoder.Forward(inputs[0], inputs[1], targetMask: inputs[2])],
            _ => [inputs[0].ScaledDotProductAttention(inputs[1], inputs[2], isCausal: c.Bool("is_causal"))],
        };

        double worst = 0;
        Tensor loss = Tensor.Scalar(0f);
        for (int i = 0; i < outputs.Length; i++)
        {
            Assert.Equal(c.Outputs[i].Shape, outputs[i].Shape.ToArray());
            worst = Math.Max(worst, Compare(c.Outputs[i].Data, outputs[i].ToArray(), $"{name} output {i}"));
            if (c.GradOutputs[i] is { } g) loss = loss + (outputs[i] * g.ToTensor()).Sum();
        }
        loss.Backward();
        if (c.Layer == "MultiheadAttention" && c.Name.StartsWith("mha_self", StringComparison.Ordinal))
        {
            // libtorch's C++ MultiheadAttention takes its self-attention path when query, key and value are
            // equal (torch::equal, by value) and projects all three from the query: the file's query gradient
            // is then the shared input's and key and value get zeros. Compare the gradient of the shared
            // input: the sum over the three inputs on both sides.
            worst = Math.Max(worst, Compare(SumOfGradients(c.Grads.Take(3).Select(g => g!.Data)), SumOfGradients(inputs.Take(3).Select(t => t.Grad!.ToArray())),
                $"{name} gradient of the shared input"));
        }
        else
        {
            for (int i = 0; i < inputs.Length; i++)
                if (i < c.Grads.Count && c.Grads[i] is { } expected)
                    worst = Math.Max(worst, Compare(expected.Data, inputs[i].Grad!.ToArray(), $"{name} gradient of input {i}"));
        }
        if (module is not null)
        {
            var parameters = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
            foreach (var (key, expected) in c.ParameterGrads)
                worst = Math.Max(worst, Compare(expected.Data, parameters[key].Grad!.ToArray(), $"{name} gradient of {key}"));
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: largest |Dendrite − libtorch| over outputs and gradients = {worst:E2}"));
    }

    private static Tensor[] MultiHead(MultiHeadAttention mha, ReferenceCase c, Tensor[] inputs)
    {
        Tensor? mask = null, padding = null;
        if (inputs.Length > 3)
        {
            if (c.Name.Contains("key_padding", StringComparison.Ordinal)) padding = inputs[3];
            else mask = inputs[3];
        }
        AttentionOutput result = mha.Forward(inputs[0], inputs[1], inputs[2], mask, padding, needWeights: true);
        return [result.Output, result.Weights!];
    }

    private static float[] SumOfGradients(IEnumerable<float[]> gradients)
    {
        float[]? sum = null;
        foreach (float[] g in gradients)
        {
            sum ??= new float[g.Length];
            for (int i = 0; i < g.Length; i++) sum[i] += g[i];
        }
        return sum!;
    }

    private static double Compare(float[] expected, float[] actual, string what)
    {
        Assertions.AllClose(expected, actual, 1e-4, 1e-5, what);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        return worst;
    }

    // ---- gradient checks ----

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void ScaledDotProductAttentionGradients(bool causal, bool withMask)
    {
        var generator = new RandomGenerator(31);
        Tensor q = Tensor.Uniform([2, 2, 4, 3], -1f, 1f, generator), k = Tensor.Uniform([2, 2, 5, 3], -1f, 1f, generator), v = Tensor.Uniform([2, 2, 5, 2], -1f, 1f, generator);
        // A padding mask per batch element ([2, 1, 1, 5]) that leaves every query a key.
        Tensor? mask = withMask ? Tensor.FromArray([0, 0, 0, 0, 1, 0, 0, 1, 1, 0], new Shape(2, 1, 1, 5)) : null;
        var result = GradCheck.Run(() => q.ScaledDotProductAttention(k, v, mask, causal), [q, k, v]);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void MasksGiveMaskedKeysZeroWeight()
    {
        var generator = new RandomGenerator(32);
        Tensor q = Tensor.Uniform([1, 3, 4], -1f, 1f, generator), k = Tensor.Uniform([1, 3, 4], -1f, 1f, generator);
        var (_, weights) = q.ScaledDotProductAttentionWithWeights(k, k, isCausal: true);
        float[] w = weights.ToArray();
        Assert.Equal([1f, 0f, 0f], w[..3]);
        Assert.Equal(0f, w[5]);
        for (int i = 0; i < 3; i++) Assert.Equal(1f, w[(3 * i)..(3 * i + 3)].Sum(), 5);
        Assert.Equal(new[] { 0f, 1f, 1f, 0f, 0f, 1f, 0f, 0f, 0f }, TensorOps.CausalMask(3, 3).ToArray());
    }

    [Fact]
    public void MultiHeadAttentionConforms()
    {
        LayerConformance.Check(() => new MultiHeadAttention(8, 2), [2, 3, 8], [2, 3, 8], ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"],
            wrongInputShape: [2, 3, 6], nameInError: "MultiHeadAttention(8, heads=2)");
    }

    [Fact]
    public void CrossAttentionWithBothMasksMatchesSeparateProjections()
    {
        // The fused self-attention projection (one GEMM) equals the three separate projections.
        var generator = new RandomGenerator(33);
        var mha = new MultiHeadAttention(8, 4, generator: generator);
        Tensor x = Tensor.Uniform([2, 5, 8], -1f, 1f, generator);
        Tensor mask = TensorOps.CausalMask(5, 5), padding = Tensor.FromArray([0, 0, 0, 0, 1, 0, 0, 0, 0, 0], new Shape(2, 5));
        Tensor fused = mha.Forward(x, x, x, mask, padding).Output;
        Tensor separate = mha.Forward(x, x.Clone(), x.Clone(), mask, padding).Output;
        Assertions.AllClose(separate, fused, 1e-5, 1e-6, "self-attention");
        var error = Assert.Throws<ShapeMismatchException>(() => mha.Forward(x, x, x, Tensor.Zeros([4, 5])));
        Assert.Contains("[4, 5]", error.Message);
    }

    [Fact]
    public void PositionalEncodingsConform()
    {
        LayerConformance.Check(() => new SinusoidalPositionalEncoding(6, 10), [2, 4, 6], [2, 4, 6], [], wrongInputShape: [2, 11, 6], nameInError: "SinusoidalPositionalEncoding(6)");
        LayerConformance.Check(() => new LearnedPositionalEncoding(10, 6), [2, 4, 6], [2, 4, 6], ["weight"], wrongInputShape: [2, 4, 5]);
        Tensor table = new SinusoidalPositionalEncoding(4).Table(2);
        Assert.Equal(new[] { 0f, 1f, 0f, 1f, MathF.Sin(1f), MathF.Cos(1f), MathF.Sin(0.01f), MathF.Cos(0.01f) }, table.Contiguous().ToArray());
    }

    [Fact]
    public void TransformerBlocksConform()
    {
        string[] attention(string prefix) => [$"{prefix}.in_proj_weight", $"{prefix}.in_proj_bias", $"{prefix}.out_proj.weight", $"{prefix}.out_proj.bias"];
        string[] rest(int norms) => ["linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", .. Enumerable.Range(1, norms).SelectMany(i => new[] { $"norm{i}.weight", $"norm{i}.bias" })];
        LayerConformance.Check(() => new TransformerEncoderLayer(8, 2, 12, dropout: 0.1f, activation: "gelu"), [2, 3, 8], [2, 3, 8], [.. attention("self_attn"), .. rest(2)],
            wrongInputShape: [2, 3, 7], nameInError: "TransformerEncoderLayer(d=8, heads=2, ff=12)");
        LayerConformance.Check(() => new TransformerEncoderLayer(8, 2, 12, dropout: 0.1f, normFirst: true), [2, 3, 8], [2, 3, 8], [.. attention("self_attn"), .. rest(2)]);
        LayerConformance.Check(() => new TransformerDecoderLayer(8, 2, 12, dropout: 0.1f, normFirst: true), [2, 3, 8], [2, 3, 8],
            [.. attention("self_attn"), .. attention("multihead_attn"), .. rest(3)]);
    }

    [Fact]
    public void TheCausalLanguageModelSeesOnlyThePast()
    {
        RandomGenerator.SetDefaultSeed(3);
        TransformerLanguageModel model = Models.CausalTransformer(vocabularySize: 11, contextLength: 6, modelDimension: 8, numHeads: 2, numLayers: 2, dropout: 0f);
        model.Eval();
        Tensor a = Tensor.FromArray([1, 2, 3, 4, 5, 6], new Shape(1, 6)), b = Tensor.FromArray([1, 2, 3, 9, 9, 9], new Shape(1, 6));
        float[] la = model.Forward(a).ToArray(), lb = model.Forward(b).ToArray();
        Assertions.AllClose(la[..(3 * 11)], lb[..(3 * 11)], 1e-6, 1e-6, "logits of the shared prefix");
        Assert.NotEqual(la[(3 * 11)..], lb[(3 * 11)..]);
        var error = Assert.Throws<ShapeMismatchException>(() => model.Forward(Tensor.Zeros([1, 7])));
        Assert.Contains("[1, 7]", error.Message);

        // Gradients, save and load through the whole model (tokens are not differentiable).
        // Embeddings of unit size: at the GPT-style N(0, 0.02²) start, ±1e-3 finite differences are 5 % steps through a layer norm.
        static Module Create()
        {
            TransformerLanguageModel m = Models.CausalTransformer(7, 4, modelDimension: 4, numHeads: 2, numLayers: 1, dropout: 0.1f);
            m.TokenEmbedding.Weight.CopyFrom(Tensor.Uniform(m.TokenEmbedding.Weight.Shape, -1f, 1f, new RandomGenerator(4)));
            m.Position.Weight.CopyFrom(Tensor.Uniform(m.Position.Weight.Shape, -1f, 1f, new RandomGenerator(5)));
            return m;
        }
        LayerConformance.Check(Create, [2, 4], [2, 4, 7],
            model.NamedParameters().Select(p => p.Name).Where(n => !n.StartsWith("layers.1.", StringComparison.Ordinal)).ToArray(),
            checkInputGradient: false, input: _ => Tensor.FromArray([0, 1, 2, 3, 6, 5, 4, 3], new Shape(2, 4)));
    }

    [Fact]
    public void TheRecurrentLanguageModelConformsAndCarriesState()
    {
        LayerConformance.Check(() => Models.LstmLanguageModel(7, embeddingDimension: 3, hiddenSize: 4, numLayers: 2, dropout: 0.2f), [2, 4], [2, 4, 7],
            ["embedding.weight", .. new Lstm(3, 4, 2).NamedParameters().Select(p => "lstm." + p.Name), "head.weight", "head.bias"],
            checkInputGradient: false, input: _ => Tensor.FromArray([0, 1, 2, 3, 6, 5, 4, 3], new Shape(2, 4)));
        RecurrentLanguageModel model = Models.LstmLanguageModel(7, 3, 4);
        Tensor tokens = Tensor.FromArray([0, 1, 2, 3, 6, 5], new Shape(1, 6));
        Tensor whole = model.Forward(tokens);
        RecurrentOutput first = model.Forward(tokens.Narrow(1, 0, 3).Contiguous(), null);
        RecurrentOutput second = model.Forward(tokens.Narrow(1, 3, 3).Contiguous(), first.State.Detach());
        Assertions.AllClose(whole.Narrow(1, 3, 3).Contiguous(), second.Output, 1e-6, 1e-6, "second chunk");
    }
}
