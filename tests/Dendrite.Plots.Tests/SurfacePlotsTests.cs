namespace Dendrite.Plots.Tests;

public sealed class SurfacePlotsTests : IDisposable
{
    private readonly PlotDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static double[] Steps(double from, double to, int count) =>
        [.. Enumerable.Range(0, count).Select(i => from + (to - from) * i / (count - 1))];

    [Fact]
    public void SaveLine_draws_the_loss_along_a_line()
    {
        string path = _directory.File("line.png");
        double[] alphas = Steps(-1, 1, 41);
        double[] losses = [.. alphas.Select(a => 0.1 + a * a + 0.3 * Math.Max(0, a - 0.5))];

        PngAssert.IsPicture(SurfacePlots.SaveLine(path, alphas, losses), path, 800, 500);
        PngAssert.IsPicture(SurfacePlots.SaveLine(path, alphas, losses, logY: true), path, 800, 500);
    }

    [Fact]
    public void SavePlane_draws_a_heat_map_with_contours()
    {
        string path = _directory.File("plane.png");
        double[] alphas = Steps(-1, 1, 31), betas = Steps(-0.5, 1.5, 21);
        var losses = new double[alphas.Length, betas.Length];
        for (int i = 0; i < alphas.Length; i++)
            for (int j = 0; j < betas.Length; j++)
                losses[i, j] = 0.05 + alphas[i] * alphas[i] + 4 * betas[j] * betas[j] + alphas[i] * betas[j];

        PngAssert.IsPicture(SurfacePlots.SavePlane(path, alphas, betas, losses), path, 800, 650);
        PngAssert.IsPicture(SurfacePlots.SavePlane(path, alphas, betas, losses, logColor: true, width: 700, height: 700), path, 700, 700);
    }

    [Fact]
    public void SavePlane_draws_holes_where_the_loss_is_not_finite()
    {
        string path = _directory.File("plane-holes.png");
        double[] alphas = Steps(-2, 2, 5), betas = Steps(-2, 2, 5);
        var losses = new double[5, 5];
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++)
                losses[i, j] = i == 4 && j == 4 ? double.PositiveInfinity : i + j;

        PngAssert.IsPicture(SurfacePlots.SavePlane(path, alphas, betas, losses), path, 800, 650);
    }

    [Fact]
    public void Mismatched_shapes_are_refused_with_both_shapes_named()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            SurfacePlots.SavePlane(_directory.File("x.png"), Steps(0, 1, 3), Steps(0, 1, 4), new double[4, 3]));
        Assert.Contains("[4, 3]", error.Message);
        Assert.Contains("3 alphas and 4 betas", error.Message);

        var unordered = Assert.Throws<ArgumentException>(() =>
            SurfacePlots.SaveLine(_directory.File("x.png"), [0, 2, 1], [1, 1, 1]));
        Assert.Contains("increasing", unordered.Message);
    }
}
