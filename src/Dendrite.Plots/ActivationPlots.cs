using System.Globalization;
using ScottPlot;

namespace Dendrite.Plots;

/// <summary>
/// Activation functions and their derivatives side by side: the comparison figures that show why
/// sigmoid and tanh units learn slowly when saturated (derivative at most 0.25 and 1) and ReLU-like
/// units do not.
/// </summary>
public static class ActivationPlots
{
    /// <summary>Number of points sampled over [from, to].</summary>
    private const int Samples = 801;

    /// <summary>
    /// Two panels: each function f on the left, its derivative f′ on the right, in the same colour.
    /// </summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="functions">Name (legend), function and derivative; <see cref="ClassicFunctions"/> has the usual ones.</param>
    /// <param name="from">Left end of the x range.</param>
    /// <param name="to">Right end of the x range.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>The full path of the written PNG.</returns>
    public static string Save(string path, IReadOnlyList<(string Name, Func<double, double> F, Func<double, double> Derivative)> functions,
        double from = -5, double to = 5, int width = Figure.WideWidth, int height = Figure.DefaultHeight)
    {
        const string Where = "ActivationPlots.Save";
        Check.Path(Where, path);
        Check.NotEmpty(Where, nameof(functions), functions?.Count ?? 0);
        Check.Range(Where, from, to);
        Check.Size(Where, width, height);

        var x = new double[Samples];
        for (int i = 0; i < Samples; i++) x[i] = from + (to - from) * i / (Samples - 1);

        var valuePlot = Figure.NewPlot("activation f(x)", "x", "f(x)");
        var derivativePlot = Figure.NewPlot("derivative f′(x)", "x", "f′(x)");
        for (int index = 0; index < functions!.Count; index++)
        {
            var (name, f, derivative) = functions[index];
            if (f is null || derivative is null)
                throw new ArgumentException($"{Where}: '{name}' has no function or no derivative; pass both.", nameof(functions));
            var color = Figure.SeriesColor(index, functions.Count);
            Figure.AddLine(valuePlot, Figure.Points(x, x.Select(f).ToArray(), logY: false), name, color);
            Figure.AddLine(derivativePlot, Figure.Points(x, x.Select(derivative).ToArray(), logY: false), name, color);
        }
        foreach (var plot in new[] { valuePlot, derivativePlot })
        {
            // Axes through the origin make saturation and the derivative's peak easy to read.
            plot.Add.HorizontalLine(0, width: 1, color: Colors.Gray);
            plot.Add.VerticalLine(0, width: 1, color: Colors.Gray);
        }
        // One legend for both panels (same names, same colours), where the functions leave room.
        valuePlot.ShowLegend(Alignment.UpperLeft);
        return Figure.Save(path, Figure.Columns(valuePlot, derivativePlot), width, height);
    }

    /// <summary>
    /// The activations compared in the classic texts, with their derivatives: sigmoid, tanh, LeCun's
    /// scaled tanh, ReLU, leaky ReLU, ELU and softplus.
    /// </summary>
    /// <param name="leakyReluSlope">Leaky ReLU's slope for x &lt; 0 (the layer's default is 0.01; 0.1 makes the slope visible in a figure).</param>
    /// <param name="eluAlpha">ELU's α: it tends to −α for very negative x.</param>
    public static IReadOnlyList<(string Name, Func<double, double> F, Func<double, double> Derivative)> ClassicFunctions(
        double leakyReluSlope = 0.1, double eluAlpha = 1)
    {
        static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        string slope = leakyReluSlope.ToString("G3", CultureInfo.InvariantCulture);
        string alpha = eluAlpha.ToString("G3", CultureInfo.InvariantCulture);
        return
        [
            // σ′ = σ(1 − σ), at most 1/4 at x = 0.
            ("sigmoid", Sigmoid, x => Sigmoid(x) * (1 - Sigmoid(x))),
            // tanh′ = 1 − tanh², at most 1 at x = 0.
            ("tanh", Math.Tanh, x => 1 - Math.Tanh(x) * Math.Tanh(x)),
            // 1.7159·tanh(2x/3), so that f(±1) = ±1; f′ = 1.7159·(2/3)·(1 − tanh²(2x/3)).
            ("LeCun tanh", x => 1.7159 * Math.Tanh(2 * x / 3), x => 1.7159 * 2 / 3 * (1 - Math.Tanh(2 * x / 3) * Math.Tanh(2 * x / 3))),
            // Derivative 0 at x = 0, as the ReLU op uses.
            ("ReLU", x => Math.Max(0, x), x => x > 0 ? 1 : 0),
            ($"leaky ReLU (α = {slope})", x => x > 0 ? x : leakyReluSlope * x, x => x > 0 ? 1 : leakyReluSlope),
            // α(eˣ − 1) for x ≤ 0, derivative αeˣ there.
            (eluAlpha == 1 ? "ELU" : $"ELU (α = {alpha})", x => x > 0 ? x : eluAlpha * (Math.Exp(x) - 1), x => x > 0 ? 1 : eluAlpha * Math.Exp(x)),
            // ln(1 + eˣ), written to stay finite for large x; its derivative is σ(x).
            ("softplus", x => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x))), Sigmoid),
        ];
    }
}
