namespace Dendrite.Plots.Tests;

public sealed class AtomicWriteTests : IDisposable
{
    private readonly PlotDirectory _directory = new(@private: true);

    public void Dispose() => _directory.Dispose();

    private static Dictionary<string, IReadOnlyList<double>> Series(int epochs) =>
        new() { ["loss"] = [.. Enumerable.Range(1, epochs).Select(e => 1.0 / e)] };

    [Fact]
    public void Plots_leave_only_their_pngs_behind()
    {
        TrainingPlots.SaveCurves(_directory.File("a.png"), Series(5), "a");
        ImagePlots.SaveGrid(_directory.File("b.png"), [new float[64]], 8, 8, 1);
        ActivationPlots.Save(_directory.File("c.png"), ActivationPlots.ClassicFunctions().Take(2).ToArray());

        string[] names = [.. Directory.GetFiles(_directory.Path).Select(file => Path.GetFileName(file)).Order()];
        Assert.Equal(new[] { "a.png", "b.png", "c.png" }, names);
    }

    [Fact]
    public void Overwriting_replaces_the_picture_and_a_refused_call_keeps_the_old_one()
    {
        string path = _directory.File("curves.png");
        TrainingPlots.SaveCurves(path, Series(5), "first", width: 400, height: 300);
        TrainingPlots.SaveCurves(path, Series(9), "second", width: 500, height: 350);
        Assert.Equal((500, 350), (PngInfo.Read(path).Width, PngInfo.Read(path).Height));
        byte[] before = File.ReadAllBytes(path);

        Assert.ThrowsAny<ArgumentException>(() => TrainingPlots.SaveCurves(path, Series(5), "third", width: 20, height: 20));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_directory.Path));
    }

    [Fact]
    public void A_missing_directory_is_created()
    {
        string path = Path.Combine(_directory.Path, "run-1", "plots", "curves.png");

        PngAssert.IsPicture(TrainingPlots.SaveCurves(path, Series(3), "t"), path, 800, 500);
    }

    [Fact]
    public void A_failed_write_leaves_neither_a_file_nor_a_temporary_one()
    {
        // A directory where the file should go: the rename fails after the bytes were written.
        string path = _directory.File("occupied.png");
        Directory.CreateDirectory(path);

        Assert.ThrowsAny<IOException>(() => PngFile.Write(path, [1, 2, 3]));

        Assert.Empty(Directory.GetFiles(_directory.Path));
    }
}
