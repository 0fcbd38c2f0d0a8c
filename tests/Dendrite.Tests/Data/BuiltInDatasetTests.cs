using System.Diagnostics;
using Dendrite.Data;
using Xunit.Abstractions;

namespace Dendrite.Tests.Data;

public class BuiltInDatasetTests(ITestOutputHelper output)
{
    [Fact]
    public void DigitsAre1797ImagesOf64PixelsFrom0To16InTenClasses()
    {
        var digits = Datasets.Digits();
        Assert.Equal("digits", digits.Name);
        Assert.Equal(new Shape(1797, 64), digits.Features.Shape);
        Assert.Equal(new Shape(1797), digits.Targets.Shape);
        Assert.Equal(10, digits.NumClasses);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), digits.ClassNames);
        Assert.All(digits.ClassCounts(), count => Assert.InRange(count, 174, 183));
        float[] pixels = digits.Features.ToArray();
        Assert.Equal(0f, pixels.Min());
        Assert.Equal(16f, pixels.Max());
        Assert.All(pixels, p => Assert.Equal(MathF.Floor(p), p));
        // The first row of the file: a zero.
        Assert.Equal(0f, digits.Targets[0]);
        Assert.Equal([0f, 0f, 5f, 13f, 9f, 1f, 0f, 0f], pixels[..8]);
        Assert.Equal("pixel_7_7", digits.FeatureNames![63]);
    }

    [Fact]
    public void DigitsAsImagesAreTheSameValuesShapedN188()
    {
        var images = Datasets.Digits(asImages: true);
        Assert.Equal(new Shape(1797, 1, 8, 8), images.Features.Shape);
        Assert.Equal(Datasets.Digits().Features.ToArray(), images.Features.ToArray());
        Assert.Equal(13f, images.Features[0, 0, 0, 3]);
    }

    [Fact]
    public void IrisIs150FlowersOf4MeasurementsFiftyPerSpecies()
    {
        var iris = Datasets.Iris();
        Assert.Equal(new Shape(150, 4), iris.Features.Shape);
        Assert.Equal(["setosa", "versicolor", "virginica"], iris.ClassNames);
        Assert.Equal([50, 50, 50], iris.ClassCounts());
        Assert.Equal([5.1f, 3.5f, 1.4f, 0.2f], iris.Features.ToArray()[..4]);
        Assert.Equal("petal length (cm)", iris.FeatureNames![2]);
    }

    [Fact]
    public void WineIs178WinesOf13MeasurementsInThreeClasses()
    {
        var wine = Datasets.Wine();
        Assert.Equal(new Shape(178, 13), wine.Features.Shape);
        Assert.Equal(["class_0", "class_1", "class_2"], wine.ClassNames);
        Assert.Equal([59, 71, 48], wine.ClassCounts());
        Assert.Equal(14.23f, wine.Features[0, 0]);
        Assert.Equal(1065f, wine.Features[0, 12]);
        Assert.Equal("proline", wine.FeatureNames![12]);
    }

    [Fact]
    public void FashionMnistNotFoundSaysWhereItLookedAndHowToInstall()
    {
        string empty = Directory.CreateTempSubdirectory("dendrite-no-fashion-").FullName;
        try
        {
            var error = Assert.Throws<DatasetNotFoundException>(() => Datasets.FashionMnist(empty));
            Assert.Contains(empty, error.Message, StringComparison.Ordinal);
            Assert.Contains("train-images-idx3-ubyte.gz", error.Message, StringComparison.Ordinal);
            Assert.Contains("sudo apt-get install dataset-fashion-mnist", error.Message, StringComparison.Ordinal);
            Assert.Equal(["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"], error.MissingFiles);

            string absent = Path.Combine(empty, "nowhere");
            error = Assert.Throws<DatasetNotFoundException>(() => Datasets.FashionMnist(absent, train: false));
            Assert.Contains($"the directory {absent} does not exist", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    private static bool FashionMnistInstalled =>
        Datasets.FashionMnistFiles.All(name => File.Exists(Path.Combine(Datasets.FashionMnistDirectory, name)));

    [Fact]
    public void FashionMnistLoadsFromTheDebianPackageWhenInstalled()
    {
        // CI installs dataset-fashion-mnist; on a machine without it there is nothing to load.
        if (!FashionMnistInstalled)
        {
            output.WriteLine($"Skipped: {Datasets.FashionMnistDirectory} has no Fashion-MNIST (sudo apt-get install dataset-fashion-mnist).");
            return;
        }
        var clock = Stopwatch.StartNew();
        var train = Datasets.FashionMnist();
        TimeSpan trainTime = clock.Elapsed;
        var test = Datasets.FashionMnist(train: false, asImages: true);
        output.WriteLine($"Fashion-MNIST: training set in {trainTime.TotalMilliseconds:F0} ms, test set in {(clock.Elapsed - trainTime).TotalMilliseconds:F0} ms.");

        Assert.Equal(new Shape(60000, 784), train.Features.Shape);
        Assert.Equal(new Shape(10000, 1, 28, 28), test.Features.Shape);
        Assert.Equal(Datasets.FashionMnistClassNames, train.ClassNames);
        Assert.Equal(Enumerable.Repeat(6000, 10), train.ClassCounts());
        Assert.Equal(Enumerable.Repeat(1000, 10), test.ClassCounts());
        float[] pixels = test.Features.ToArray();
        Assert.Equal(0f, pixels.Min());
        Assert.Equal(1f, pixels.Max());
        Assert.Equal(9f, train.Targets[0]); // the first training image is an ankle boot
    }
}
