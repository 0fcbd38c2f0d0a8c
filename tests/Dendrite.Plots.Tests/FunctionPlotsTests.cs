namespace Dendrite.Plots.Tests;

public sealed class FunctionPlotsTests : IDisposable
{
    private readonly PlotDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void SaveFits_draws_the_target_and_each_fit()
    {
        string path = _directory.File("fits.png");
        double[] x = [.. Enumerable.Range(0, 200).Select(i => -3 + 6 * i / 199.0)];
        double[] target = [.. x.Select(v => Math.Sin(v) + (v > 0 ? 1 : 0))];
        var fits = new Dictionary<string, double[]>
        {
            ["2 hidden units"] = [.. x.Select(v => 0.5 * Math.Tanh(v))],
            ["16 hidden units"] = [.. x.Select(v => Math.Sin(v) + 1 / (1 + Math.Exp(-5 * v)))],
        };

        PngAssert.IsPicture(FunctionPlots.SaveFits(path, x, target, fits), path, 800, 500);
    }

    [Fact]
    public void SaveCurve_on_log_axes()
    {
        string path = _directory.File("error-vs-width.png");
        double[] widths = [1, 2, 4, 8, 16, 32, 64, 128];
        double[] errors = [.. widths.Select(w => 0.5 / w)];

        string written = FunctionPlots.SaveCurve(path, widths, errors, "hidden units", "test MSE", logY: true, title: "error against width", logX: true);

        PngAssert.IsPicture(written, path, 800, 500);
    }

    [Fact]
    public void SaveCurve_on_linear_axes_and_refusals()
    {
        string path = _directory.File("curve.png");
        PngAssert.IsPicture(FunctionPlots.SaveCurve(path, [1, 2, 3], [3, 1, 2], "x", "y"), path, 800, 500);

        Assert.Contains("logX", Assert.Throws<ArgumentException>(() => FunctionPlots.SaveCurve(path, [0, 1], [1, 2], "x", "y", logX: true)).Message);
        Assert.Contains("fit 'f' has 1", Assert.Throws<ArgumentException>(() =>
            FunctionPlots.SaveFits(path, [1, 2], [1, 2], new Dictionary<string, double[]> { ["f"] = [1] })).Message);
    }
}
