using System.Globalization;
using Dendrite.Tensors;
using ScottPlot;

namespace Dendrite.Plots;

/// <summary>Two-dimensional codes (an autoencoder's bottleneck, two principal components) coloured by class.</summary>
public static class ScatterPlots
{
    /// <summary>One dot per sample at its 2-D code, coloured by its class, with a legend of class names.</summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="points">The code of each sample.</param>
    /// <param name="classes">The class index of each sample (≥ 0).</param>
    /// <param name="classNames">Names by class index for the legend; null for "class 0", "class 1", ...</param>
    /// <param name="title">The figure's title.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>The full path of the written PNG.</returns>
    public static string SaveCodes(string path, (float X, float Y)[] points, int[] classes, IReadOnlyList<string>? classNames = null,
        string title = "2-D codes by class", int width = Figure.DefaultWidth, int height = 650)
    {
        ArgumentNullException.ThrowIfNull(points);
        var x = new double[points.Length];
        var y = new double[points.Length];
        for (int i = 0; i < points.Length; i++) (x[i], y[i]) = (points[i].X, points[i].Y);
        return Save(path, x, y, classes, classNames, title, width, height);
    }

    /// <summary>The same, with the codes as rows of a [samples, 2] array.</summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="points">Shape [samples, 2]: the code of each sample.</param>
    /// <param name="classes">The class index of each sample (≥ 0).</param>
    /// <param name="classNames">Names by class index for the legend; null for "class 0", "class 1", ...</param>
    /// <param name="title">The figure's title.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>The full path of the written PNG.</returns>
    public static string SaveCodes(string path, float[,] points, int[] classes, IReadOnlyList<string>? classNames = null,
        string title = "2-D codes by class", int width = Figure.DefaultWidth, int height = 650)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.GetLength(1) != 2)
            throw new ArgumentException($"ScatterPlots.SaveCodes: points has shape [{points.GetLength(0)}, {points.GetLength(1)}]; expected [samples, 2].", nameof(points));
        int count = points.GetLength(0);
        var x = new double[count];
        var y = new double[count];
        for (int i = 0; i < count; i++) (x[i], y[i]) = (points[i, 0], points[i, 1]);
        return Save(path, x, y, classes, classNames, title, width, height);
    }

    /// <summary>The same, with the codes in a tensor, e.g. an encoder's output.</summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="points">Shape [samples, 2]: the code of each sample.</param>
    /// <param name="classes">The class index of each sample (≥ 0).</param>
    /// <param name="classNames">Names by class index for the legend; null for "class 0", "class 1", ...</param>
    /// <param name="title">The figure's title.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>The full path of the written PNG.</returns>
    public static string SaveCodes(string path, Tensor points, int[] classes, IReadOnlyList<string>? classNames = null,
        string title = "2-D codes by class", int width = Figure.DefaultWidth, int height = 650)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Rank != 2 || points.Shape[1] != 2)
            throw new ArgumentException($"ScatterPlots.SaveCodes: points has shape {points.Shape}; expected [samples, 2].", nameof(points));
        float[] values = points.ToArray();
        int count = points.Shape[0];
        var x = new double[count];
        var y = new double[count];
        for (int i = 0; i < count; i++) (x[i], y[i]) = (values[2 * i], values[2 * i + 1]);
        return Save(path, x, y, classes, classNames, title, width, height);
    }

    private static string Save(string path, double[] x, double[] y, int[] classes, IReadOnlyList<string>? classNames,
        string title, int width, int height)
    {
        const string Where = "ScatterPlots.SaveCodes";
        Check.Path(Where, path);
        Check.NotEmpty(Where, "points", x.Length);
        Check.SameLength(Where, "points", x.Length, nameof(classes), classes?.Length ?? 0);
        Check.Size(Where, width, height);
        int classCount = 0;
        for (int i = 0; i < classes!.Length; i++)
        {
            if (classes[i] < 0 || (classNames is not null && classes[i] >= classNames.Count))
                throw new ArgumentException(
                    $"{Where}: classes[{i}] = {classes[i]}, but class indices must lie in 0..{(classNames is null ? "" : classNames.Count - 1)}" +
                    (classNames is null ? "." : $" for the {classNames.Count} class names given."), nameof(classes));
            classCount = Math.Max(classCount, classes[i] + 1);
        }
        if (classNames is not null) classCount = classNames.Count;

        var plot = Figure.NewPlot(title, "code 1", "code 2");
        // Marker size shrinks as the cloud grows, so that 10,000 points do not become one blot.
        float markerSize = x.Length <= 500 ? 6 : x.Length <= 5000 ? 4 : 3;
        for (int c = 0; c < classCount; c++)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            for (int i = 0; i < classes.Length; i++)
                if (classes[i] == c && double.IsFinite(x[i]) && double.IsFinite(y[i]))
                {
                    xs.Add(x[i]);
                    ys.Add(y[i]);
                }
            if (xs.Count == 0) continue;
            var scatter = plot.Add.ScatterPoints(xs.ToArray(), ys.ToArray(), Figure.SeriesColor(c, classCount));
            scatter.MarkerSize = markerSize;
            scatter.MarkerShape = MarkerShape.FilledCircle;
            scatter.LegendText = classNames?[c] ?? $"class {c.ToString(CultureInfo.InvariantCulture)}";
        }
        // Outside the data area: a legend inside would hide points.
        plot.ShowLegend(Edge.Right);
        return Figure.Save(path, plot, width, height);
    }
}
