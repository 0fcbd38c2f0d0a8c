using System.Globalization;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Optim;
using Dendrite.Tests.Support;
using Xunit.Abstractions;

namespace Dendrite.Tests.NN;

public class RecurrentTests(ITestOutputHelper output)
{
    private static string[] RecurrentNames(int layers, bool bidirectional, bool peepholes = false)
    {
        var names = new List<string>();
        foreach (int k in Enumerable.Range(0, layers))
            foreach (string suffix in bidirectional ? new[] { "", "_reverse" } : [""])
                names.AddRange(new[] { "weight_ih", "weight_hh", "bias_ih", "bias_hh" }.Select(n => $"{n}_l{k}{suffix}"));
        if (peepholes)
            foreach (int k in Enumerable.Range(0, layers))
                foreach (string suffix in bidirectional ? new[] { "", "_reverse" } : [""])
                    names.Add($"peephole_l{k}{suffix}");
        return [.. names];
    }

    [Fact]
    public void RnnConforms() => LayerConformance.Check(() => new Rnn(3, 4), [2, 5, 3], [2, 5, 4], RecurrentNames(1, false),
        wrongInputShape: [2, 5, 4], nameInError: "Rnn(3->4)");

    [Fact]
    public void StackedBidirectionalRnnWithZoneoutConforms() =>
        LayerConformance.Check(() => new Rnn(3, 4, numLayers: 2, bidirectional: true, zoneout: 0.25f, dropout: 0.3f), [2, 4, 3], [2, 4, 8],
            RecurrentNames(2, true), input: g => Tensor.Uniform([2, 4, 3], 0.2f, 1.5f, g));

    [Fact]
    public void LstmConforms() => LayerConformance.Check(() => new Lstm(3, 4), [2, 5, 3], [2, 5, 4], RecurrentNames(1, false),
        wrongInputShape: [2, 5, 2], nameInError: "Lstm(3->4)");

    [Fact]
    public void StackedBidirectionalPeepholeLstmWithDropoutAndZoneoutConforms() =>
        LayerConformance.Check(() => new Lstm(3, 4, numLayers: 2, bidirectional: true, dropout: 0.3f, zoneout: 0.2f, peepholes: true), [2, 4, 3], [2, 4, 8],
            RecurrentNames(2, true, peepholes: true));

    [Fact]
    public void GruReturningTheLastStateConforms() => LayerConformance.Check(() => new Gru(3, 4, bidirectional: true, zoneout: 0.1f, returnSequences: false), [2, 5, 3], [2, 8],
        RecurrentNames(1, true), wrongInputShape: [2, 3], nameInError: "Gru(3->4, bidirectional)");

    [Fact]
    public void CellsConform()
    {
        LayerConformance.Check(() => new RnnCell(3, 4), [2, 3], [2, 4], ["weight_ih", "weight_hh", "bias_ih", "bias_hh"], wrongInputShape: [2, 5], nameInError: "RnnCell(3->4)");
        LayerConformance.Check(() => new LstmCell(3, 4, peepholes: true), [2, 3], [2, 4], ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "peephole"],
            wrongInputShape: [2, 2, 3], nameInError: "LstmCell(3->4, peepholes)");
        LayerConformance.Check(() => new GruCell(3, 4, bias: false), [2, 3], [2, 4], ["weight_ih", "weight_hh"]);
    }

    [Fact]
    public void ABadInputNamesTheLayerAndTheShapes()
    {
        var error = Assert.Throws<ShapeMismatchException>(() => new Lstm(64, 256).Forward(Tensor.Zeros([32, 10, 65])));
        Assert.StartsWith("Lstm(64->256) got input [32, 10, 65]; expected [batch, time, 64].", error.Message);
        var lstm = new Lstm(3, 4, numLayers: 2);
        error = Assert.Throws<ShapeMismatchException>(() => lstm.Forward(Tensor.Zeros([2, 5, 3]), new RecurrentState(Tensor.Zeros([1, 2, 4]), Tensor.Zeros([1, 2, 4]))));
        Assert.Contains("[1, 2, 4]", error.Message);
        Assert.Contains("[2, 2, 4]", error.Message);
    }

    /// <summary>The fused layer equals its cell unrolled by hand: an independent check of the fused kernels, including peepholes, which torch lacks.</summary>
    [Fact]
    public void FusedLayersEqualTheirCellsUnrolled()
    {
        var generator = new RandomGenerator(5);
        Tensor x = Tensor.Uniform([3, 6, 4], -1f, 1f, generator);

        var lstm = new Lstm(4, 5, peepholes: true, generator: generator);
        var lstmCell = new LstmCell(4, 5, peepholes: true);
        CopyInto(lstm, lstmCell);
        RecurrentOutput fused = lstm.Forward(x, null);
        (Tensor Hidden, Tensor Cell)? state = null;
        for (int t = 0; t < 6; t++)
        {
            state = lstmCell.Forward(x.Select(1, t).Contiguous(), state);
            Assertions.AllClose(state.Value.Hidden, fused.Output.Select(1, t).Contiguous(), 1e-5, 1e-6, $"LSTM h at step {t}");
        }
        Assertions.AllClose(state!.Value.Cell, fused.State.Cell!.Select(0, 0).Contiguous(), 1e-5, 1e-6, "LSTM final cell");

        var gru = new Gru(4, 5, generator: generator);
        var gruCell = new GruCell(4, 5);
        CopyInto(gru, gruCell);
        Tensor gruOutput = gru.Forward(x);
        Tensor? h = null;
        for (int t = 0; t < 6; t++)
        {
            h = gruCell.Forward(x.Select(1, t).Contiguous(), h);
            Assertions.AllClose(h, gruOutput.Select(1, t).Contiguous(), 1e-5, 1e-6, $"GRU h at step {t}");
        }

        var rnn = new Rnn(4, 5, generator: generator);
        var rnnCell = new RnnCell(4, 5);
        CopyInto(rnn, rnnCell);
        Tensor rnnOutput = rnn.Forward(x);
        h = null;
        for (int t = 0; t < 6; t++) h = rnnCell.Forward(x.Select(1, t).Contiguous(), h);
        Assertions.AllClose(h!, rnnOutput.Select(1, 5).Contiguous(), 1e-5, 1e-6, "RNN final h");
    }

    private static void CopyInto(RecurrentLayer layer, RecurrentCell cell)
    {
        var state = cell.StateDict();
        foreach (var (name, parameter) in layer.NamedParameters())
            state[name.Replace("_l0", "", StringComparison.Ordinal)].CopyFrom(parameter);
    }

    /// <summary>Truncated BPTT: carrying the state chunk by chunk computes the same values as one pass, and Detach stops the gradient at the chunk boundary.</summary>
    [Fact]
    public void TruncatedBackpropagationCarriesTheStateAndCutsTheGradient()
    {
        var generator = new RandomGenerator(8);
        var lstm = new Lstm(3, 4, numLayers: 2, generator: generator);
        Tensor x = Tensor.Uniform([2, 12, 3], -1f, 1f, generator);
        Tensor whole;
        using (new NoGrad()) whole = lstm.Forward(x);

        RecurrentState? state = null;
        var chunks = new List<Tensor>();
        for (int start = 0; start < 12; start += 4)
        {
            Tensor chunk = x.Narrow(1, start, 4).Contiguous();
            chunk.RequiresGrad = true;
            chunks.Add(chunk);
            RecurrentOutput result = lstm.Forward(chunk, state);
            state = result.State.Detach();   // carry the values, not the graph (before Backward, which frees the graph's memory)
            Assertions.AllClose(whole.Narrow(1, start, 4).Contiguous(), result.Output.Contiguous(), 1e-6, 1e-6, $"chunk at {start}");
            lstm.ZeroGrad();
            result.Output.Sum().Backward();
            Assert.NotNull(chunk.Grad);
            Assert.NotNull(lstm.HiddenWeight(0).Grad);
        }
        // One more chunk from the detached state: its backward reaches only its own chunk.
        chunks[0].ZeroGrad();
        chunks[2].ZeroGrad();
        Tensor next = x.Narrow(1, 8, 4).Contiguous();
        next.RequiresGrad = true;
        lstm.Forward(next, state).Output.Sum().Backward();
        Assert.NotNull(next.Grad);
        Assert.Null(chunks[0].Grad);
        Assert.Null(chunks[2].Grad);
    }

    /// <summary>
    /// The seeds' vanishing gradient: a loss at the last of 50 steps, and the gradient norm that reaches
    /// the input at each step. Through a plain tanh RNN it shrinks by orders of magnitude more than
    /// through an LSTM, whose cell carries it additively.
    /// </summary>
    [Fact]
    public void GradientVanishesThroughAPlainRnnButNotThroughAnLstm()
    {
        const int steps = 50;
        var generator = new RandomGenerator(21);
        Tensor x = Tensor.Normal([8, steps, 10], 0f, 1f, generator);
        Tensor upstream = Tensor.Normal([8, 32], 0f, 1f, generator);
        RecurrentLayer[] layers = [new Rnn(10, 32, generator: new RandomGenerator(1)), new Lstm(10, 32, generator: new RandomGenerator(1))];
        var first = new double[2];
        for (int l = 0; l < layers.Length; l++)
        {
            Tensor input = x.Clone().Detach();
            input.RequiresGrad = true;
            Tensor last = layers[l].Forward(input, null).Output.Select(1, steps - 1);
            (last * upstream).Sum().Backward();
            float[] g = input.Grad!.ToArray();
            double Norm(int t)
            {
                double sum = 0;
                for (int b = 0; b < 8; b++)
                    for (int f = 0; f < 10; f++) sum += (double)g[(b * steps + t) * 10 + f] * g[(b * steps + t) * 10 + f];
                return Math.Sqrt(sum);
            }
            first[l] = Norm(0) / Norm(steps - 1);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{layers[l].Describe(),-14} ‖dL/dx_t‖ at t = 49: {Norm(49):E2}, t = 40: {Norm(40):E2}, t = 25: {Norm(25):E2}, t = 0: {Norm(0):E2}; first/last = {first[l]:E2}"));
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"LSTM/RNN ratio of the gradient reaching step 0: {first[1] / first[0]:E2}"));
        Assert.True(first[1] / first[0] > 1e3, $"the LSTM's gradient at step 0 should be orders of magnitude larger: RNN {first[0]:E2}, LSTM {first[1]:E2}");
    }

    [Fact]
    public void ZoneoutKeepsUnitsInTrainingAndMixesByExpectationInEvaluation()
    {
        var generator = new RandomGenerator(3);
        Tensor x = Tensor.Uniform([4, 6, 3], -1f, 1f, generator);
        var plain = new Gru(3, 8, generator: new RandomGenerator(9));
        var zoned = new Gru(3, 8, zoneout: 0.999f, generator: new RandomGenerator(9));
        // Almost every unit keeps its previous (zero) value in training.
        Tensor trained = zoned.Forward(x);
        Assert.True(trained.ToArray().Count(v => v != 0f) < trained.Count / 50);
        // In evaluation the state moves by the expectation (1 − p) of a step: a bounded, deterministic mix.
        zoned.Eval();
        plain.Eval();
        Tensor a = zoned.Forward(x), b = zoned.Forward(x);
        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.NotEqual(plain.Forward(x).ToArray(), a.ToArray());
    }

    [Fact]
    public void DropoutBetweenLayersActsOnlyInTraining()
    {
        var lstm = new Lstm(3, 4, numLayers: 2, dropout: 0.5f, generator: new RandomGenerator(2));
        Tensor x = Tensor.Uniform([2, 5, 3], -1f, 1f, new RandomGenerator(4));
        Assert.NotEqual(lstm.Forward(x).ToArray(), lstm.Forward(x).ToArray());
        lstm.Eval();
        Assert.Equal(lstm.Forward(x).ToArray(), lstm.Forward(x).ToArray());
    }

    [Fact]
    public void ForgetGateBiasStartsAtOne()
    {
        var lstm = new Lstm(3, 4);
        float[] input = lstm.InputBias(0)!.ToArray(), hidden = lstm.HiddenBias(0)!.ToArray();
        for (int j = 4; j < 8; j++) Assert.Equal(1f, input[j] + hidden[j]);
    }

    [Fact]
    public void AnLstmLearnsToAddAcrossTimeWithClipping()
    {
        // The adding problem, small: output the sum of the two marked numbers of a 12-step sequence.
        var generator = new RandomGenerator(6);
        var lstm = new Lstm(2, 16, returnSequences: false, generator: generator);
        var head = new Dense(16, 1, generator: generator);
        var optimizer = new Adam(lstm.Parameters().Concat(head.Parameters()), learningRate: 0.01f) { ClipNorm = 1f };
        (Tensor X, Tensor Y) Batch()
        {
            var x = new float[32 * 12 * 2];
            var y = new float[32];
            for (int b = 0; b < 32; b++)
            {
                int first = generator.NextInt(6), second = 6 + generator.NextInt(6);
                for (int t = 0; t < 12; t++)
                {
                    x[(b * 12 + t) * 2] = generator.NextFloat();
                    if (t == first || t == second)
                    {
                        x[(b * 12 + t) * 2 + 1] = 1f;
                        y[b] += x[(b * 12 + t) * 2];
                    }
                }
            }
            return (Tensor.FromArray(x, new Shape(32, 12, 2)), Tensor.FromArray(y, new Shape(32, 1)));
        }
        float loss = 0;
        for (int step = 0; step < 300; step++)
        {
            var (x, y) = Batch();
            optimizer.ZeroGrad();
            Tensor l = (head.Forward(lstm.Forward(x)) - y).Square().Mean();
            loss = l.Item();
            l.Backward();
            optimizer.Step();
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"adding problem: mean squared error {loss:F4} after 300 steps (predicting the mean scores about 0.17)"));
        Assert.True(loss < 0.05f, $"loss {loss}");
    }
}
