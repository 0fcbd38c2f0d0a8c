using Dendrite.Data;
using Dendrite.Tests.Support;

namespace Dendrite.Tests.Data;

public class TransformTests
{
    // Column 0: 1, 2, 3, 4 (mean 2.5, population std √1.25); column 1 constant 7.
    private static readonly Tensor Train = Tensor.FromArray(new float[] { 1, 7, 2, 7, 3, 7, 4, 7 }, [4, 2]);
    private static readonly Tensor Test = Tensor.FromArray(new float[] { 10, 7, 0, 8 }, [2, 2]);

    [Fact]
    public void StandardizerFitsMeanAndPopulationStdAndLeavesConstantFeaturesCentred()
    {
        var scaler = new Standardizer().Fit(Train);
        Assert.Equal([2.5f, 7f], scaler.Mean.ToArray());
        Assert.Equal([MathF.Sqrt(1.25f), 1f], scaler.StandardDeviation.ToArray());
        float[] z = scaler.Transform(Train).ToArray();
        Assertions.AllClose(new[] { -1.3416408f, 0, -0.4472136f, 0, 0.4472136f, 0, 1.3416408f, 0 }, z);
        Assert.DoesNotContain(z, float.IsNaN);
    }

    [Fact]
    public void TransformingTheTestSplitUsesTheTrainingStatistics()
    {
        var scaler = new Standardizer().Fit(Train);
        float[] z = scaler.Transform(Test).ToArray();
        // (10 - 2.5)/√1.25, (7 - 7)/1, (0 - 2.5)/√1.25, (8 - 7)/1: the test split's own mean and std play no part.
        Assertions.AllClose(new[] { 7.5f / MathF.Sqrt(1.25f), 0f, -2.5f / MathF.Sqrt(1.25f), 1f }, z);
        Assertions.AllClose(Test, scaler.Inverse(scaler.Transform(Test)));
    }

    [Fact]
    public void FitOnADatasetAndTransformADatasetKeepTheTargets()
    {
        var digits = Datasets.Digits();
        var (train, _, test) = Splits.TrainValidationTest(digits, 0.6, 0.2, 0.2, new RandomGenerator(3));
        var scaler = new Standardizer().Fit(train);
        var scaledTrain = scaler.Transform(train);
        var scaledTest = scaler.Transform(test);
        Assert.Same(test.Targets, scaledTest.Targets);
        Assert.Equal(test.ClassNames, scaledTest.ClassNames);
        // Each training column now has mean 0 (std 1 or 0 for constant pixels); the test split's only approximately.
        float[] values = scaledTrain.Features.ToArray();
        for (int j = 0; j < 64; j++)
        {
            double mean = Enumerable.Range(0, train.Count).Average(i => values[i * 64 + j]);
            Assert.InRange(mean, -1e-4, 1e-4);
        }
    }

    [Fact]
    public void MinMaxScalerMapsTheFittedRangeToTheTarget()
    {
        var scaler = new MinMaxScaler().Fit(Train);
        Assertions.AllClose(new[] { 0f, 0f, 1f / 3, 0f, 2f / 3, 0f, 1f, 0f }, scaler.Transform(Train).ToArray());
        // Test values beyond the training range go beyond [0, 1]: the training statistics rule.
        Assertions.AllClose(new[] { 3f, 0f, -1f / 3, 1f }, scaler.Transform(Test).ToArray());
        var symmetric = new MinMaxScaler(-1f, 1f).Fit(Train);
        Assertions.AllClose(new[] { -1f, -1f, -1f / 3, -1f, 1f / 3, -1f, 1f, -1f }, symmetric.Transform(Train).ToArray());
        Assertions.AllClose(Test, symmetric.Inverse(symmetric.Transform(Test)));
    }

    [Fact]
    public void FittedParametersRoundTripThroughNamedTensors()
    {
        var images = Tensor.Rand([10, 1, 2, 3], new RandomGenerator(1));
        var scaler = new Standardizer().Fit(images);
        var state = scaler.GetState();
        Assert.Equal(["mean", "std"], state.Keys.Order());
        Assert.Equal(new Shape(1, 2, 3), state["mean"].Shape);
        var restored = new Standardizer();
        restored.SetState(state);
        Assert.Equal(scaler.Transform(images).ToArray(), restored.Transform(images).ToArray());

        var minMax = new MinMaxScaler(-2f, 2f).Fit(images);
        var again = new MinMaxScaler();
        again.SetState(minMax.GetState());
        Assert.Equal(-2f, again.Low);
        Assert.Equal(minMax.Transform(images).ToArray(), again.Transform(images).ToArray());
    }

    [Fact]
    public void MisuseIsReportedWithTheShapes()
    {
        Assert.Throws<InvalidOperationException>(() => new Standardizer().Transform(Train));
        var scaler = new Standardizer().Fit(Train);
        var error = Assert.Throws<ShapeMismatchException>(() => scaler.Transform(Tensor.Zeros([2, 3])));
        Assert.Contains("[2]", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Standardizer().SetState(new Dictionary<string, Tensor> { ["mean"] = Tensor.Zeros([2]) }));
    }

    [Fact]
    public void OneHotEncodesAndDecodes()
    {
        var encoded = OneHot.Encode(Tensor.From(2, 0, 1), 3);
        Assert.Equal(new Shape(3, 3), encoded.Shape);
        Assert.Equal([0f, 0f, 1f, 1f, 0f, 0f, 0f, 1f, 0f], encoded.ToArray());
        Assert.Equal([2f, 0f, 1f], OneHot.Decode(encoded).ToArray());
        Assert.Throws<ArgumentException>(() => OneHot.Encode(Tensor.From(3), 3));
    }
}
