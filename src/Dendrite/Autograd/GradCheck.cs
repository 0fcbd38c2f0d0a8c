using System.Globalization;
using System.Text;
using Dendrite.Tensors;

namespace Dendrite.Autograd;

/// <summary>
/// Checks analytic gradients against central finite differences, the way every differentiable op
/// in Dendrite is tested; use it on your own functions and layers too.
/// </summary>
/// <remarks>
/// The function's output y is contracted with a random upstream gradient dy (not all ones, which
/// hides transposition and broadcasting mistakes): L = Σ y·dy. The analytic gradient comes from
/// <c>y.Backward(dy)</c>; the numeric one perturbs each input element by ±ε and takes
/// (L(x+ε) − L(x−ε)) / 2ε, accumulating L in double. An element passes when
/// |analytic − numeric| ≤ absoluteTolerance + relativeTolerance·|numeric|.
/// </remarks>
public static class GradCheck
{
    /// <summary>
    /// Compares gradients of <paramref name="function"/> with respect to each tensor in
    /// <paramref name="inputs"/> (contiguous leaves; they are set to require gradients). The function
    /// must be deterministic and read the inputs afresh on each call.
    /// </summary>
    public static GradCheckResult Run(Func<Tensor> function, IReadOnlyList<Tensor> inputs, double epsilon = 1e-3,
        double relativeTolerance = 1e-2, double absoluteTolerance = 1e-3, long seed = 1234)
    {
        ArgumentNullException.ThrowIfNull(function);
        foreach (Tensor input in inputs)
        {
            if (!input.IsLeaf) throw new ArgumentException($"GradCheck: inputs must be leaf tensors; a {input.Shape} input is the output of {input.OperationName}.", nameof(inputs));
            if (!input.IsContiguous) throw new ArgumentException($"GradCheck: inputs must be contiguous; a {input.Shape} input is a strided view.", nameof(inputs));
            input.RequiresGrad = true;
            input.ZeroGrad();
        }

        Tensor output = function();
        var generator = new RandomGenerator(seed);
        Tensor upstream = Tensor.Randn(output.Shape, generator);
        float[] dy = upstream.ToArray();
        if (!output.RequiresGrad)
            throw new InvalidOperationException($"GradCheck: the function's {output.Shape} output does not depend on any input that requires a gradient.");
        output.Backward(upstream);

        var mismatches = new List<GradCheckMismatch>();
        double maxError = 0;
        int checkedCount = 0;
        for (int inputIndex = 0; inputIndex < inputs.Count; inputIndex++)
        {
            Tensor input = inputs[inputIndex];
            float[] analytic = input.Grad?.ToArray() ?? new float[input.Count];
            Span<float> data = input.Data;
            using (new NoGrad())
            {
                for (int j = 0; j < data.Length; j++)
                {
                    float original = data[j];
                    data[j] = (float)(original + epsilon);
                    double plus = Contract(function(), dy);
                    data[j] = (float)(original - epsilon);
                    double minus = Contract(function(), dy);
                    data[j] = original;
                    double numeric = (plus - minus) / (2 * epsilon);
                    double error = Math.Abs(analytic[j] - numeric);
                    maxError = Math.Max(maxError, error);
                    checkedCount++;
                    if (!(error <= absoluteTolerance + relativeTolerance * Math.Abs(numeric)))
                        mismatches.Add(new GradCheckMismatch(inputIndex, j, input.Shape, analytic[j], numeric));
                }
            }
            input.ZeroGrad();
        }
        return new GradCheckResult(mismatches, maxError, checkedCount);
    }

    /// <summary>Runs the check and throws a <see cref="GradCheckException"/> listing the worst mismatches when any element fails.</summary>
    public static void Assert(Func<Tensor> function, params Tensor[] inputs)
    {
        GradCheckResult result = Run(function, inputs);
        if (!result.Passed) throw new GradCheckException(result.ToString());
    }

    private static double Contract(Tensor output, float[] dy)
    {
        float[] y = output.ToArray();
        if (y.Length != dy.Length)
            throw new InvalidOperationException($"GradCheck: the function returned {y.Length} elements on a later call but {dy.Length} on the first; it must be deterministic.");
        double sum = 0;
        for (int i = 0; i < y.Length; i++) sum += (double)y[i] * dy[i];
        return sum;
    }
}

/// <summary>One gradient element where the analytic and numeric values disagree.</summary>
/// <param name="InputIndex">Which input (position in the list given to the check).</param>
/// <param name="ElementIndex">Row-major index of the element within that input.</param>
/// <param name="InputShape">Shape of that input.</param>
/// <param name="Analytic">d(Σ y·dy)/dx from <c>Backward()</c>.</param>
/// <param name="Numeric">The central finite difference.</param>
public readonly record struct GradCheckMismatch(int InputIndex, int ElementIndex, Shape InputShape, double Analytic, double Numeric);

/// <summary>The outcome of <see cref="GradCheck.Run"/>.</summary>
/// <param name="Mismatches">Elements outside the tolerance.</param>
/// <param name="MaxAbsoluteError">Largest |analytic − numeric| over all elements.</param>
/// <param name="CheckedElements">How many gradient elements were compared.</param>
public sealed record GradCheckResult(IReadOnlyList<GradCheckMismatch> Mismatches, double MaxAbsoluteError, int CheckedElements)
{
    /// <summary>True when every element is within tolerance.</summary>
    public bool Passed => Mismatches.Count == 0;

    /// <summary>A summary naming up to ten mismatching elements.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"GradCheck: {Mismatches.Count} of {CheckedElements} gradient elements differ from finite differences (max |error| {MaxAbsoluteError:G4}).");
        foreach (var m in Mismatches.Take(10))
            builder.Append(CultureInfo.InvariantCulture, $"\n  input {m.InputIndex} {m.InputShape} element {m.ElementIndex}: analytic {m.Analytic:G6}, numeric {m.Numeric:G6}");
        return builder.ToString();
    }
}

/// <summary>Thrown by <see cref="GradCheck.Assert"/> when gradients disagree with finite differences.</summary>
public sealed class GradCheckException : Exception
{
    /// <summary>Creates the exception with the check's summary.</summary>
    public GradCheckException(string message) : base(message) { }

    /// <summary>Creates the exception without a message.</summary>
    public GradCheckException() { }

    /// <summary>Creates the exception with a message and cause.</summary>
    public GradCheckException(string message, Exception innerException) : base(message, innerException) { }
}
