using Dendrite.Data;

namespace Dendrite.Tests.Data;

public class SplitsTests
{
    // Row i has the single feature i, so a split's rows can be read back from its features.
    private static Dataset Labelled(params int[] classSizes)
    {
        var labels = classSizes.SelectMany((size, c) => Enumerable.Repeat((float)c, size)).ToArray();
        var features = Enumerable.Range(0, labels.Length).Select(i => (float)i).ToArray();
        return Dataset.ForClassification(Tensor.FromArray(features, [labels.Length, 1]), Tensor.FromArray(labels));
    }

    private static int[] Rows(Dataset part) => part.Features.ToArray().Select(v => (int)v).ToArray();

    [Theory]
    [InlineData(150, 0.6, 0.2, 0.2, 90, 30, 30)]
    [InlineData(1797, 0.6, 0.2, 0.2, 1078, 360, 359)]
    [InlineData(1797, 0.65, 0.10, 0.25, 1168, 180, 449)]
    [InlineData(178, 0.65, 0.10, 0.25, 116, 18, 44)]
    [InlineData(10, 1.0, 0.0, 0.0, 10, 0, 0)]
    public void SplitSizesAreTheRoundedFractionsAndPartitionTheRows(int n, double train, double validation, double test, int trainCount, int validationCount, int testCount)
    {
        var data = Labelled(n);
        var (trainSet, validationSet, testSet) = Splits.TrainValidationTest(data, train, validation, test, new RandomGenerator(1));
        Assert.Equal([trainCount, validationCount, testCount], new[] { trainSet.Count, validationSet.Count, testSet.Count });
        Assert.Equal(Enumerable.Range(0, n), Rows(trainSet).Concat(Rows(validationSet)).Concat(Rows(testSet)).Order());
    }

    [Fact]
    public void SplitsAreRandomAndFixedByTheSeed()
    {
        var data = Labelled(100);
        var a = Splits.TrainValidationTestIndices(data, 0.6, 0.2, 0.2, new RandomGenerator(4));
        var b = Splits.TrainValidationTestIndices(data, 0.6, 0.2, 0.2, new RandomGenerator(4));
        var c = Splits.TrainValidationTestIndices(data, 0.6, 0.2, 0.2, new RandomGenerator(5));
        Assert.Equal(a.Train, b.Train);
        Assert.NotEqual(a.Train, c.Train);
        Assert.NotEqual(Enumerable.Range(0, 60), a.Train);
    }

    [Theory]
    [InlineData(0.6, 0.2, 0.2)]
    [InlineData(0.65, 0.10, 0.25)]
    public void StratifiedSplitsKeepEachClassShareWithinOneSample(double train, double validation, double test)
    {
        var data = Labelled(59, 71, 48); // wine's classes
        double[] fractions = [train, validation, test];
        var (trainSet, validationSet, testSet) = Splits.TrainValidationTest(data, train, validation, test, new RandomGenerator(8), stratified: true);
        Dataset[] parts = [trainSet, validationSet, testSet];
        int[] classSizes = data.ClassCounts();
        for (int p = 0; p < 3; p++)
        {
            int[] counts = parts[p].ClassCounts();
            for (int c = 0; c < 3; c++)
                Assert.InRange(counts[c], Math.Floor(classSizes[c] * fractions[p]) - 1e-9, Math.Ceiling(classSizes[c] * fractions[p]) + 1e-9);
        }
        // Totals as the unstratified split's, and a partition.
        var plain = Splits.TrainValidationTest(data, train, validation, test, new RandomGenerator(8));
        Assert.Equal(new[] { plain.Train.Count, plain.Validation.Count, plain.Test.Count }, parts.Select(p => p.Count));
        Assert.Equal(Enumerable.Range(0, data.Count), parts.SelectMany(Rows).Order());
        // Not grouped by class.
        Assert.NotEqual(trainSet.ClassIndices().Order(), trainSet.ClassIndices());
    }

    [Fact]
    public void TrainValidationHoldsOutTheFraction()
    {
        var (train, heldOut) = Splits.TrainValidation(Labelled(50, 50), 0.2, new RandomGenerator(2), stratified: true);
        Assert.Equal(80, train.Count);
        Assert.Equal([10, 10], heldOut.ClassCounts());
    }

    [Fact]
    public void BadFractionsAreRejected()
    {
        var data = Labelled(10);
        Assert.Throws<ArgumentException>(() => Splits.TrainValidationTest(data, 0.6, 0.2, 0.3, new RandomGenerator(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Splits.TrainValidationTest(data, 1.2, -0.2, 0, new RandomGenerator(1)));
        var regression = Dataset.ForRegression(Tensor.Zeros([4, 1]), Tensor.Zeros([4]));
        Assert.Throws<ArgumentException>(() => Splits.TrainValidationTest(regression, 0.5, 0.25, 0.25, new RandomGenerator(1), stratified: true));
    }

    [Theory]
    [InlineData(5, false)]
    [InlineData(5, true)]
    [InlineData(10, true)]
    public void KFoldValidatesEverySampleExactlyOnce(int k, bool stratified)
    {
        var data = Labelled(23, 17, 13);
        var folds = Splits.KFold(data, k, new RandomGenerator(6), stratified);
        Assert.Equal(k, folds.Count);
        Assert.Equal(Enumerable.Range(0, data.Count), folds.SelectMany(f => Rows(f.Validation)).Order());
        foreach (var (train, validation) in folds)
        {
            Assert.Equal(data.Count, train.Count + validation.Count);
            Assert.Empty(Rows(train).Intersect(Rows(validation)));
            Assert.InRange(validation.Count, data.Count / k, data.Count / k + 1);
            if (stratified)
            {
                int[] counts = validation.ClassCounts();
                int[] sizes = data.ClassCounts();
                for (int c = 0; c < sizes.Length; c++) Assert.InRange(counts[c], sizes[c] / k, sizes[c] / k + 1);
            }
        }
    }

    [Fact]
    public void BootstrapDrawsNWithReplacementAndTheRestIsOutOfBag()
    {
        var data = Labelled(1000);
        var (sample, outOfBag) = Splits.Bootstrap(data, new RandomGenerator(9));
        Assert.Equal(1000, sample.Count);
        int[] drawn = Rows(sample);
        Assert.True(drawn.Distinct().Count() < 1000); // repeats
        Assert.Equal(Enumerable.Range(0, 1000).Except(drawn).Order(), Rows(outOfBag));
        Assert.InRange(outOfBag.Count, 330, 410); // (1 - 1/N)^N ≈ e^-1 ≈ 0.368
    }
}
