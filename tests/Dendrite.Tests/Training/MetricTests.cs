using Dendrite.Training.Metrics;

namespace Dendrite.Tests.Training;

public class MetricTests
{
    private static readonly Tensor Scores = Tensor.FromArray([
        0.9f, 0.05f, 0.05f,
        0.1f, 0.8f, 0.1f,
        0.2f, 0.5f, 0.3f,
        0.1f, 0.2f, 0.7f,
        0.6f, 0.3f, 0.1f], new Shape(5, 3));

    private static readonly Tensor Labels = Tensor.From(0, 1, 2, 2, 1);

    [Fact]
    public void ClassificationMetricsFollowTheirDefinitions()
    {
        var accuracy = new Accuracy();
        accuracy.Update(Scores, Labels);
        Assert.Equal(3.0 / 5, accuracy.Result, 10);
        var top2 = new TopKAccuracy(2);
        top2.Update(Scores, Labels);
        Assert.Equal(5.0 / 5, top2.Result, 10);

        var matrix = new ConfusionMatrix(3);
        matrix.Update(Scores, Labels);
        // truth 0 → 0; truth 1 → 1, 0; truth 2 → 1, 2
        Assert.Equal(1, matrix[0, 0]);
        Assert.Equal(1, matrix[1, 1]);
        Assert.Equal(1, matrix[1, 0]);
        Assert.Equal(1, matrix[2, 1]);
        Assert.Equal(1, matrix[2, 2]);
        Assert.Equal(0.5, matrix.Precision(0), 10);
        Assert.Equal(1.0, matrix.Recall(0), 10);
        Assert.Equal(2.0 / 3, matrix.F1(0), 10);
        Assert.Equal((0.5 + 0.5 + 1.0) / 3, matrix.MacroPrecision, 10);
        Assert.Equal((1.0 + 0.5 + 0.5) / 3, matrix.MacroRecall, 10);
        Assert.Contains("predicted", matrix.Format(["zero", "one", "two"]));

        foreach (var (metric, expected) in new (Metric, double)[] { (new Precision(), matrix.MacroPrecision), (new Recall(), matrix.MacroRecall), (new F1Score(), matrix.MacroF1) })
        {
            metric.Update(Scores.Narrow(0, 0, 2), Labels.Narrow(0, 0, 2));
            metric.Update(Scores.Narrow(0, 2, 3), Labels.Narrow(0, 2, 3));
            Assert.Equal(expected, metric.Result, 10);
        }
    }

    [Fact]
    public void RegressionMetricsFollowTheirDefinitions()
    {
        var p = Tensor.From(1f, 2f, 4f);
        var t = Tensor.From(1f, 3f, 2f);
        var mse = new MeanSquaredErrorMetric();
        var mae = new MeanAbsoluteErrorMetric();
        var r2 = new RSquared();
        foreach (Metric m in new Metric[] { mse, mae, r2 }) m.Update(p, t);
        Assert.Equal(5.0 / 3, mse.Result, 10);
        Assert.Equal(1.0, mae.Result, 10);
        // SS_res = 5, SS_tot = Σ(t − 2)² = 2
        Assert.Equal(1 - 5.0 / 2, r2.Result, 10);
        Assert.False(mse.HigherIsBetter);
        Assert.True(r2.HigherIsBetter);
    }

    [Fact]
    public void MetricsAreFoundByNameAndRejectBadTargets()
    {
        Assert.IsType<TopKAccuracy>(Metric.FromName("top5_accuracy"));
        Assert.Equal(5, ((TopKAccuracy)Metric.FromName("top5_accuracy")).K);
        Assert.IsType<RSquared>(Metric.FromName("r2"));
        Assert.Throws<ArgumentException>(() => Metric.FromName("awesomeness"));
        Assert.Throws<ShapeMismatchException>(() => new Accuracy().Update(Scores, Tensor.From(0, 1)));
    }
}
