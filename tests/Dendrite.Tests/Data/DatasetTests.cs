using Dendrite.Data;

namespace Dendrite.Tests.Data;

public class DatasetTests
{
    // 5 samples of 3 features: feature j of sample i is 10·i + j; labels 0,1,2,0,1.
    private static Dataset Small() => Dataset.ForClassification(
        Tensor.FromArray(Enumerable.Range(0, 5).SelectMany(i => Enumerable.Range(0, 3).Select(j => 10f * i + j)).ToArray(), [5, 3]),
        Tensor.From(0, 1, 2, 0, 1),
        ["a", "b", "c"], "small");

    [Fact]
    public void GetBatchCopiesTheRowsInTheOrderAsked()
    {
        var data = Small();
        var (features, targets) = data.GetBatch([4, 0, 4]);
        Assert.Equal(new Shape(3, 3), features.Shape);
        Assert.Equal([40f, 41f, 42f, 0f, 1f, 2f, 40f, 41f, 42f], features.ToArray());
        Assert.Equal([1f, 0f, 1f], targets.ToArray());
        features.Data[0] = -1f;
        Assert.Equal(40f, data.Features[4, 0]); // a copy, not a view
    }

    [Fact]
    public void GetBatchIntoBuffersOfTheCaller()
    {
        var data = Small();
        var features = Tensor.Zeros([2, 3]);
        var targets = Tensor.Zeros([2]);
        data.GetBatch([2, 3], features, targets);
        Assert.Equal([20f, 21f, 22f, 30f, 31f, 32f], features.ToArray());
        Assert.Equal([2f, 0f], targets.ToArray());
        Assert.Throws<ShapeMismatchException>(() => data.GetBatch([1, 2, 3], features, targets));
    }

    [Fact]
    public void IndexerGivesOneSampleWithoutTheBatchDimension()
    {
        var (features, target) = Small()[3];
        Assert.Equal(new Shape(3), features.Shape);
        Assert.Equal([30f, 31f, 32f], features.ToArray());
        Assert.Equal(0f, target.Item());
        Assert.Throws<ArgumentOutOfRangeException>(() => Small()[5]);
    }

    [Fact]
    public void SubsetKeepsNamesAndTheClassCountEvenWhenAClassIsAbsent()
    {
        var subset = Small().Subset([0, 3]); // only class 0
        Assert.Equal(2, subset.Count);
        Assert.Equal(3, subset.NumClasses);
        Assert.Equal(["a", "b", "c"], subset.ClassNames);
        Assert.Equal([2, 0, 0], subset.ClassCounts());
    }

    [Fact]
    public void ClassCountIsTheLargestLabelPlusOneWithoutNames()
    {
        var data = Dataset.ForClassification(Tensor.Zeros([3, 2]), Tensor.From(0, 4, 1));
        Assert.Equal(5, data.NumClasses);
        Assert.Equal(["0", "1", "2", "3", "4"], data.ClassNames);
        Assert.Equal([0, 4, 1], data.ClassIndices());
    }

    [Fact]
    public void BadLabelsAndShapesAreRejectedWithTheSampleNamed()
    {
        var error = Assert.Throws<ArgumentException>(() => Dataset.ForClassification(Tensor.Zeros([3, 2]), Tensor.From(0, 1.5f, 1)));
        Assert.Contains("sample 1 is 1.5", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Dataset.ForClassification(Tensor.Zeros([2, 2]), Tensor.From(0, 3), ["x", "y"]));
        Assert.Throws<ShapeMismatchException>(() => Dataset.ForClassification(Tensor.Zeros([3, 2]), Tensor.From(0, 1)));
        Assert.Throws<ShapeMismatchException>(() => Dataset.ForClassification(Tensor.Zeros([2, 2]), Tensor.Zeros([2, 2])));
    }

    [Fact]
    public void RegressionTargetsAreRowsAndHaveNoClasses()
    {
        var data = Dataset.ForRegression(Tensor.Zeros([4, 2]), Tensor.From(1, 2, 3, 4));
        Assert.Equal(new Shape(4, 1), data.Targets.Shape);
        Assert.Equal(1, data.TargetCount);
        Assert.Null(data.ClassNames);
        Assert.Throws<InvalidOperationException>(() => data.NumClasses);
        var (_, targets) = data.GetBatch([3, 1]);
        Assert.Equal(new Shape(2, 1), targets.Shape);
        Assert.Equal([4f, 2f], targets.ToArray());
    }

    [Fact]
    public void ReshapeFeaturesSharesStorageAndBatchesKeepTheSampleShape()
    {
        var data = Dataset.ForClassification(Tensor.Arange(2 * 16).Reshape(2, 16), Tensor.From(0, 1));
        var images = data.ReshapeFeatures(1, 4, 4);
        Assert.Equal(new Shape(2, 1, 4, 4), images.Features.Shape);
        Assert.Equal(new Shape(1, 4, 4), images.SampleShape);
        data.Features.Data[17] = 99f;
        Assert.Equal(99f, images.Features[1, 0, 0, 1]);
        var (batch, _) = images.GetBatch([1]);
        Assert.Equal(new Shape(1, 1, 4, 4), batch.Shape);
        Assert.Throws<ShapeMismatchException>(() => data.ReshapeFeatures(1, 3, 3));
    }
}
