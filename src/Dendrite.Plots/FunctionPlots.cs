using ScottPlot;

namespace Dendrite.Plots;

/// <summary>
/// Functions of one variable: a target and the networks' fits of it (the universal-approximation
/// demonstration), and any single curve y(x), such as error against hidden-layer width.
/// </summary>
public static class FunctionPlots
{
    /// <summary>The target function in black and each fit in its own colour, over the same x.</summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="x">The inputs, in increasing order.</param>
    /// <param name="target">The target's value at each x.</param>
    /// <param name="fits">Name (e.g. "8 hidden units") to the fit's value at each x.</param>
    /// <param name="title">The figure's title.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>The full path of the written PNG.</returns>
    public static string SaveFits(string path, double[] x, double[] target, IReadOnlyDictionary<string, double[]> fits,
        string title = "target and fits", int width = Figure.DefaultWidth, int height = Figure.DefaultHeight)
    {
        const string Where = "FunctionPlots.SaveFits";
        Check.Path(Where, path);
        Check.NotEmpty(Where, nameof(x), x?.Length ?? 0);
        Check.SameLength(Where, nameof(x), x!.Length, nameof(target), target?.Length ?? 0);
        ArgumentNullException.ThrowIfNull(fits);
        foreach (var (name, values) in fits)
            Check.SameLength(Where, nameof(x), x.Length, $"fit '{name}'", values?.Length ?? 0);
        Check.Size(Where, width, height);

        var plot = Figure.NewPlot(title, "x", "y");
        int index = 0;
        foreach (var (name, values) in fits)
            Figure.AddLine(plot, Figure.Points(x, values, logY: false), name, Figure.SeriesColor(index++, fits.Count), lineWidth: 1.5f);
        // Drawn last, dashed, so that a close fit does not hide it.
        Figure.AddLine(plot, Figure.Points(x, target!, logY: false), "target", Colors.Black, LinePattern.Dashed, lineWidth: 2.5f);
        plot.ShowLegend(Alignment.UpperLeft);
        return Figure.Save(path, plot, width, height);
    }

    /// <summary>One curve y(x) with markers on its points when there are few, e.g. test error against width.</summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="x">The abscissae.</param>
    /// <param name="y">One value per abscissa (NaN or infinite values are left out).</param>
    /// <param name="xLabel">The x axis label.</param>
    /// <param name="yLabel">The y axis label.</param>
    /// <param name="logY">Plot y on a log10 axis (values ≤ 0 are then left out).</param>
    /// <param name="title">The figure's title, or null for none.</param>
    /// <param name="logX">Plot x on a log10 axis (for widths 1, 2, 4, ..., 1024); x must then be positive.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>The full path of the written PNG.</returns>
    public static string SaveCurve(string path, double[] x, double[] y, string xLabel, string yLabel, bool logY = false,
        string? title = null, bool logX = false, int width = Figure.DefaultWidth, int height = Figure.DefaultHeight)
    {
        const string Where = "FunctionPlots.SaveCurve";
        Check.Path(Where, path);
        Check.NotEmpty(Where, nameof(x), x?.Length ?? 0);
        Check.SameLength(Where, nameof(x), x!.Length, nameof(y), y?.Length ?? 0);
        Check.Size(Where, width, height);
        if (logX && x.Any(value => !(value > 0)))
            throw new ArgumentException($"{Where}: logX needs positive x, but x contains {x.First(value => !(value > 0))}.", nameof(x));

        var plot = Figure.NewPlot(title, xLabel, yLabel);
        var abscissae = logX ? x.Select(Math.Log10).ToArray() : x;
        var points = Figure.Points(abscissae, y!, logY);
        var line = Figure.AddLine(plot, points, yLabel, Figure.TrainColor);
        line.LegendText = "";
        if (logY && Figure.YRange([points]) is var (minimum, maximum)) Figure.LogAxis(plot.Axes.Left, minimum, maximum);
        if (logX) Figure.LogAxis(plot.Axes.Bottom, abscissae.Min(), abscissae.Max());
        return Figure.Save(path, plot, width, height);
    }
}
