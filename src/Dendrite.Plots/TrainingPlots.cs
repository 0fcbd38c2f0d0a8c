using System.Globalization;
using ScottPlot;

namespace Dendrite.Plots;

/// <summary>
/// Loss and accuracy per epoch: one run's training and validation curves, any named set of curves,
/// and several runs overlaid (the learning-rate comparison: too high, too low, about right).
/// </summary>
/// <remarks>
/// Every method renders to a temporary file beside <c>path</c> and renames it over <c>path</c>, so a
/// reader never sees half a PNG, creates the directory if needed, and returns the full path written.
/// Values that are NaN or infinite (a run that diverged) are left out of the line, and its legend
/// entry says "diverged at epoch k" for the first of them.
/// </remarks>
public static class TrainingPlots
{
    /// <summary>One line per named series over epochs 1..n (each series its own n).</summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="series">Name (shown in the legend, e.g. "train loss") to one value per epoch; drawn in the dictionary's order.</param>
    /// <param name="title">The figure's title.</param>
    /// <param name="yLabel">The y axis label.</param>
    /// <param name="logY">Plot y on a log10 axis (values ≤ 0 are then left out).</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>The full path of the written PNG.</returns>
    public static string SaveCurves(string path, IReadOnlyDictionary<string, IReadOnlyList<double>> series, string title,
        string yLabel = "loss", bool logY = false, int width = Figure.DefaultWidth, int height = Figure.DefaultHeight)
    {
        const string Where = "TrainingPlots.SaveCurves";
        Check.Path(Where, path);
        Check.NotEmpty(Where, nameof(series), series?.Count ?? 0);
        Check.Size(Where, width, height);

        var plot = Figure.NewPlot(title, "epoch", yLabel);
        AddCurves(plot, series!, logY, ordered: false);
        return Figure.Save(path, plot, width, height);
    }

    /// <summary>
    /// Several runs of the same model overlaid, one line each: e.g. the loss per epoch with a learning
    /// rate that is too high, one too low, and one about right. On a log axis by default, since such
    /// runs differ by orders of magnitude.
    /// </summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="runs">Run name (e.g. "lr = 1.0 (too high)") to its value per epoch.</param>
    /// <param name="title">The figure's title.</param>
    /// <param name="yLabel">The y axis label.</param>
    /// <param name="logY">Plot y on a log10 axis (values ≤ 0 are then left out).</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>The full path of the written PNG.</returns>
    public static string SaveRuns(string path, IReadOnlyDictionary<string, IReadOnlyList<double>> runs, string title = "loss per run",
        string yLabel = "training loss", bool logY = true, int width = Figure.DefaultWidth, int height = Figure.DefaultHeight)
    {
        const string Where = "TrainingPlots.SaveRuns";
        Check.Path(Where, path);
        Check.NotEmpty(Where, nameof(runs), runs?.Count ?? 0);
        Check.Size(Where, width, height);

        var plot = Figure.NewPlot(title, "epoch", yLabel);
        AddCurves(plot, runs!, logY, ordered: false);
        return Figure.Save(path, plot, width, height);
    }

    /// <summary>
    /// The curves of one training run: loss on the left (training solid, validation dashed), and
    /// accuracy on the right when given. A dotted vertical line marks the epoch with the lowest
    /// validation loss, the one early stopping would keep.
    /// </summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="trainLoss">Training loss per epoch.</param>
    /// <param name="validationLoss">Validation loss per epoch; null when the run had no validation data.</param>
    /// <param name="trainAccuracy">Training accuracy per epoch, or null; with either accuracy a second panel is drawn.</param>
    /// <param name="validationAccuracy">Validation accuracy per epoch, or null.</param>
    /// <param name="title">Prefix of the panels' titles, e.g. the model's name; null for none.</param>
    /// <param name="width">Image width in pixels (default: 800 with one panel, 1200 with two).</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>The full path of the written PNG.</returns>
    public static string SaveLossAndAccuracy(string path, IReadOnlyList<double> trainLoss, IReadOnlyList<double>? validationLoss,
        IReadOnlyList<double>? trainAccuracy = null, IReadOnlyList<double>? validationAccuracy = null, string? title = null,
        int? width = null, int height = Figure.DefaultHeight)
    {
        const string Where = "TrainingPlots.SaveLossAndAccuracy";
        Check.Path(Where, path);
        Check.NotEmpty(Where, nameof(trainLoss), trainLoss?.Count ?? 0);
        bool hasAccuracy = trainAccuracy is { Count: > 0 } || validationAccuracy is { Count: > 0 };
        int imageWidth = width ?? (hasAccuracy ? Figure.WideWidth : Figure.DefaultWidth);
        Check.Size(Where, imageWidth, height);

        string prefix = string.IsNullOrEmpty(title) ? "" : title + ": ";
        int? bestEpoch = BestEpoch(validationLoss);

        var lossPlot = Figure.NewPlot(prefix + "loss", "epoch", "loss");
        AddTrainAndValidation(lossPlot, trainLoss!, validationLoss, "loss", bestEpoch, Alignment.UpperRight);
        if (!hasAccuracy) return Figure.Save(path, lossPlot, imageWidth, height);

        var accuracyPlot = Figure.NewPlot(prefix + "accuracy", "epoch", "accuracy");
        AddTrainAndValidation(accuracyPlot, trainAccuracy ?? [], validationAccuracy, "accuracy", bestEpoch, Alignment.LowerRight);
        return Figure.Save(path, Figure.Columns(lossPlot, accuracyPlot), imageWidth, height);
    }

    /// <summary>The 1-based epoch of the lowest finite validation loss, or null.</summary>
    private static int? BestEpoch(IReadOnlyList<double>? validationLoss)
    {
        if (validationLoss is null) return null;
        int best = -1;
        for (int i = 0; i < validationLoss.Count; i++)
            if (double.IsFinite(validationLoss[i]) && (best < 0 || validationLoss[i] < validationLoss[best])) best = i;
        return best < 0 ? null : best + 1;
    }

    private static void AddTrainAndValidation(Plot plot, IReadOnlyList<double> train, IReadOnlyList<double>? validation,
        string quantity, int? bestEpoch, Alignment legend)
    {
        Figure.IntegerTicksX(plot);
        if (train.Count > 0)
            AddCurve(plot, train, $"training {quantity}", Figure.TrainColor, logY: false, LinePattern.Solid);
        if (validation is { Count: > 0 })
            AddCurve(plot, validation, $"validation {quantity}", Figure.ValidationColor, logY: false, LinePattern.Dashed);
        if (bestEpoch is { } epoch)
        {
            var line = plot.Add.VerticalLine(epoch, width: 1, color: Colors.Gray, pattern: LinePattern.Dotted);
            line.LegendText = $"lowest validation loss (epoch {epoch.ToString(CultureInfo.InvariantCulture)})";
        }
        // Loss falls and accuracy rises, so the corner that the curves leave empty differs.
        plot.ShowLegend(legend);
    }

    /// <summary>Adds one line per series; <paramref name="ordered"/> colours them dark to light (layers) instead of by category.</summary>
    internal static void AddCurves(Plot plot, IReadOnlyDictionary<string, IReadOnlyList<double>> series, bool logY, bool ordered,
        bool legend = true)
    {
        Figure.IntegerTicksX(plot);
        var all = new List<SeriesPoints>();
        int index = 0;
        foreach (var (name, values) in series)
        {
            var color = ordered ? Figure.OrderedColor(index, series.Count) : Figure.SeriesColor(index, series.Count);
            all.Add(AddCurve(plot, values ?? [], name, color, logY, LinePattern.Solid));
            index++;
        }
        if (logY && Figure.YRange(all) is var (minimum, maximum)) Figure.LogAxis(plot.Axes.Left, minimum, maximum);
        // Outside the data area: runs and layers go anywhere, and a legend inside would hide some.
        if (legend) plot.ShowLegend(Edge.Right);
        else plot.HideLegend(); // ScottPlot shows a legend by itself once series have labels
    }

    private static SeriesPoints AddCurve(Plot plot, IReadOnlyList<double> values, string name, Color color, bool logY, LinePattern pattern)
    {
        var points = Figure.Points(Figure.Epochs(values.Count), values, logY);
        string label = points.FirstNonFinite < 0
            ? name
            : $"{name} (diverged at epoch {(points.FirstNonFinite + 1).ToString(CultureInfo.InvariantCulture)})";
        Figure.AddLine(plot, points, label, color, pattern);
        return points;
    }
}
