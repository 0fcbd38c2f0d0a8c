using ScottPlot;

namespace Dendrite.Plots;

/// <summary>
/// The error surface: the loss along a line θ + α·d, or over a plane θ + α·d₁ + β·d₂, through weight
/// space around trained weights θ (α = β = 0). The caller evaluates the losses; these methods draw them.
/// </summary>
public static class SurfacePlots
{
    /// <summary>The loss along a line through weight space, with α = 0 (the weights themselves) marked.</summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="alphas">Step along the direction, in increasing order.</param>
    /// <param name="losses">The loss at each step (NaN or infinite values are left out).</param>
    /// <param name="title">The figure's title.</param>
    /// <param name="logY">Plot the loss on a log10 axis.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>The full path of the written PNG.</returns>
    public static string SaveLine(string path, double[] alphas, double[] losses, string title = "loss along a line through weight space",
        bool logY = false, int width = Figure.DefaultWidth, int height = Figure.DefaultHeight)
    {
        const string Where = "SurfacePlots.SaveLine";
        Check.Path(Where, path);
        Check.NotEmpty(Where, nameof(alphas), alphas?.Length ?? 0);
        Check.SameLength(Where, nameof(alphas), alphas!.Length, nameof(losses), losses?.Length ?? 0);
        Check.Increasing(Where, nameof(alphas), alphas);
        Check.Size(Where, width, height);

        var plot = Figure.NewPlot(title, "α (step along the direction)", "loss");
        var points = Figure.Points(alphas, losses!, logY);
        Figure.AddLine(plot, points, "loss", Figure.TrainColor);
        if (alphas.Min() <= 0 && alphas.Max() >= 0)
        {
            var origin = plot.Add.VerticalLine(0, width: 1, color: Colors.Gray, pattern: LinePattern.Dashed);
            origin.LegendText = "α = 0 (the trained weights)";
        }
        if (logY && Figure.YRange([points]) is var (minimum, maximum)) Figure.LogAxis(plot.Axes.Left, minimum, maximum);
        plot.ShowLegend(Alignment.UpperCenter);
        return Figure.Save(path, plot, width, height);
    }

    /// <summary>
    /// The loss over a plane through weight space as a heat map with a colour bar and contour lines;
    /// a cross marks α = β = 0.
    /// </summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="alphas">Steps along the first direction, evenly spaced and increasing.</param>
    /// <param name="betas">Steps along the second direction, evenly spaced and increasing.</param>
    /// <param name="losses">Shape [alphas.Length, betas.Length]: losses[i, j] is the loss at (alphas[i], betas[j]).</param>
    /// <param name="logColor">Colour by log10(loss), which shows the shape of the valley when the rim is much higher.</param>
    /// <param name="title">The figure's title.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>The full path of the written PNG.</returns>
    public static string SavePlane(string path, double[] alphas, double[] betas, double[,] losses, bool logColor = false,
        string title = "loss over a plane through weight space", int width = Figure.DefaultWidth, int height = 650)
    {
        const string Where = "SurfacePlots.SavePlane";
        Check.Path(Where, path);
        ArgumentNullException.ThrowIfNull(losses);
        if (alphas is not { Length: >= 2 } || betas is not { Length: >= 2 })
            throw new ArgumentException($"{Where}: a plane needs at least 2 alphas and 2 betas; received {alphas?.Length ?? 0} and {betas?.Length ?? 0}.", nameof(alphas));
        if (losses.GetLength(0) != alphas.Length || losses.GetLength(1) != betas.Length)
            throw new ArgumentException(
                $"{Where}: losses has shape [{losses.GetLength(0)}, {losses.GetLength(1)}] but there are {alphas.Length} alphas and {betas.Length} betas; " +
                "losses[i, j] must be the loss at (alphas[i], betas[j]).", nameof(losses));
        Check.EvenlySpaced(Where, nameof(alphas), alphas);
        Check.EvenlySpaced(Where, nameof(betas), betas);
        Check.Size(Where, width, height);

        int columns = alphas.Length, rows = betas.Length;
        // Heat map rows run top to bottom, so the largest β goes in row 0.
        var intensities = new double[rows, columns];
        var grid = new Coordinates3d[rows, columns];
        bool allFinite = true;
        for (int i = 0; i < columns; i++)
            for (int j = 0; j < rows; j++)
            {
                double loss = losses[i, j];
                double value = !double.IsFinite(loss) || (logColor && loss <= 0) ? double.NaN : logColor ? Math.Log10(loss) : loss;
                intensities[rows - 1 - j, i] = value;
                grid[rows - 1 - j, i] = new Coordinates3d(alphas[i], betas[j], value);
                allFinite &= !double.IsNaN(value);
            }

        var plot = Figure.NewPlot(title, "α (first direction)", "β (second direction)");
        var heatmap = plot.Add.Heatmap(intensities);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.NaNCellColor = Colors.LightGray;
        // ScottPlot's extent names the centres of the corner cells, so each cell is centred on its (α, β).
        heatmap.Extent = new CoordinateRect(alphas[0], alphas[^1], betas[0], betas[^1]);
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = logColor ? "log10(loss)" : "loss";
        if (Figure.FontFamily is { } family) colorBar.LabelStyle.FontName = family;

        // Contours need every grid value; with holes (diverged points) the heat map alone is drawn.
        if (allFinite)
        {
            var contours = plot.Add.ContourLines(grid, 10);
            contours.LineColor = Colors.White.WithAlpha(0.6);
            contours.LineWidth = 1;
            contours.LabelStyle.IsVisible = false;
        }
        if (alphas[0] <= 0 && alphas[^1] >= 0 && betas[0] <= 0 && betas[^1] >= 0)
        {
            plot.Add.Marker(0, 0, MarkerShape.Cross, size: 14, color: Colors.Red).LegendText = "α = β = 0 (the trained weights)";
            plot.ShowLegend(Alignment.UpperRight);
        }
        plot.Axes.Margins(0, 0);
        return Figure.Save(path, plot, width, height);
    }
}
