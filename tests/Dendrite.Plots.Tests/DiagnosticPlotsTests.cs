namespace Dendrite.Plots.Tests;

public sealed class DiagnosticPlotsTests : IDisposable
{
    private readonly PlotDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>Ten layers whose gradient norms shrink by <paramref name="perLayer"/> towards the input.</summary>
    private static Dictionary<string, IReadOnlyList<double>> Norms(double perLayer, int epochs = 15)
    {
        var norms = new Dictionary<string, IReadOnlyList<double>>();
        for (int layer = 1; layer <= 10; layer++)
            norms[$"dense {layer}"] = Enumerable.Range(0, epochs)
                .Select(e => Math.Pow(perLayer, 10 - layer) * (1 + 0.3 * Math.Sin(e + layer)) * Math.Exp(-0.05 * e))
                .ToArray();
        return norms;
    }

    [Fact]
    public void SaveGradientNorms_on_a_log_axis()
    {
        string path = _directory.File("gradient-norms.png");

        PngAssert.IsPicture(DiagnosticPlots.SaveGradientNorms(path, Norms(0.25)), path, 800, 500);
    }

    [Fact]
    public void SaveGradientNorms_on_a_linear_axis_with_a_zero_norm()
    {
        string path = _directory.File("gradient-norms-linear.png");
        var norms = Norms(0.9);
        norms["dead layer"] = new double[15];

        PngAssert.IsPicture(DiagnosticPlots.SaveGradientNorms(path, norms, logScale: false), path, 800, 500);
    }

    [Fact]
    public void SaveGradientNormsComparison_puts_two_runs_side_by_side()
    {
        string path = _directory.File("vanishing-gradients.png");

        string written = DiagnosticPlots.SaveGradientNormsComparison(path, "sigmoid", Norms(0.25), "ReLU + He", Norms(0.95));

        PngAssert.IsPicture(written, path, 1200, 500);
    }
}
