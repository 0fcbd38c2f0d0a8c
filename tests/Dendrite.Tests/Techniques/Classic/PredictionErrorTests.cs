using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Optim.FullBatch;
using Dendrite.Techniques.Classic;
using Xunit.Abstractions;

namespace Dendrite.Tests.Techniques.Classic;

/// <summary>The prediction-error rule PE = 2E/N + 2·N_W·σ²/N: its arithmetic, and a sensible choice of width on a synthetic problem.</summary>
public class PredictionErrorTests(ITestOutputHelper output)
{
    [Fact]
    public void TheFormulaAndTheNoiseEstimate()
    {
        // E = 5 over N = 100 targets with N_W = 10 weights and σ² = 0.04: 0.1 + 0.008.
        Assert.Equal(0.108, PredictionError.Estimate(5, 100, 10, 0.04), 12);
        // σ̂² = 2E/(N − N_W) = 10/90.
        Assert.Equal(10.0 / 90, PredictionError.NoiseVarianceEstimate(5, 100, 10), 12);
        Assert.Throws<ArgumentException>(() => PredictionError.NoiseVarianceEstimate(5, 100, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => PredictionError.Estimate(-1, 100, 10, 0.04));
    }

    [Fact]
    public void PicksASensibleWidthOnANoisySine()
    {
        // 80 noisy samples of sin(2πx) (σ = 0.2); one-hidden-layer tanh networks of 1..20 units,
        // each trained by L-BFGS (best of 3 starts); the test error is measured on a dense noise-free grid.
        var generator = new RandomGenerator(5);
        Tensor x = Tensor.Uniform([80, 1], -1f, 1f, generator);
        Tensor y = Tensor.FromArray(x.ToArray().Select(v => MathF.Sin(2 * MathF.PI * v) + 0.2f * generator.NextNormal()).ToArray(), new Shape(80, 1));
        Tensor grid = Tensor.Linspace(-1f, 1f, 500).Reshape(500, 1);
        Tensor truth = Tensor.FromArray(grid.ToArray().Select(v => MathF.Sin(2 * MathF.PI * v)).ToArray(), new Shape(500, 1));

        int[] widths = [1, 2, 3, 4, 6, 8, 12, 16, 20];
        var candidates = new List<(string, Module)>();
        var testErrors = new List<double>();
        foreach (int width in widths)
        {
            MultiStartResult fit = MultiStart.Run(3, g =>
            {
                var model = Models.Mlp([1, width, 1], () => new Tanh(), generator: g);
                var optimizer = new Lbfgs(model.Parameters(), maxIterations: 500, lineSearch: LbfgsLineSearch.StrongWolfe);
                optimizer.Step(() =>
                {
                    optimizer.ZeroGrad();
                    Tensor loss = (model.Forward(x) - y).Square().Mean();
                    loss.Backward();
                    return loss;
                });
                return model;
            }, model => Mse(model, x, y), seed: width);
            candidates.Add(($"{width} hidden", fit.Model));
            testErrors.Add(Mse(fit.Model, grid, truth));
        }

        PredictionErrorTable table = PredictionError.Compare(candidates, x, y);
        output.WriteLine($"σ̂² = {table.NoiseVariance:F4} (true 0.04); PE picks {table.Chosen.Name}.");
        output.WriteLine($"{"candidate",-10} {"N_W",4} {"2E/N",8} {"penalty",8} {"PE",8} {"test MSE",9}");
        for (int i = 0; i < widths.Length; i++)
        {
            var c = table.Candidates[i];
            output.WriteLine($"{c.Name,-10} {c.Weights,4} {c.TrainingMse,8:F4} {c.Penalty,8:F4} {c.PredictionError,8:F4} {testErrors[i],9:F4}");
        }
        double bestTest = testErrors.Min();
        Assert.True(testErrors[table.Best] <= 0.02 + 1.5 * bestTest, $"PE chose {table.Chosen.Name} with test MSE {testErrors[table.Best]:F4}; the best candidate has {bestTest:F4}.");
        Assert.NotEqual(0, table.Best);
        Assert.NotEqual(widths.Length - 1, table.Best);
        Assert.InRange(table.NoiseVariance, 0.02, 0.08);
        // The training error alone would pick a large network.
        int byTrainingError = table.Candidates.Select((c, i) => (c.TrainingMse, i)).Min().i;
        Assert.True(widths[byTrainingError] > widths[table.Best]);
    }

    private static double Mse(Module model, Tensor x, Tensor y)
    {
        using var _ = new NoGrad();
        return (model.Forward(x) - y).Square().Mean().Item();
    }
}
