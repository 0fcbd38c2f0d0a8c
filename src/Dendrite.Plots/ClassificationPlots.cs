using System.Globalization;
using ScottPlot;

namespace Dendrite.Plots;

/// <summary>Where a classifier goes wrong: the confusion matrix as a heat map with its numbers in the cells.</summary>
public static class ClassificationPlots
{
    /// <summary>
    /// The confusion matrix: true class down the rows, predicted class across the columns, each cell
    /// coloured by its share of the row (the recall of that pair) and labelled with it or with the count.
    /// The title carries the overall accuracy.
    /// </summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="counts">Shape [classes, classes]: counts[t, p] is the number of samples of true class t predicted as p.</param>
    /// <param name="classNames">One name per class, in index order.</param>
    /// <param name="normalize">Write each cell's share of its row (true) or its count (false); colours are shares either way.</param>
    /// <param name="title">The figure's title; the accuracy is appended.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>The full path of the written PNG.</returns>
    public static string SaveConfusionMatrix(string path, int[,] counts, IReadOnlyList<string> classNames, bool normalize = true,
        string title = "confusion matrix", int width = Figure.DefaultWidth, int height = 700)
    {
        const string Where = "ClassificationPlots.SaveConfusionMatrix";
        Check.Path(Where, path);
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(classNames);
        int classes = counts.GetLength(0);
        if (classes < 2 || counts.GetLength(1) != classes)
            throw new ArgumentException($"{Where}: counts has shape [{counts.GetLength(0)}, {counts.GetLength(1)}]; it must be square [classes, classes] with at least two classes.", nameof(counts));
        Check.SameLength(Where, "counts' rows", classes, nameof(classNames), classNames.Count);
        Check.Size(Where, width, height);

        var shares = new double[classes, classes];
        long correct = 0, total = 0;
        for (int t = 0; t < classes; t++)
        {
            long rowTotal = 0;
            for (int p = 0; p < classes; p++)
            {
                if (counts[t, p] < 0)
                    throw new ArgumentException($"{Where}: counts[{t}, {p}] = {counts[t, p]} is negative.", nameof(counts));
                rowTotal += counts[t, p];
            }
            for (int p = 0; p < classes; p++) shares[t, p] = rowTotal == 0 ? 0 : (double)counts[t, p] / rowTotal;
            correct += counts[t, t];
            total += rowTotal;
        }
        string accuracy = total == 0 ? "no samples" : $"accuracy {((double)correct / total).ToString("0.0000", CultureInfo.InvariantCulture)}";

        var plot = Figure.NewPlot($"{title} ({accuracy})", "predicted class", "true class");
        var heatmap = plot.Add.Heatmap(shares);
        // Low shares white, high ones dark blue (ScottPlot's Blues runs the other way).
        heatmap.Colormap = new ScottPlot.Colormaps.Reversed(new ScottPlot.Colormaps.Blues());
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        // ScottPlot's extent names the centres of the corner cells: predicted class p at x = p, and
        // true class t (row t, drawn top down) at y = classes − 1 − t, so class 0 is at the top as in a printed matrix.
        heatmap.Extent = new CoordinateRect(0, classes - 1, 0, classes - 1);
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = "share of the true class";
        if (Figure.FontFamily is { } family) colorBar.LabelStyle.FontName = family;

        // About a quarter of a cell's height, so that "0.95" fits; from the smaller image side.
        float cellPixels = Math.Min(width - 220, height - 160) / (float)classes;
        float fontSize = Math.Clamp(cellPixels / 3.5f, 6, 18);
        for (int t = 0; t < classes; t++)
            for (int p = 0; p < classes; p++)
            {
                string label = normalize
                    ? shares[t, p].ToString("0.00", CultureInfo.InvariantCulture)
                    : counts[t, p].ToString(CultureInfo.InvariantCulture);
                var text = plot.Add.Text(label, p, classes - 1 - t);
                Figure.UseFont(text);
                text.LabelFontSize = fontSize;
                text.LabelAlignment = Alignment.MiddleCenter;
                // Dark text on light cells, white on dark ones.
                text.LabelFontColor = shares[t, p] > 0.55 ? Colors.White : Colors.Black;
            }

        var positions = Enumerable.Range(0, classes).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, classNames.ToArray());
        plot.Axes.Left.SetTicks(positions.Select(y => classes - 1 - y).ToArray(), classNames.ToArray());
        if (classes > 6 || classNames.Any(name => name.Length > 4))
        {
            // Slanted so that long names do not overlap; ScottPlot does not measure rotated labels,
            // so the axis is given the room they need.
            var style = plot.Axes.Bottom.TickLabelStyle;
            style.Rotation = 45;
            style.Alignment = Alignment.MiddleLeft;
            float longest = classNames.Max(name => Figure.MeasureText(name, style.FontSize));
            plot.Axes.Bottom.MinimumSize = longest * MathF.Sqrt(0.5f) + style.FontSize + 30;
        }
        plot.HideGrid();
        plot.Axes.Margins(0, 0);
        plot.Axes.SquareUnits();
        return Figure.Save(path, plot, width, height);
    }
}
