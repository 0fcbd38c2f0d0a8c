namespace Dendrite.Plots.Tests;

public sealed class ScatterPlotsTests : IDisposable
{
    private readonly PlotDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>Three Gaussian-ish clusters laid out deterministically.</summary>
    private static ((float X, float Y)[] Points, int[] Classes) Clusters(int perClass)
    {
        var random = new Random(7);
        var points = new (float, float)[3 * perClass];
        var classes = new int[3 * perClass];
        for (int i = 0; i < points.Length; i++)
        {
            int c = i % 3;
            points[i] = ((float)(3 * Math.Cos(2 * c) + random.NextDouble() - 0.5), (float)(3 * Math.Sin(2 * c) + random.NextDouble() - 0.5));
            classes[i] = c;
        }
        return (points, classes);
    }

    [Fact]
    public void SaveCodes_from_tuples_with_class_names()
    {
        string path = _directory.File("codes.png");
        var (points, classes) = Clusters(200);

        PngAssert.IsPicture(ScatterPlots.SaveCodes(path, points, classes, ["zero", "one", "two"]), path, 800, 650);
    }

    [Fact]
    public void SaveCodes_from_an_array_and_from_a_tensor()
    {
        var (points, classes) = Clusters(50);
        var array = new float[points.Length, 2];
        for (int i = 0; i < points.Length; i++) (array[i, 0], array[i, 1]) = points[i];
        string arrayPath = _directory.File("codes-array.png"), tensorPath = _directory.File("codes-tensor.png");

        PngAssert.IsPicture(ScatterPlots.SaveCodes(arrayPath, array, classes), arrayPath, 800, 650);
        PngAssert.IsPicture(ScatterPlots.SaveCodes(tensorPath, Tensor.FromArray(array), classes, width: 500, height: 500), tensorPath, 500, 500);
        Assert.Equal(File.ReadAllBytes(arrayPath), File.ReadAllBytes(ScatterPlots.SaveCodes(tensorPath, Tensor.FromArray(array), classes)));
    }

    [Fact]
    public void Classes_outside_the_names_or_codes_that_are_not_2d_are_refused()
    {
        string path = _directory.File("x.png");
        var names = Assert.Throws<ArgumentException>(() => ScatterPlots.SaveCodes(path, [(0f, 0f), (1f, 1f)], [0, 2], ["a", "b"]));
        Assert.Contains("classes[1] = 2", names.Message);
        var shape = Assert.Throws<ArgumentException>(() => ScatterPlots.SaveCodes(path, new float[4, 3], [0, 0, 0, 0]));
        Assert.Contains("[samples, 2]", shape.Message);
    }
}
