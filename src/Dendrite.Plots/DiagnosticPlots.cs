using ScottPlot;

namespace Dendrite.Plots;

/// <summary>
/// Gradient flow: the norm of each layer's gradient per epoch, the picture of vanishing gradients
/// (a deep sigmoid net's first layers orders of magnitude below its last) and of their cure.
/// </summary>
/// <remarks>
/// Layers are coloured dark (input side) to light (output side) in the dictionary's order, so pass
/// them from the first layer to the last.
/// </remarks>
public static class DiagnosticPlots
{
    /// <summary>One line per layer: its gradient norm per epoch.</summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="normsPerLayer">Layer name to its gradient norm per epoch, first layer first.</param>
    /// <param name="logScale">Plot the norms on a log10 axis (the default: vanishing gradients span decades).</param>
    /// <param name="title">The figure's title.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>The full path of the written PNG.</returns>
    public static string SaveGradientNorms(string path, IReadOnlyDictionary<string, IReadOnlyList<double>> normsPerLayer,
        bool logScale = true, string title = "gradient norm per layer", int width = Figure.DefaultWidth, int height = Figure.DefaultHeight)
    {
        const string Where = "DiagnosticPlots.SaveGradientNorms";
        Check.Path(Where, path);
        Check.NotEmpty(Where, nameof(normsPerLayer), normsPerLayer?.Count ?? 0);
        Check.Size(Where, width, height);

        var plot = Figure.NewPlot(title, "epoch", "gradient norm");
        TrainingPlots.AddCurves(plot, normsPerLayer!, logScale, ordered: true);
        return Figure.Save(path, plot, width, height);
    }

    /// <summary>
    /// Two runs side by side on the same y range, e.g. a 10-layer sigmoid net (left) against the same
    /// net with ReLU and He initialisation (right), so that the gap between first and last layer can be
    /// compared by eye.
    /// </summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="leftTitle">Title of the left panel, e.g. "sigmoid".</param>
    /// <param name="left">Layer name to gradient norm per epoch for the left run, first layer first.</param>
    /// <param name="rightTitle">Title of the right panel, e.g. "ReLU + He".</param>
    /// <param name="right">The same for the right run.</param>
    /// <param name="logScale">Plot the norms on a log10 axis.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>The full path of the written PNG.</returns>
    public static string SaveGradientNormsComparison(string path,
        string leftTitle, IReadOnlyDictionary<string, IReadOnlyList<double>> left,
        string rightTitle, IReadOnlyDictionary<string, IReadOnlyList<double>> right,
        bool logScale = true, int width = Figure.WideWidth, int height = Figure.DefaultHeight)
    {
        const string Where = "DiagnosticPlots.SaveGradientNormsComparison";
        Check.Path(Where, path);
        Check.NotEmpty(Where, nameof(left), left?.Count ?? 0);
        Check.NotEmpty(Where, nameof(right), right?.Count ?? 0);
        Check.Size(Where, width, height);

        var leftPlot = Figure.NewPlot(leftTitle, "epoch", "gradient norm");
        var rightPlot = Figure.NewPlot(rightTitle, "epoch", "gradient norm");
        // With the same layers in both runs one legend, right of the right panel, is enough.
        TrainingPlots.AddCurves(leftPlot, left!, logScale, ordered: true, legend: !left!.Keys.SequenceEqual(right!.Keys));
        TrainingPlots.AddCurves(rightPlot, right!, logScale, ordered: true);

        // One y range for both panels: the comparison is the point of the figure.
        var all = left!.Values.Concat(right!.Values)
            .Select(values => Figure.Points(Figure.Epochs(values?.Count ?? 0), values ?? [], logScale));
        if (Figure.YRange(all) is var (minimum, maximum))
        {
            double margin = Math.Max((maximum - minimum) * 0.05, logScale ? 0.1 : Math.Abs(maximum) * 0.05 + 1e-12);
            foreach (var plot in new[] { leftPlot, rightPlot })
            {
                plot.Axes.SetLimitsY(minimum - margin, maximum + margin);
                if (logScale) Figure.LogAxis(plot.Axes.Left, minimum, maximum);
            }
        }
        return Figure.Save(path, Figure.Columns(leftPlot, rightPlot), width, height);
    }
}
