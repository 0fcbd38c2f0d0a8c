using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Ops;
using Dendrite.Optim;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Classic;

/// <summary>One width of the universal-approximation demonstration.</summary>
/// <param name="Width">H, the number of hidden units.</param>
/// <param name="Weights">3H + 1, the network's parameters.</param>
/// <param name="TrainingMse">The mean squared error on the training points.</param>
/// <param name="TestMse">The mean squared error on the (denser) test grid.</param>
/// <param name="TestFit">The network's output at each test point.</param>
public sealed record ApproximationResult(int Width, long Weights, double TrainingMse, double TestMse, float[] TestFit);

/// <summary>
/// The universal approximation theorem (Cybenko 1989; Hornik, Stinchcombe and White 1989) shown
/// rather than proved: one hidden layer of tanh units, y(x) = Σ_j v_j·tanh(w_j·x + b_j) + c, fits a 1-D
/// function with a jump ever more closely as the width H grows. Each width is trained full-batch by
/// Rprop from several initialisations (<see cref="MultiStart"/>), keeping the start with the lowest
/// training error (the question is what a width can represent, not how it generalises), and is
/// measured on a test grid four times denser than the training points.
/// </summary>
public static class UniversalApproximation
{
    /// <summary>The demonstration's default target on [−1, 1]: sin(2πx) plus a unit step at x = 0.2, f = sin(2πx) + [x ≥ 0.2].</summary>
    public static double SineWithStep(double x) => Math.Sin(2 * Math.PI * x) + (x >= 0.2 ? 1.0 : 0.0);

    /// <summary><paramref name="count"/> evenly spaced points from <paramref name="from"/> to <paramref name="to"/> (both included).</summary>
    public static double[] Grid(double from, double to, int count)
    {
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "UniversalApproximation: a grid needs at least two points.");
        return [.. Enumerable.Range(0, count).Select(i => from + (to - from) * i / (count - 1))];
    }

    /// <summary>Fits networks of each width to <paramref name="target"/> and measures them.</summary>
    /// <param name="target">The function to approximate on [<paramref name="from"/>, <paramref name="to"/>].</param>
    /// <param name="widths">The hidden-layer widths to try (each ≥ 1).</param>
    /// <param name="trainingPoints">Evenly spaced training inputs (≥ 2).</param>
    /// <param name="iterations">Full-batch Rprop steps per start.</param>
    /// <param name="starts">Initialisations per width; the best by training error is kept.</param>
    /// <param name="from">The interval's left end.</param>
    /// <param name="to">The interval's right end.</param>
    /// <param name="seed">Seeds every initialisation.</param>
    /// <returns>One result per width, in the order given; test points are <see cref="Grid"/>(from, to, 4·(trainingPoints − 1) + 1).</returns>
    public static IReadOnlyList<ApproximationResult> Run(Func<double, double> target, IReadOnlyList<int> widths, int trainingPoints = 100,
        int iterations = 10_000, int starts = 3, double from = -1, double to = 1, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(widths);
        if (widths.Any(w => w < 1)) throw new ArgumentOutOfRangeException(nameof(widths), "UniversalApproximation: every width must be at least 1.");
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "UniversalApproximation: at least one iteration is needed.");
        double[] trainX = Grid(from, to, trainingPoints);
        double[] testX = Grid(from, to, 4 * (trainingPoints - 1) + 1);
        (Tensor x, Tensor y) = Sample(target, trainX);
        (Tensor testInputs, Tensor testTargets) = Sample(target, testX);

        var results = new List<ApproximationResult>(widths.Count);
        foreach (int width in widths)
        {
            MultiStartResult best = MultiStart.Run(starts,
                generator => Train(width, x, y, iterations, generator),
                model => MeanSquaredError(model, x, y),
                seed: seed * 7919 + width);
            Module model = best.Model;
            float[] fit;
            using (new NoGrad()) fit = model.Forward(testInputs).ToArray();
            results.Add(new ApproximationResult(width, model.ParameterCount().Trainable, best.Best.ValidationLoss,
                MeanSquaredError(model, testInputs, testTargets), fit));
        }
        return results;
    }

    /// <summary>One start: a 1-H-1 tanh network trained full-batch by Rprop on the mean squared error.</summary>
    private static Sequential Train(int width, Tensor x, Tensor y, int iterations, RandomGenerator generator)
    {
        // Hidden weights and biases drawn from U(−5, 5) rather than Glorot's narrow range, so that some
        // units start steep and their centres −b/w spread over the interval: a jump needs a steep unit.
        Sequential model = Models.Mlp([1, width, 1], () => new Tanh(), generator: generator);
        var hidden = (Dense)model[0];
        generator.FillUniform(hidden.Weight.Data, -5f, 5f);
        generator.FillUniform(hidden.Bias!.Data, -5f, 5f);
        // Rprop uses only the gradient's sign, so it keeps making progress at errors of 10⁻⁵ where
        // float32 rounding stalls the line searches of L-BFGS and conjugate gradient.
        var optimizer = new Rprop(model.Parameters(), learningRate: 0.01f, maxStep: 1f);
        for (int i = 0; i < iterations; i++)
        {
            optimizer.ZeroGrad();
            (model.Forward(x) - y).Square().Mean().Backward();
            optimizer.Step();
        }
        return model;
    }

    private static (Tensor Inputs, Tensor Targets) Sample(Func<double, double> target, double[] points) =>
        (Tensor.FromArray([.. points.Select(v => (float)v)], new Shape(points.Length, 1)),
         Tensor.FromArray([.. points.Select(v => (float)target(v))], new Shape(points.Length, 1)));

    private static double MeanSquaredError(Module model, Tensor inputs, Tensor targets)
    {
        using var _ = new NoGrad();
        return (model.Forward(inputs) - targets).Square().Mean().Item();
    }
}
