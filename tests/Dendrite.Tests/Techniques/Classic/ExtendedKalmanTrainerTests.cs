using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Techniques.Classic;
using Xunit.Abstractions;

namespace Dendrite.Tests.Techniques.Classic;

/// <summary>
/// The EKF trainer: on a linear model it is exactly recursive Bayesian least squares; it trains XOR
/// and a sine regression to stated losses, globally and decoupled per neuron; the per-neuron variant
/// trains a 501-weight network with 4 % of the global filter's covariance.
/// </summary>
public class ExtendedKalmanTrainerTests(ITestOutputHelper output)
{
    [Fact]
    public void OnALinearModelOnePassGivesTheBayesianLeastSquaresSolution()
    {
        // y = w·x + b with P₀ = p₀·I, R = r, Q = 0: after all samples the filter's weights are the
        // posterior mean (XᵀX/r + I/p₀)⁻¹·(Xᵀt/r + θ₀/p₀) with X = [x, 1], θ₀ the initial weights.
        const int n = 30, d = 3;
        const double p0 = 10, r = 0.5;
        var generator = new RandomGenerator(1);
        Tensor x = Tensor.Normal([n, d], 0f, 1f, generator);
        Tensor t = Tensor.FromArray(Enumerable.Range(0, n).Select(i => 2f * x[i, 0] - x[i, 1] + 0.5f * x[i, 2] + 0.3f + 0.1f * generator.NextNormal()).ToArray(), new Shape(n, 1));
        var model = new Dense(d, 1, generator: new RandomGenerator(2));
        double[] theta0 = [.. model.Weight.ToArray().Select(v => (double)v), model.Bias!.Item()];

        var ekf = new ExtendedKalmanTrainer(model, KalmanDecoupling.Global, initialCovariance: p0, measurementNoise: r, processNoise: 0);
        ekf.TrainEpoch(x, t);

        var a = new double[d + 1, d + 1];
        var b = new double[d + 1];
        for (int i = 0; i <= d; i++) { a[i, i] = 1 / p0; b[i] = theta0[i] / p0; }
        for (int s = 0; s < n; s++)
        {
            double[] row = [.. Enumerable.Range(0, d).Select(j => (double)x[s, j]), 1.0];
            for (int i = 0; i <= d; i++)
            {
                b[i] += row[i] * t[s, 0] / r;
                for (int j = 0; j <= d; j++) a[i, j] += row[i] * row[j] / r;
            }
        }
        double[] expected = Solve(a, b);
        double[] actual = [.. model.Weight.ToArray().Select(v => (double)v), model.Bias.Item()];
        for (int i = 0; i <= d; i++) Assert.Equal(expected[i], actual[i], 4);
        Assert.Equal(n, ekf.Updates);
    }

    [Theory]
    [InlineData(KalmanDecoupling.Global, 15)]
    [InlineData(KalmanDecoupling.PerNeuron, 30)]
    public void TrainsXorToFullAccuracyAndMseBelow001(KalmanDecoupling decoupling, int maxEpochs)
    {
        var inputs = Tensor.FromArray([0, 0, 0, 1, 1, 0, 1, 1], new Shape(4, 2));
        var targets = Tensor.FromArray([0, 1, 1, 0], new Shape(4, 1));
        var model = new Sequential(new Dense(2, 4, new Tanh(), generator: new RandomGenerator(3)),
            new Dense(4, 1, new Sigmoid(), generator: new RandomGenerator(1003)));
        var ekf = new ExtendedKalmanTrainer(model, decoupling, initialCovariance: 100, measurementNoise: 1, processNoise: 1e-4);
        var random = new RandomGenerator(1);
        int epochs = 0;
        while (Mse(model, inputs, targets) >= 0.01 || !AllCorrect(model, inputs))
        {
            Assert.True(epochs < maxEpochs, $"EKF ({decoupling}): MSE {Mse(model, inputs, targets):G3} after {maxEpochs} epochs of 4 samples.");
            ekf.TrainEpoch(inputs, targets, random);
            epochs++;
        }
        output.WriteLine($"EKF ({decoupling}, P₀ = 100·I, R = 1, Q = 1e-4), XOR 2-4-1: 100% accuracy and MSE < 0.01 after {epochs} epochs ({4 * epochs} sample updates).");
    }

    [Theory]
    [InlineData(KalmanDecoupling.Global, 1e-3)]
    [InlineData(KalmanDecoupling.PerNeuron, 1e-2)]
    public void FitsASineInFiftyEpochs(KalmanDecoupling decoupling, double mse)
    {
        // y = sin(πx) on 40 points of [−1, 1], a 1-10-1 tanh network (31 weights), R annealed 1 → 0.01.
        Tensor x = Tensor.Linspace(-1f, 1f, 40).Reshape(40, 1);
        Tensor y = Tensor.FromArray(x.ToArray().Select(v => MathF.Sin(MathF.PI * v)).ToArray(), new Shape(40, 1));
        var model = Models.Mlp([1, 10, 1], () => new Tanh(), generator: new RandomGenerator(11));
        var ekf = new ExtendedKalmanTrainer(model, decoupling, initialCovariance: 100, measurementNoise: 1, processNoise: 1e-4);
        ekf.Fit(x, y, epochs: 50, finalMeasurementNoise: 0.01, seed: 1);
        double final = Mse(model, x, y);
        output.WriteLine($"EKF ({decoupling}), sin(πx) with 1-10-1 tanh: MSE {final:G3} after 50 epochs (stated bound {mse}).");
        Assert.True(final < mse, $"EKF ({decoupling}): MSE {final} after 50 epochs; expected below {mse}.");
    }

    [Fact]
    public void PerNeuronDecouplingTrainsA501WeightNetworkWithAFractionOfTheCovariance()
    {
        // f(x₁, x₂) = sin(2x₁)·cos(x₂) on 150 random points of [−1.5, 1.5]², a 2-20-20-1 tanh network.
        var generator = new RandomGenerator(21);
        Tensor x = Tensor.Uniform([150, 2], -1.5f, 1.5f, generator);
        Tensor y = Tensor.FromArray(Enumerable.Range(0, 150).Select(i => MathF.Sin(2 * x[i, 0]) * MathF.Cos(x[i, 1])).ToArray(), new Shape(150, 1));
        var model = Models.Mlp([2, 20, 20, 1], () => new Tanh(), generator: new RandomGenerator(22));
        var ekf = new ExtendedKalmanTrainer(model, KalmanDecoupling.PerNeuron, initialCovariance: 100, measurementNoise: 1, processNoise: 1e-4);

        Assert.Equal(501, ekf.ParameterCount);
        Assert.Equal(41, ekf.GroupSizes.Count);                       // one filter per unit: 20 + 20 + 1
        Assert.Equal(20 * 9 + 20 * 441 + 441, ekf.CovarianceSize);   // Σ (fan-in + 1)² = 9,441 instead of 501² = 251,001
        var global = new ExtendedKalmanTrainer(model, KalmanDecoupling.Global);
        Assert.Equal(501L * 501, global.CovarianceSize);
        Assert.Equal([60, 420, 21], new ExtendedKalmanTrainer(model, KalmanDecoupling.PerLayer).GroupSizes);

        double before = Mse(model, x, y);
        ekf.Fit(x, y, epochs: 15, finalMeasurementNoise: 0.05, seed: 2);
        double after = Mse(model, x, y);
        output.WriteLine($"Node-decoupled EKF, 2-20-20-1 (501 weights, 41 filters, {ekf.CovarianceSize:N0} covariance entries): MSE {before:G3} → {after:G3} in 15 epochs.");
        Assert.True(after < 0.01, $"Decoupled EKF: MSE {after} after 15 epochs; expected below 0.01.");
    }

    [Fact]
    public void TheCovarianceShrinksAsTheWeightsBecomeKnown()
    {
        var model = new Dense(2, 1, generator: new RandomGenerator(4));
        var ekf = new ExtendedKalmanTrainer(model, initialCovariance: 10, processNoise: 0);
        Assert.Equal(30, ekf.CovarianceTrace(), 6);
        Tensor x = Tensor.Normal([20, 2], 0f, 1f, new RandomGenerator(5));
        ekf.TrainEpoch(x, Tensor.Zeros([20, 1]));
        Assert.True(ekf.CovarianceTrace() < 1, $"trace of P after 20 samples: {ekf.CovarianceTrace()}");
    }

    [Fact]
    public void AWrongTargetSizeIsRejected()
    {
        var ekf = new ExtendedKalmanTrainer(new Dense(2, 3));
        var error = Assert.Throws<ShapeMismatchException>(() => ekf.Update(Tensor.Zeros([1, 2]), Tensor.Zeros([2])));
        Assert.Contains("3 output(s)", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExtendedKalmanTrainer(new Dense(2, 1), initialCovariance: 0));
    }

    private static double Mse(Module model, Tensor x, Tensor y)
    {
        using var _ = new NoGrad();
        return (model.Forward(x) - y).Square().Mean().Item();
    }

    private static bool AllCorrect(Module model, Tensor inputs)
    {
        using var _ = new NoGrad();
        float[] y = model.Forward(inputs).ToArray();
        return y[0] < 0.5f && y[1] > 0.5f && y[2] > 0.5f && y[3] < 0.5f;
    }

    /// <summary>Gaussian elimination with partial pivoting (a small dense system).</summary>
    private static double[] Solve(double[,] a, double[] b)
    {
        int n = b.Length;
        var m = (double[,])a.Clone();
        var v = (double[])b.Clone();
        for (int c = 0; c < n; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(m[r, c]) > Math.Abs(m[pivot, c])) pivot = r;
            for (int k = 0; k < n; k++) (m[c, k], m[pivot, k]) = (m[pivot, k], m[c, k]);
            (v[c], v[pivot]) = (v[pivot], v[c]);
            for (int r = c + 1; r < n; r++)
            {
                double f = m[r, c] / m[c, c];
                for (int k = c; k < n; k++) m[r, k] -= f * m[c, k];
                v[r] -= f * v[c];
            }
        }
        var solution = new double[n];
        for (int r = n - 1; r >= 0; r--)
        {
            double sum = v[r];
            for (int k = r + 1; k < n; k++) sum -= m[r, k] * solution[k];
            solution[r] = sum / m[r, r];
        }
        return solution;
    }
}
