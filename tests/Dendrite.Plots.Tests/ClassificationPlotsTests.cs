namespace Dendrite.Plots.Tests;

public sealed class ClassificationPlotsTests : IDisposable
{
    private readonly PlotDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static int[,] Counts(int classes)
    {
        var counts = new int[classes, classes];
        for (int t = 0; t < classes; t++)
            for (int p = 0; p < classes; p++)
                counts[t, p] = t == p ? 90 + t : (t * 7 + p * 3) % 5;
        return counts;
    }

    private static readonly string[] FashionClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    [Fact]
    public void SaveConfusionMatrix_normalised_with_ten_named_classes()
    {
        string path = _directory.File("confusion.png");

        PngAssert.IsPicture(ClassificationPlots.SaveConfusionMatrix(path, Counts(10), FashionClasses), path, 800, 700);
    }

    [Fact]
    public void SaveConfusionMatrix_with_counts_and_an_empty_class()
    {
        string path = _directory.File("confusion-counts.png");
        var counts = Counts(3);
        for (int p = 0; p < 3; p++) counts[1, p] = 0;

        string written = ClassificationPlots.SaveConfusionMatrix(path, counts, ["a", "b", "c"], normalize: false, width: 600, height: 600);

        PngAssert.IsPicture(written, path, 600, 600);
    }

    [Fact]
    public void A_non_square_matrix_or_wrong_names_are_refused()
    {
        string path = _directory.File("x.png");
        var square = Assert.Throws<ArgumentException>(() => ClassificationPlots.SaveConfusionMatrix(path, new int[2, 3], ["a", "b"]));
        Assert.Contains("[2, 3]", square.Message);
        var names = Assert.Throws<ArgumentException>(() => ClassificationPlots.SaveConfusionMatrix(path, Counts(3), ["a", "b"]));
        Assert.Contains("classNames has 2", names.Message);
    }
}
