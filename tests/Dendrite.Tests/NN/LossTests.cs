using Dendrite.NN.Losses;

namespace Dendrite.Tests.NN;

public class LossTests
{
    private static readonly Tensor Prediction = Tensor.From(0.5f, 2f, -1f, 3f);
    private static readonly Tensor Target = Tensor.From(1f, 1f, 1f, 1f);

    [Fact]
    public void RegressionLossesFollowTheirFormulas()
    {
        // residuals −0.5, 1, −2, 2
        Assert.Equal((0.25f + 1f + 4f + 4f) / 4f, new MeanSquaredError().Compute(Prediction, Target).Item(), 6);
        Assert.Equal(0.5f * (0.25f + 1f + 4f + 4f), new MeanSquaredError(half: true, reduction: Reduction.Sum).Compute(Prediction, Target).Item(), 6);
        Assert.Equal((0.5f + 1f + 2f + 2f) / 4f, new MeanAbsoluteError().Compute(Prediction, Target).Item(), 6);
        // Huber δ = 1: 0.125, 0.5, 1.5, 1.5
        Assert.Equal((0.125f + 0.5f + 1.5f + 1.5f) / 4f, new Huber(1f).Compute(Prediction, Target).Item(), 6);
        Assert.Equal([0.125f, 0.5f, 1.5f, 1.5f], new Huber(1f, Reduction.None).Compute(Prediction, Target).ToArray());
    }

    [Fact]
    public void ClassificationLossesFollowTheirFormulas()
    {
        var logits = Tensor.FromArray([2f, 0f, 1f, 0f, 3f, 0f], new Shape(2, 3));
        var classes = Tensor.From(0f, 1f);
        double Lse(params double[] z) => Math.Log(z.Sum(Math.Exp));
        double expected = ((Lse(2, 0, 1) - 2) + (Lse(0, 3, 0) - 3)) / 2;
        Assert.Equal(expected, new CrossEntropy().Compute(logits, classes).Item(), 5);
        var oneHot = Dendrite.Ops.TensorOps.OneHot(classes, 3);
        Assert.Equal(expected, new CrossEntropy().Compute(logits, oneHot).Item(), 5);
        Assert.Equal(expected, new NegativeLogLikelihood().Compute(logits.LogSoftmax(), classes).Item(), 5);
        var probabilities = Tensor.From(0.9f, 0.2f);
        var labels = Tensor.From(1f, 0f);
        double bce = -(Math.Log(0.9) + Math.Log(0.8)) / 2;
        Assert.Equal(bce, new BinaryCrossEntropy().Compute(probabilities, labels).Item(), 5);
        var logit = Tensor.From(MathF.Log(9f), MathF.Log(0.25f));
        Assert.Equal(bce, new BinaryCrossEntropy(fromLogits: true).Compute(logit, labels).Item(), 5);
    }

    [Fact]
    public void ContrastiveLossPullsSimilarPairsAndPushesDissimilarOnesToTheMargin()
    {
        var a = Tensor.FromArray([0, 0, 1, 1, 0, 0], new Shape(3, 2));
        var b = Tensor.FromArray([1, 0, 1, 1, 0, 3], new Shape(3, 2));
        var similar = Tensor.From(1f, 0f, 0f);
        // d² = 1, 0, 9; margin 4: similar → 1; dissimilar → max(0, 4 − 0) = 4, max(0, 4 − 9) = 0.
        Assert.Equal([1f, 4f, 0f], new ContrastiveLoss(4f, Reduction.None).Compute(a, b, similar).ToArray());
        var x = Tensor.Randn([3, 2]);
        var result = GradCheck.Run(() => new ContrastiveLoss(4f).Compute(x, b, similar), [x]);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void MismatchedShapesGetAClearMessage()
    {
        var error = Assert.Throws<ShapeMismatchException>(() => new MeanSquaredError().Compute(Tensor.Zeros([4, 2]), Tensor.Zeros([4])));
        Assert.Contains("MeanSquaredError", error.Message);
        Assert.Contains("[4, 2]", error.Message);
        Assert.Contains("[4]", error.Message);
        var ce = Assert.Throws<ShapeMismatchException>(() => new CrossEntropy().Compute(Tensor.Zeros([4, 3]), Tensor.Zeros([5])));
        Assert.Contains("[4, 3]", ce.Message);
        Assert.Contains("[5]", ce.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropy().Compute(Tensor.Zeros([2, 3]), Tensor.From(0f, 3f)));
    }

    [Fact]
    public void LossGradientsMatchFiniteDifferences()
    {
        var generator = new RandomGenerator(4);
        var p = Tensor.Uniform([3, 4], -2f, 2f, generator);
        var t = Tensor.Uniform([3, 4], -2f, 2f, generator);
        foreach (Loss loss in new Loss[] { new MeanSquaredError(), new MeanSquaredError(true, Reduction.Sum), new MeanAbsoluteError(), new Huber(0.7f) })
        {
            var result = GradCheck.Run(() => loss.Compute(p, t), [p]);
            Assert.True(result.Passed, $"{loss}: {result}");
        }
        var soft = Tensor.Uniform([3, 4], 0f, 1f, generator);
        var result2 = GradCheck.Run(() => new CrossEntropy().Compute(p, soft / soft.Sum(1, keepDims: true)), [p]);
        Assert.True(result2.Passed, result2.ToString());
    }
}
