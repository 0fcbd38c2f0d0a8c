using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Techniques.Classic;
using Xunit.Abstractions;

namespace Dendrite.Tests.Techniques.Classic;

/// <summary>
/// Training with hints: the hint head shapes the trunk during training, does not hurt the main task
/// (here it helps), and is absent from the saved inference model.
/// </summary>
public class HintTests(ITestOutputHelper output)
{
    private const int Inputs = 10;

    /// <summary>
    /// The task the example uses: x ∈ [−1, 1]¹⁰, a hidden direction u, z = u·x, main target
    /// y = sin(3z) + N(0, 0.05²), hint z. The hint tells the trunk which direction matters.
    /// </summary>
    internal static (Dataset Data, Tensor Hints) HiddenDirectionTask(int count, long seed)
    {
        var direction = new float[Inputs];
        new RandomGenerator(42).FillNormal(direction);
        float norm = MathF.Sqrt(direction.Sum(v => v * v));
        var generator = new RandomGenerator(seed);
        Tensor x = Tensor.Uniform([count, Inputs], -1f, 1f, generator);
        float[] xs = x.ToArray();
        var z = new float[count];
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            for (int j = 0; j < Inputs; j++) z[i] += xs[i * Inputs + j] * direction[j] / norm;
            y[i] = MathF.Sin(3 * z[i]) + 0.05f * generator.NextNormal();
        }
        return (Dataset.ForRegression(x, Tensor.FromArray(y, new Shape(count, 1))), Tensor.FromArray(z, new Shape(count, 1)));
    }

    private static HintNetwork Network(long seed)
    {
        var generator = new RandomGenerator(seed);
        return new HintNetwork(new Dense(Inputs, 16, new Tanh(), generator: generator), new Dense(16, 1, generator: generator), new Dense(16, 1, generator: generator));
    }

    [Fact]
    public void AHintDoesNotHurtTheMainTask()
    {
        var (validation, _) = HiddenDirectionTask(1000, seed: 7);
        double without = 0, with = 0;
        const int seeds = 3;
        for (int s = 0; s < seeds; s++)
        {
            var (train, hints) = HiddenDirectionTask(120, seed: 100 + s);
            double Train(float weight)
            {
                HintNetwork network = Network(1000 + s);
                var trainer = new HintTrainer(network, new Adam(network.Parameters(), 0.01f), new MeanSquaredError(), new MeanSquaredError()) { HintWeight = weight };
                trainer.Fit(train, hints, epochs: 150, batchSize: 16, seed: s);
                return trainer.Evaluate(validation);
            }
            double a = Train(0f), b = Train(1f);
            output.WriteLine($"seed {s}: validation MSE without hint {a:F4}, with hint (λ = 1) {b:F4}");
            without += a / seeds;
            with += b / seeds;
        }
        output.WriteLine($"mean over {seeds} seeds: without hint {without:F4}, with hint {with:F4}");
        Assert.True(with <= 1.05 * without, $"the hint hurt the main task: validation MSE {with:F4} with it, {without:F4} without.");
    }

    [Fact]
    public void TheHintHeadLearnsItsTargetAndTheLossesAreReported()
    {
        var (train, hints) = HiddenDirectionTask(120, seed: 3);
        var (validation, _) = HiddenDirectionTask(200, seed: 4);
        HintNetwork network = Network(5);
        var trainer = new HintTrainer(network, new Adam(network.Parameters(), 0.01f), new MeanSquaredError(), new MeanSquaredError()) { HintWeight = 1f };
        var history = trainer.Fit(train, hints, epochs: 40, batchSize: 16, validation: validation, seed: 1);
        Assert.Equal(40, history.Count);
        Assert.True(history[^1].HintLoss < 0.1 * history[0].HintLoss, $"hint loss {history[0].HintLoss:G3} → {history[^1].HintLoss:G3}");
        Assert.True(history[^1].Loss < history[0].Loss);
        Assert.True(double.IsFinite(history[^1].ValidationLoss));
    }

    [Fact]
    public void TheSavedInferenceModelHasNoHintHead()
    {
        HintNetwork network = Network(6);
        Assert.Contains(network.NamedParameters(), p => p.Name.StartsWith("hint.", StringComparison.Ordinal));
        string path = Path.Combine(Path.GetTempPath(), $"dendrite-hints-{Guid.NewGuid():N}");
        try
        {
            Sequential inference = network.InferenceModel();
            Model.Save(inference, path);
            Module loaded = Model.Load(path);

            long hintWeights = network.HintHead.ParameterCount().Trainable;
            Assert.Equal(network.ParameterCount().Trainable - hintWeights, loaded.ParameterCount().Trainable);
            Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias"], loaded.NamedParameters().Select(p => p.Name));
            var saved = Dendrite.IO.Safetensors.Load(path + ".safetensors");
            Assert.Equal(4, saved.Tensors.Count);
            Assert.DoesNotContain(saved.Tensors.Keys, k => k.Contains("hint", StringComparison.Ordinal));

            // The reloaded model computes the main output of the original.
            Tensor x = Tensor.Uniform([5, Inputs], -1f, 1f, new RandomGenerator(1));
            using var _ = new NoGrad();
            Assert.Equal(network.Forward(x).ToArray(), loaded.Forward(x).ToArray());
            Assert.Equal(network.ForwardWithHint(x).Output.ToArray(), loaded.Forward(x).ToArray());
        }
        finally
        {
            foreach (string extension in (string[])[".json", ".safetensors"])
                if (File.Exists(path + extension)) File.Delete(path + extension);
        }
    }

    [Fact]
    public void HintsMustMatchTheSamples()
    {
        var (train, _) = HiddenDirectionTask(20, seed: 1);
        HintNetwork network = Network(1);
        var trainer = new HintTrainer(network, new Sgd(network.Parameters(), 0.1f), new MeanSquaredError(), new MeanSquaredError());
        Assert.Throws<ShapeMismatchException>(() => trainer.Fit(train, Tensor.Zeros([19, 1]), epochs: 1));
    }
}
