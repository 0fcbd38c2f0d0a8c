namespace Dendrite.Plots.Tests;

public sealed class TrainingPlotsTests : IDisposable
{
    private readonly PlotDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static double[] Decay(int epochs, double start, double rate, double floor) =>
        [.. Enumerable.Range(0, epochs).Select(e => floor + (start - floor) * Math.Exp(-rate * e))];

    [Fact]
    public void SaveCurves_writes_one_line_per_series()
    {
        string path = _directory.File("curves.png");
        var series = new Dictionary<string, IReadOnlyList<double>>
        {
            ["train loss"] = Decay(30, 2.3, 0.2, 0.05),
            ["validation loss"] = Decay(30, 2.3, 0.15, 0.2),
        };

        string written = TrainingPlots.SaveCurves(path, series, "digits MLP", width: 640, height: 400);

        PngAssert.IsPicture(written, path, 640, 400);
    }

    [Fact]
    public void SaveLossAndAccuracy_draws_two_panels_when_accuracy_is_given()
    {
        string path = _directory.File("loss-accuracy.png");
        var trainAccuracy = Decay(20, 0.1, 0.3, 0.99).ToArray();
        var validationAccuracy = Decay(20, 0.1, 0.3, 0.96).ToArray();

        string written = TrainingPlots.SaveLossAndAccuracy(path, Decay(20, 2.3, 0.3, 0.02), Decay(20, 2.3, 0.3, 0.15),
            trainAccuracy, validationAccuracy, title: "784-128-10");

        PngAssert.IsPicture(written, path, 1200, 500);
    }

    [Fact]
    public void SaveLossAndAccuracy_with_loss_only_is_one_panel_of_the_default_size()
    {
        string path = _directory.File("loss.png");

        string written = TrainingPlots.SaveLossAndAccuracy(path, Decay(12, 1.0, 0.3, 0.1), validationLoss: null);

        PngAssert.IsPicture(written, path, 800, 500);
    }

    [Fact]
    public void SaveRuns_overlays_runs_including_one_that_diverged()
    {
        string path = _directory.File("learning-rates.png");
        double[] tooHigh = [2.3, 3.1, 8.0, 90.0, 1e4, double.NaN, double.NaN];
        var runs = new Dictionary<string, IReadOnlyList<double>>
        {
            ["lr = 10 (too high)"] = tooHigh,
            ["lr = 1e-4 (too low)"] = Decay(7, 2.3, 0.01, 0),
            ["lr = 0.1"] = Decay(7, 2.3, 0.8, 0.01),
        };

        string written = TrainingPlots.SaveRuns(path, runs, "learning-rate comparison");

        PngAssert.IsPicture(written, path, 800, 500);
    }

    [Fact]
    public void SaveRuns_on_a_linear_axis_and_a_single_epoch()
    {
        string path = _directory.File("one-epoch.png");
        var runs = new Dictionary<string, IReadOnlyList<double>> { ["a"] = [0.5], ["b"] = [0.7] };

        PngAssert.IsPicture(TrainingPlots.SaveRuns(path, runs, logY: false), path, 800, 500);
    }

    [Fact]
    public void Empty_series_or_a_bad_size_are_refused_with_the_function_named()
    {
        string path = _directory.File("never.png");

        var empty = Assert.Throws<ArgumentException>(() =>
            TrainingPlots.SaveCurves(path, new Dictionary<string, IReadOnlyList<double>>(), "t"));
        Assert.Contains("TrainingPlots.SaveCurves", empty.Message);
        var size = Assert.Throws<ArgumentOutOfRangeException>(() =>
            TrainingPlots.SaveLossAndAccuracy(path, [1.0], [1.0], width: 10));
        Assert.Contains("10x500", size.Message);
        Assert.False(File.Exists(path));
    }
}
