using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.NN.Losses;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Diagnostics;

/// <summary>
/// The error surface around trained weights θ: the loss along a line θ + α·d or over a plane
/// θ + α·d₁ + β·d₂ through weight space, evaluated without gradients in evaluation mode; the model's
/// weights are put back afterwards. Draw the results with <c>SurfacePlots.SaveLine</c> and
/// <c>SurfacePlots.SavePlane</c> of Dendrite.Plots.
/// </summary>
/// <remarks>
/// Random directions are drawn from N(0, 1) and rescaled per weight tensor to that tensor's norm
/// ("filter normalisation" at tensor level, Li et al. 2018, "Visualizing the loss landscape of
/// neural nets"), so that α = 1 is a step as large as the weights themselves in every layer and
/// surfaces of different networks are comparable. Biases and other one-dimensional parameters
/// (batch-norm scales) are held fixed, as Li et al. do.
/// </remarks>
public static class ErrorSurface
{
    /// <summary>The loss at θ + α·d for each α, along a random normalised direction d.</summary>
    /// <param name="model">The trained model (its weights are θ).</param>
    /// <param name="loss">The loss to evaluate.</param>
    /// <param name="features">Shape [n, ...]: the samples the loss is measured on (a few thousand suffice).</param>
    /// <param name="targets">Their targets.</param>
    /// <param name="alphas">Steps along the direction; 0 is the trained weights.</param>
    /// <param name="seed">Seeds the direction.</param>
    public static double[] Line(Module model, Loss loss, Tensor features, Tensor targets, IReadOnlyList<double> alphas, long seed = 0)
    {
        Check(model, loss, features, targets);
        ArgumentNullException.ThrowIfNull(alphas);
        var parameters = model.Parameters().ToList();
        var direction = RandomDirection(parameters, new RandomGenerator(seed));
        return Evaluate(model, parameters, loss, features, targets, alphas.Select(a => (a, 0.0)).ToList(), direction, null);
    }

    /// <summary>
    /// The loss along the straight line from <paramref name="start"/> (α = 0, e.g. the weights at
    /// initialisation) to the trained weights (α = 1), and beyond for α outside [0, 1]: Goodfellow,
    /// Vinyals and Saxe's (2015) picture of what the optimiser crossed.
    /// </summary>
    /// <param name="model">The trained model.</param>
    /// <param name="loss">The loss to evaluate.</param>
    /// <param name="features">Shape [n, ...]: the samples the loss is measured on.</param>
    /// <param name="targets">Their targets.</param>
    /// <param name="start">Parameter values by name (as <see cref="Module.StateDict"/> gives them) at the start of the line; parameters not named are held fixed.</param>
    /// <param name="alphas">Positions along the line: 0 at <paramref name="start"/>, 1 at the trained weights.</param>
    public static double[] Interpolate(Module model, Loss loss, Tensor features, Tensor targets, IReadOnlyDictionary<string, float[]> start, IReadOnlyList<double> alphas)
    {
        Check(model, loss, features, targets);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(alphas);
        var named = model.NamedParameters().ToList();
        var parameters = named.Select(p => p.Parameter).ToList();
        // θ(α) = θ_start + α(θ − θ_start) = θ + (α − 1)(θ − θ_start): a line through θ with direction θ − θ_start.
        var direction = named.Select(p =>
        {
            if (!start.TryGetValue(p.Name, out float[]? values)) return new float[p.Parameter.Count];
            if (values.Length != p.Parameter.Count)
                throw new ArgumentException($"ErrorSurface.Interpolate: the start value of '{p.Name}' has {values.Length} elements but the parameter has {p.Parameter.Count}.", nameof(start));
            float[] d = p.Parameter.ToArray();
            TensorPrimitives.Subtract(d, values, d);
            return d;
        }).ToList();
        return Evaluate(model, parameters, loss, features, targets, alphas.Select(a => (a - 1, 0.0)).ToList(), direction, null);
    }

    /// <summary>The loss at θ + α·d₁ + β·d₂ on a grid, for two random normalised directions.</summary>
    /// <param name="model">The trained model (its weights are θ).</param>
    /// <param name="loss">The loss to evaluate.</param>
    /// <param name="features">Shape [n, ...]: the samples the loss is measured on.</param>
    /// <param name="targets">Their targets.</param>
    /// <param name="alphas">Steps along the first direction.</param>
    /// <param name="betas">Steps along the second direction.</param>
    /// <param name="seed">Seeds the directions.</param>
    /// <returns>Shape [alphas.Count, betas.Count]: the loss at (alphas[i], betas[j]).</returns>
    public static double[,] Plane(Module model, Loss loss, Tensor features, Tensor targets, IReadOnlyList<double> alphas, IReadOnlyList<double> betas, long seed = 0)
    {
        Check(model, loss, features, targets);
        ArgumentNullException.ThrowIfNull(alphas);
        ArgumentNullException.ThrowIfNull(betas);
        var parameters = model.Parameters().ToList();
        var generator = new RandomGenerator(seed);
        var first = RandomDirection(parameters, generator);
        var second = RandomDirection(parameters, generator);
        var points = new List<(double, double)>(alphas.Count * betas.Count);
        foreach (double alpha in alphas)
            foreach (double beta in betas) points.Add((alpha, beta));
        double[] values = Evaluate(model, parameters, loss, features, targets, points, first, second);
        var grid = new double[alphas.Count, betas.Count];
        for (int i = 0; i < alphas.Count; i++)
            for (int j = 0; j < betas.Count; j++) grid[i, j] = values[i * betas.Count + j];
        return grid;
    }

    private static void Check(Module model, Loss loss, Tensor features, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        if (features.Rank == 0 || targets.Rank == 0 || features.Shape[0] != targets.Shape[0] || features.Shape[0] == 0)
            throw new ShapeMismatchException($"ErrorSurface: features {features.Shape} and targets {targets.Shape} must be non-empty batches of the same length.");
    }

    /// <summary>One N(0, 1) direction per weight tensor (rank ≥ 2), rescaled to the tensor's norm; zeros for the rest.</summary>
    private static List<float[]> RandomDirection(List<Parameter> parameters, RandomGenerator generator)
    {
        var direction = new List<float[]>(parameters.Count);
        foreach (Parameter parameter in parameters)
        {
            var d = new float[parameter.Count];
            if (parameter.Rank >= 2)
            {
                Tensor.Normal(parameter.Shape, 0f, 1f, generator).CopyTo(d);
                float norm = TensorPrimitives.Norm(d), target = TensorPrimitives.Norm(parameter.Data);
                if (norm > 0) TensorPrimitives.Multiply(d, target / norm, d);
            }
            direction.Add(d);
        }
        return direction;
    }

    private static double[] Evaluate(Module model, List<Parameter> parameters, Loss loss, Tensor features, Tensor targets,
        List<(double Alpha, double Beta)> points, List<float[]> first, List<float[]>? second)
    {
        var original = parameters.Select(p => p.ToArray()).ToList();
        var modes = model.NamedModules().Select(m => (m.Module, m.Module.IsTraining)).ToList();
        var results = new double[points.Count];
        try
        {
            model.Eval();
            using var _ = new NoGrad();
            for (int k = 0; k < points.Count; k++)
            {
                var (alpha, beta) = points[k];
                for (int i = 0; i < parameters.Count; i++)
                {
                    Span<float> values = parameters[i].Data;
                    original[i].CopyTo(values);
                    if (alpha != 0) TensorPrimitives.MultiplyAdd(first[i], (float)alpha, values, values);
                    if (second is not null && beta != 0) TensorPrimitives.MultiplyAdd(second[i], (float)beta, values, values);
                }
                results[k] = MeanLoss(model, loss, features, targets);
            }
        }
        finally
        {
            for (int i = 0; i < parameters.Count; i++) original[i].CopyTo(parameters[i].Data);
            foreach (var (module, training) in modes) module.Train(training);
        }
        return results;
    }

    private static double MeanLoss(Module model, Loss loss, Tensor features, Tensor targets)
    {
        const int BatchSize = 1024;
        int count = features.Shape[0];
        double sum = 0;
        for (int start = 0; start < count; start += BatchSize)
        {
            int size = Math.Min(BatchSize, count - start);
            Tensor output = model.Forward(features.Narrow(0, start, size));
            sum += (double)loss.Compute(output, targets.Narrow(0, start, size)).Item() * size;
        }
        return sum / count;
    }
}
