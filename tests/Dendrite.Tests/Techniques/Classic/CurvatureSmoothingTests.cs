using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Optim;
using Dendrite.Techniques.Classic;
using Xunit.Abstractions;

namespace Dendrite.Tests.Techniques.Classic;

/// <summary>
/// Curvature-driven smoothing: the exact second derivatives agree with double-precision finite
/// differences of the network, the penalty passes a gradient check, the finite-difference penalty
/// agrees with the exact one, and the penalty smooths a fit to noisy data.
/// </summary>
public class CurvatureSmoothingTests(ITestOutputHelper output)
{
    public static TheoryData<string> Activations() => ["tanh", "sigmoid", "lecun_tanh", "softplus"];

    private static ActivationLayer Activation(string name) => name switch
    {
        "tanh" => new Tanh(),
        "sigmoid" => new Sigmoid(),
        "lecun_tanh" => new LecunTanh(),
        _ => new Softplus(),
    };

    private static double Reference(string name, double a) => name switch
    {
        "tanh" => Math.Tanh(a),
        "sigmoid" => 1 / (1 + Math.Exp(-a)),
        "lecun_tanh" => 1.7159 * Math.Tanh(2 * a / 3),
        _ => Math.Log(1 + Math.Exp(a)),
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void SecondDerivativesMatchFiniteDifferencesOfTheNetworkInDouble(string activation)
    {
        const int d = 3, h = 5, k = 2, n = 4;
        var net = Models.Mlp([d, h, k], () => Activation(activation), generator: new RandomGenerator(1));
        Tensor x = Tensor.Uniform([n, d], -1f, 1f, new RandomGenerator(2));
        float[] analytic;
        using (new NoGrad()) analytic = CurvatureSmoothing.SecondDerivatives(net, x).ToArray();   // [N, K, D]

        var hidden = (Dense)net[0];
        var top = (Dense)net[1];
        float[] w = hidden.Weight.ToArray(), b = hidden.Bias!.ToArray(), v = top.Weight.ToArray(), c = top.Bias!.ToArray();
        double Y(double[] input, int output)
        {
            double sum = c[output];
            for (int j = 0; j < h; j++)
            {
                double a = b[j];
                for (int i = 0; i < d; i++) a += w[j * d + i] * input[i];
                sum += v[output * h + j] * Reference(activation, a);
            }
            return sum;
        }
        const double step = 1e-4;
        for (int s = 0; s < n; s++)
            for (int o = 0; o < k; o++)
                for (int i = 0; i < d; i++)
                {
                    double[] point = [.. Enumerable.Range(0, d).Select(j => (double)x[s, j])];
                    double center = Y(point, o);
                    point[i] += step;
                    double plus = Y(point, o);
                    point[i] -= 2 * step;
                    double minus = Y(point, o);
                    double numeric = (plus - 2 * center + minus) / (step * step);
                    Assert.Equal(numeric, analytic[(s * k + o) * d + i], 1e-3 + 1e-3 * Math.Abs(numeric));
                }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void ThePenaltyPassesAGradientCheck(string activation)
    {
        var net = Models.Mlp([2, 3, 2], () => Activation(activation), generator: new RandomGenerator(3));
        Tensor x = Tensor.Uniform([4, 2], -1f, 1f, new RandomGenerator(4));
        GradCheckResult result = GradCheck.Run(() => CurvatureSmoothing.Penalty(net, x), [.. net.Parameters()]);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void TheFiniteDifferencePenaltyAgreesWithTheExactOne()
    {
        var net = Models.Mlp([2, 6, 1], () => new Tanh(), generator: new RandomGenerator(5));
        Tensor x = Tensor.Uniform([10, 2], -1f, 1f, new RandomGenerator(6));
        using var _ = new NoGrad();
        float exact = CurvatureSmoothing.Penalty(net, x).Item();
        float approximate = CurvatureSmoothing.FiniteDifferencePenalty(net, x, step: 2e-2f).Item();
        Assert.True(Math.Abs(exact - approximate) <= 0.02 * exact, $"exact {exact}, finite differences {approximate}");
        // The finite-difference form works for a network the exact form does not cover.
        var deep = Models.Mlp([2, 4, 4, 1], () => new Tanh(), generator: new RandomGenerator(7));
        Assert.Throws<NotSupportedException>(() => CurvatureSmoothing.Penalty(deep, x));
        Assert.True(float.IsFinite(CurvatureSmoothing.FiniteDifferencePenalty(deep, x).Item()));
        Assert.Throws<NotSupportedException>(() => CurvatureSmoothing.Penalty(Models.Mlp([2, 4, 1], () => new Relu()), x));
    }

    [Fact]
    public void ThePenaltySmoothsAFitToNoisyData()
    {
        // 30 noisy samples of sin(πx), σ = 0.2, fitted by a 1-30-1 tanh network (91 weights) with and
        // without λ·Ω; Ω is evaluated on 41 points covering [−1, 1] (it needs no targets), so that the fit
        // cannot bend between and beyond the samples.
        var generator = new RandomGenerator(9);
        Tensor x = Tensor.Uniform([30, 1], -1f, 1f, generator);
        Tensor y = Tensor.FromArray(x.ToArray().Select(v => MathF.Sin(MathF.PI * v) + 0.2f * generator.NextNormal()).ToArray(), new Shape(30, 1));
        Tensor grid = Tensor.Linspace(-1f, 1f, 201).Reshape(201, 1);
        Tensor truth = Tensor.FromArray(grid.ToArray().Select(v => MathF.Sin(MathF.PI * v)).ToArray(), new Shape(201, 1));
        Tensor penaltyPoints = Tensor.Linspace(-1f, 1f, 41).Reshape(41, 1);

        (double Curvature, double Error) Fit(float lambda)
        {
            var net = Models.Mlp([1, 30, 1], () => new Tanh(), generator: new RandomGenerator(10));
            var optimizer = new Rprop(net.Parameters(), 0.01f);
            for (int i = 0; i < 1500; i++)
            {
                optimizer.ZeroGrad();
                Tensor loss = (net.Forward(x) - y).Square().Mean();
                if (lambda > 0) loss += CurvatureSmoothing.Penalty(net, penaltyPoints) * lambda;
                loss.Backward();
                optimizer.Step();
            }
            using var _ = new NoGrad();
            double curvature = CurvatureSmoothing.SecondDerivatives(net, grid).Square().Mean().Item();   // mean (y'')² on the grid
            double error = (net.Forward(grid) - truth).Square().Mean().Item();
            return (curvature, error);
        }

        var plain = Fit(0f);
        var smoothed = Fit(1e-3f);
        output.WriteLine($"1-30-1 tanh on 30 noisy points of sin(πx): mean (y'')² on [−1, 1] {plain.Curvature:F1} without the penalty, {smoothed.Curvature:F1} with λ = 1e-3 (sin(πx) has {Math.Pow(Math.PI, 4) / 2:F1}); error against sin(πx) {plain.Error:F4} → {smoothed.Error:F4}.");
        Assert.True(smoothed.Curvature < 0.1 * plain.Curvature, $"curvature {plain.Curvature} without, {smoothed.Curvature} with the penalty");
        Assert.True(smoothed.Error < plain.Error, $"error against sin(πx) {plain.Error} without, {smoothed.Error} with the penalty");
    }
}
