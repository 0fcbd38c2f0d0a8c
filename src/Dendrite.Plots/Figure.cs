using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;
using SkiaSharp;

namespace Dendrite.Plots;

/// <summary>
/// What every chart in this library shares: default sizes, the font, the colours, log axes, how a
/// series with gaps is drawn, and how a finished figure becomes a PNG file.
/// </summary>
internal static class Figure
{
    public const int DefaultWidth = 800;
    public const int DefaultHeight = 500;
    /// <summary>Width of figures with two panels side by side.</summary>
    public const int WideWidth = 1200;

    /// <summary>Lines with at most this many points get a marker on each point, so single epochs can be read off.</summary>
    private const int MarkerThreshold = 40;

    private static readonly string[] SansFamilies = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica"];
    private static readonly Lazy<string?> LazyFontFamily = new(() => SansFamilies.FirstOrDefault(family => SKFontManager.Default.MatchFamily(family) is not null));

    /// <summary>
    /// The sans-serif family used for all text, or null when none is installed. SkiaSharp's Linux
    /// build reads fonts from /usr/share/fonts; without any, figures are drawn without text.
    /// </summary>
    /// <remarks>
    /// Chosen by name because ScottPlot's own default on Linux is whichever family the font directory
    /// lists first (DejaVu Serif on Debian), which makes tick labels hard to read.
    /// </remarks>
    public static string? FontFamily => LazyFontFamily.Value;

    private static readonly ScottPlot.Palettes.Category10 Category10 = new();
    private static readonly ScottPlot.Palettes.Category20 Category20 = new();

    /// <summary>The colour of the <paramref name="index"/>-th of <paramref name="count"/> unordered series (runs, classes, functions).</summary>
    public static Color SeriesColor(int index, int count = 10) =>
        count <= 10 ? Category10.GetColor(index) : Category20.GetColor(index);

    /// <summary>
    /// The colour of the <paramref name="index"/>-th of <paramref name="count"/> ordered series (layers
    /// from input to output): dark to light along viridis, stopping before its pale yellow end.
    /// </summary>
    public static Color OrderedColor(int index, int count)
    {
        var viridis = new ScottPlot.Colormaps.Viridis();
        return viridis.GetColor(count <= 1 ? 0 : 0.85 * index / (count - 1));
    }

    public static Color TrainColor => Category10.GetColor(0);
    public static Color ValidationColor => Category10.GetColor(1);

    /// <summary>A new plot with the library's font, title and axis labels.</summary>
    public static Plot NewPlot(string? title, string? xLabel, string? yLabel)
    {
        var plot = new Plot();
        if (FontFamily is { } family) plot.Font.Set(family);
        if (!string.IsNullOrEmpty(title)) plot.Title(title);
        if (!string.IsNullOrEmpty(xLabel)) plot.XLabel(xLabel);
        if (!string.IsNullOrEmpty(yLabel)) plot.YLabel(yLabel);
        return plot;
    }

    /// <summary>Applies the library's font to text plottables, which do not follow <c>plot.Font</c>.</summary>
    public static void UseFont(ScottPlot.Plottables.Text text)
    {
        if (FontFamily is { } family) text.LabelFontName = family;
    }

    /// <summary>Width in pixels of <paramref name="text"/> in the library's font; 0 without a font.</summary>
    public static float MeasureText(string text, float size)
    {
        if (FontFamily is not { } family) return 0;
        using var typeface = SKTypeface.FromFamilyName(family);
        using var font = new SKFont(typeface, size);
        return font.MeasureText(text);
    }

    /// <summary>Epochs on the x axis: whole numbers only.</summary>
    public static void IntegerTicksX(Plot plot) =>
        plot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };

    /// <summary>
    /// Turns the y axis into a log10 axis. ScottPlot draws linear axes only, so the data must be
    /// plotted as log10(y) (see <see cref="AddLine"/>); this sets ticks at powers of ten and labels
    /// them with the original values.
    /// </summary>
    public static void LogAxis(IAxis axis, double minimumLog10, double maximumLog10)
    {
        bool decades = maximumLog10 - minimumLog10 >= 1;
        axis.TickGenerator = new NumericAutomatic
        {
            // Under a decade, integer-only ticks would leave at most one label; use in-between values then.
            IntegerTicksOnly = decades,
            MinorTickGenerator = new LogMinorTickGenerator(),
            LabelFormatter = decades ? FormatPowerOfTen : value => Math.Pow(10, value).ToString("G3", CultureInfo.InvariantCulture),
        };
    }

    private static string FormatPowerOfTen(double log10)
    {
        int exponent = (int)Math.Round(log10);
        return Math.Abs(exponent) <= 4
            ? Math.Pow(10, exponent).ToString("G", CultureInfo.InvariantCulture)
            : $"1e{exponent.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>The points of a series that can be drawn, and where the first one that cannot is.</summary>
    /// <param name="x">Abscissae, one per value.</param>
    /// <param name="y">Ordinates; NaN and infinities (a diverged run) are left out, and so are values ≤ 0 on a log axis.</param>
    /// <param name="logY">Whether the points are for a log10 axis; their y are then log10(y).</param>
    public static SeriesPoints Points(IReadOnlyList<double> x, IReadOnlyList<double> y, bool logY)
    {
        var xs = new List<double>(y.Count);
        var ys = new List<double>(y.Count);
        int firstNonFinite = -1;
        for (int i = 0; i < y.Count; i++)
        {
            double value = y[i];
            if (!double.IsFinite(value))
            {
                if (firstNonFinite < 0) firstNonFinite = i;
                continue;
            }
            if (logY && value <= 0) continue;
            xs.Add(x[i]);
            ys.Add(logY ? Math.Log10(value) : value);
        }
        return new SeriesPoints([.. xs], [.. ys], firstNonFinite);
    }

    /// <summary>A line with a legend entry; markers on each point when there are few.</summary>
    public static ScottPlot.Plottables.Scatter AddLine(Plot plot, SeriesPoints points, string label, Color color,
        LinePattern? pattern = null, float lineWidth = 2)
    {
        var line = plot.Add.ScatterLine(points.X, points.Y, color);
        line.LegendText = label;
        line.LineWidth = lineWidth;
        line.LinePattern = pattern ?? LinePattern.Solid;
        if (points.X.Length <= MarkerThreshold)
        {
            line.MarkerShape = MarkerShape.FilledCircle;
            line.MarkerSize = points.X.Length == 1 ? 8 : 5;
        }
        return line;
    }

    /// <summary>The 1-based epoch numbers 1..<paramref name="count"/>.</summary>
    public static double[] Epochs(int count)
    {
        var epochs = new double[count];
        for (int i = 0; i < count; i++) epochs[i] = i + 1;
        return epochs;
    }

    /// <summary>The smallest and largest finite y over all series, for axes shared between panels.</summary>
    public static (double Minimum, double Maximum)? YRange(IEnumerable<SeriesPoints> series)
    {
        double minimum = double.PositiveInfinity, maximum = double.NegativeInfinity;
        foreach (var points in series)
            foreach (double y in points.Y)
            {
                minimum = Math.Min(minimum, y);
                maximum = Math.Max(maximum, y);
            }
        return minimum <= maximum ? (minimum, maximum) : null;
    }

    /// <summary>Renders <paramref name="plot"/> and writes it atomically; disposes the plot.</summary>
    public static string Save(string path, Plot plot, int width, int height)
    {
        using (plot)
            return PngFile.Write(path, plot.GetImageBytes(width, height, ImageFormat.Png));
    }

    /// <summary>Renders the panels of <paramref name="multiplot"/> side by side and writes them atomically.</summary>
    public static string Save(string path, Multiplot multiplot, int width, int height)
    {
        using var image = multiplot.Render(width, height);
        byte[] png = image.GetImageBytes(ImageFormat.Png, quality: 100);
        foreach (var plot in multiplot.GetPlots()) plot.Dispose();
        return PngFile.Write(path, png);
    }

    /// <summary>Panels next to each other, left to right.</summary>
    public static Multiplot Columns(params Plot[] panels)
    {
        var multiplot = new Multiplot(panels[0]);
        for (int i = 1; i < panels.Length; i++) multiplot.AddPlot(panels[i]);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        return multiplot;
    }
}

/// <summary>Drawable points of one series; <see cref="FirstNonFinite"/> is the index of its first NaN or infinity, or −1.</summary>
internal readonly record struct SeriesPoints(double[] X, double[] Y, int FirstNonFinite);
