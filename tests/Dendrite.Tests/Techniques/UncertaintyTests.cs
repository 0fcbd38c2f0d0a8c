using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Techniques.Uncertainty;
using Dendrite.Training;

namespace Dendrite.Tests.Techniques;

public class UncertaintyTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void LaplacePredictiveVarianceGrowsAwayFromTheTrainingData()
    {
        // Train on x in [-1, 1]; ask at 0, 1.5, 3 and 5.
        var generator = new RandomGenerator(1);
        Tensor x = Tensor.Uniform([80, 1], -1f, 1f, generator);
        Tensor t = SineTargets(x, 2f, 0.05f, generator);
        var model = new Sequential(new Dense(1, 8, new Tanh(), generator: generator), new Dense(8, 1, generator: generator));
        new Trainer(model, new Adam(model.Parameters(), 0.02f), new MeanSquaredError()).Fit(Dataset.ForRegression(x, t), 300, 80);

        var laplace = LaplaceApproximation.ForRegression(model, x, t, priorPrecision: 1.0);
        Tensor queries = Tensor.FromArray([0f, 0.5f, 1.5f, 3f, 5f], new Shape(5, 1));
        var (mean, variance) = laplace.PredictRegression(queries);
        float[] v = variance.ToArray();
        output.WriteLine($"β = {laplace.NoisePrecision:F1}; variance at x = 0, 0.5, 1.5, 3, 5: {string.Join(", ", v.Select(a => a.ToString("E3")))}; mean {string.Join(", ", mean.ToArray().Select(a => a.ToString("F3")))}");
        Assert.True(v[2] > 1.5 * v[0], "just outside the data the variance exceeds the one inside");
        Assert.True(v[3] > v[2] && v[4] > v[3], "and keeps growing further away");
        Assert.All(v, value => Assert.True(value >= 1.0 / laplace.NoisePrecision * 0.999));
        var (_, weightOnly) = laplace.PredictRegression(queries, includeNoise: false);
        Assert.Equal(v[0] - 1.0 / laplace.NoisePrecision, weightOnly.ToArray()[0], 5);
    }

    /// <summary>sin(ω·x) + noise for inputs [N, 1].</summary>
    private static Tensor SineTargets(Tensor x, float omega, float noise, RandomGenerator generator)
    {
        float[] v = x.ToArray();
        for (int i = 0; i < v.Length; i++) v[i] = MathF.Sin(omega * v[i]) + noise * generator.NextNormal();
        return Tensor.Wrap(v, x.Shape);
    }

    private static (Sequential Model, Tensor Inputs) BinaryClassifier()
    {
        // Two Gaussian blobs at (±1, 0); a logistic output.
        var generator = new RandomGenerator(2);
        Tensor x = Tensor.Randn([100, 2], generator) * 0.5f;
        var labels = new float[100];
        for (int i = 0; i < 100; i++)
        {
            labels[i] = i % 2;
            x[i, 0] += i % 2 == 0 ? -1f : 1f;
        }
        var model = new Sequential(new Dense(2, 6, new Tanh(), generator: generator), new Dense(6, 1, generator: generator));
        var data = Dataset.ForRegression(x, Tensor.Wrap(labels, new Shape(100, 1)));
        new Trainer(model, new Adam(model.Parameters(), 0.02f), new BinaryCrossEntropy(fromLogits: true)).Fit(data, 200, 100);
        return (model, x);
    }

    [Fact]
    public void LaplaceProbitCorrectionPullsUncertainProbabilitiesTowardsOneHalf()
    {
        var (model, x) = BinaryClassifier();
        var laplace = LaplaceApproximation.ForBinaryClassification(model, x, priorPrecision: 1.0);
        Tensor queries = Tensor.FromArray([-1f, 0f, 1f, 0f, 6f, 0f, 0f, 8f], new Shape(4, 2));
        var (probability, map, logitVariance) = laplace.PredictBinary(queries);
        float[] p = probability.ToArray(), pm = map.ToArray(), s2 = logitVariance.ToArray();
        output.WriteLine($"p corrected {string.Join(", ", p.Select(a => a.ToString("F3")))}; p MAP {string.Join(", ", pm.Select(a => a.ToString("F3")))}; s² {string.Join(", ", s2.Select(a => a.ToString("E2")))}");
        for (int i = 0; i < 4; i++)
        {
            Assert.True(Math.Abs(p[i] - 0.5) <= Math.Abs(pm[i] - 0.5) + 1e-6, "the correction never makes a prediction more confident");
            Assert.Equal(Math.Sign(pm[i] - 0.5), Math.Sign(p[i] - 0.5));
        }
        Assert.True(s2[2] > s2[1] && s2[3] > s2[0], "far from both blobs the logit is less certain");
    }

    private static Sequential DropoutRegressor(long seed, float rate) =>
        new(new Dense(1, 32, new Relu(), generator: new RandomGenerator(seed)), new Dropout(rate), new Dense(32, 1, generator: new RandomGenerator(seed + 1)));

    [Fact]
    public void McDropoutVarianceIsPositiveWithDropoutAndMatchesTheAnalyticValueForALinearModel()
    {
        Tensor x = Tensor.Uniform([20, 1], -1f, 1f, new RandomGenerator(3));
        var model = DropoutRegressor(4, 0.3f);
        var (mean, variance) = McDropout.Predict(model, x, samples: 30, seed: 1);
        Assert.Equal(new Shape(20, 1), mean.Shape);
        Assert.All(variance.ToArray(), v => Assert.True(v > 0));
        Assert.True(model.IsTraining, "the model's mode is restored");
        var (again, _) = McDropout.Predict(model, x, samples: 30, seed: 1);
        Assert.Equal(mean.ToArray(), again.ToArray());
        Assert.Throws<InvalidOperationException>(() => McDropout.Predict(new Sequential(new Dense(1, 1)), x));

        // y = w·dropout(x) (inverted, rate p): E[y] = w·x, Var[y] = p/(1 − p)·Σ w_i² x_i².
        const float p = 0.2f;
        var weights = Tensor.FromArray([0.5f, -1f, 2f, 0.25f], new Shape(1, 4));
        var linear = new Sequential(new Dropout(p), new Dense(4, 1, bias: false));
        ((Dense)linear[1]).Weight.CopyFrom(weights);
        Tensor point = Tensor.FromArray([1f, 0.5f, -1f, 2f], new Shape(1, 4));
        var (m, v2) = McDropout.Predict(linear, point, samples: 20000, seed: 2);
        double analyticMean = 0.5 - 0.5 - 2 + 0.5;
        double analyticVariance = p / (1 - p) * (0.25 * 1 + 1 * 0.25 + 4 * 1 + 0.0625 * 4);
        output.WriteLine($"MC mean {m.Item():F4} (exact {analyticMean}), variance {v2.Item():F4} (exact {analyticVariance:F4})");
        Assert.Equal(analyticMean, m.Item(), 1);
        Assert.Equal(analyticVariance, v2.Item(), 0.05 * analyticVariance);
    }

    [Fact]
    public void McDropoutUncertaintyGrowsAwayFromTheTrainingData()
    {
        // A ReLU network is piecewise linear, so outside the data its dropout-perturbed outputs spread
        // in proportion to |x|: the variance there must exceed the variance over the data.
        var generator = new RandomGenerator(5);
        Tensor x = Tensor.Uniform([128, 1], -1f, 1f, generator);
        Tensor t = SineTargets(x, 3f, 0.1f, generator);
        var model = DropoutRegressor(6, 0.1f);
        new Trainer(model, new Adam(model.Parameters(), 0.01f), new MeanSquaredError()).Fit(Dataset.ForRegression(x, t), 100, 32, seed: 7);
        Tensor inside = Tensor.Linspace(-1f, 1f, 21).Reshape(21, 1);
        Tensor outside = Tensor.FromArray([-4f, -3f, 3f, 4f], new Shape(4, 1));
        float[] insideVariance = McDropout.Predict(model, inside, samples: 200, seed: 3).Variance.ToArray();
        float[] outsideVariance = McDropout.Predict(model, outside, samples: 200, seed: 3).Variance.ToArray();
        output.WriteLine($"MC-dropout variance: mean over [-1, 1] {insideVariance.Average():E3}; at x = -4, -3, 3, 4: {string.Join(", ", outsideVariance.Select(v => v.ToString("E3")))}");
        Assert.True(outsideVariance.Min() > insideVariance.Average(), "every point far from the data is less certain than the data's average");
        Assert.True(outsideVariance[0] > outsideVariance[1] && outsideVariance[3] > outsideVariance[2], "and the further, the less certain");
    }

    [Fact]
    public void ArdRanksIrrelevantInputsLast()
    {
        // t = sin(2x₀) + 0.8·x₁ + noise; x₂ and x₃ are pure noise.
        var generator = new RandomGenerator(8);
        Tensor x = Tensor.Uniform([120, 4], -1f, 1f, generator);
        var t = new float[120];
        for (int i = 0; i < 120; i++) t[i] = MathF.Sin(2 * x[i, 0]) + 0.8f * x[i, 1] + 0.05f * generator.NextNormal();
        var model = new Sequential(new Dense(4, 6, new Tanh(), generator: generator), new Dense(6, 1, generator: generator));
        ArdResult result = AutomaticRelevanceDetermination.Fit(model, x, Tensor.Wrap(t, new Shape(120, 1)), cycles: 10, stepsPerCycle: 300, learningRate: 0.02f);
        output.WriteLine(result.ToTable());
        int[] ranking = result.Ranking;
        Assert.Equal([0, 1], ranking[..2].Order());
        Assert.Equal([2, 3], ranking[2..].Order());
        Assert.True(result.InputPrecisions[2] > 2 * result.InputPrecisions[1] && result.InputPrecisions[3] > 2 * result.InputPrecisions[1], "the irrelevant inputs' precisions stand clearly above the relevant ones'");
    }
}
