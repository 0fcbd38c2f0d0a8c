using Dendrite.NN;
using Dendrite.NN.Initializers;
using Dendrite.NN.Layers;
using Dendrite.NN.Regularizers;
using Dendrite.Tests.Support;

namespace Dendrite.Tests.NN;

public class LayerTests
{
    [Fact]
    public void DenseConforms() => LayerConformance.Check(() => new Dense(3, 4, new Tanh()), [2, 3], [2, 4], ["weight", "bias"],
        wrongInputShape: [2, 5], nameInError: "Dense(3->4");

    [Fact]
    public void DenseWithoutBiasOn3DInputConforms() => LayerConformance.Check(() => new Dense(3, 2, bias: false), [2, 4, 3], [2, 4, 2], ["weight"]);

    [Fact]
    public void DenseRejectsABadInputWithTheSeedsMessage()
    {
        var error = Assert.Throws<ShapeMismatchException>(() => new Dense(784, 128).Forward(Tensor.Zeros([32, 785])));
        Assert.Equal("Dense(784->128) got input [32, 785]; expected [*, 784]. The last input dimension must equal inFeatures.", error.Message);
    }

    public static TheoryData<string> ActivationNames() => new() { "identity", "sigmoid", "tanh", "lecun_tanh", "relu", "leaky_relu", "elu", "softplus", "gelu", "silu", "softmax", "log_softmax", "noisy_relu" };

    [Theory]
    [MemberData(nameof(ActivationNames))]
    public void ActivationLayersConform(string name) =>
        LayerConformance.Check(() => ActivationLayer.FromName(name), [3, 4], [3, 4], [],
            input: g => Tensor.Uniform([3, 4], 0.1f, 1.5f, g) * Tensor.FromArray([1, -1, 1, -1], new Shape(4)));

    [Fact]
    public void NoisyReluAddsNoiseOnlyInTraining()
    {
        var layer = new NoisyRelu(0.5f, new RandomGenerator(3));
        var x = Tensor.Full([1000], 1f);
        float[] noisy = layer.Forward(x).ToArray();
        Assert.InRange(noisy.Select(v => (v - 1.0) * (v - 1.0)).Average(), 0.2, 0.3);
        layer.Eval();
        Assert.All(layer.Forward(x).ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void StructureLayersConform()
    {
        LayerConformance.Check(() => new Flatten(), [2, 3, 4], [2, 12], []);
        LayerConformance.Check(() => new Reshape(4, 3), [2, 12], [2, 4, 3], []);
        LayerConformance.Check(() => new Residual(new Dense(4, 4, new Tanh())), [3, 4], [3, 4], ["body.weight", "body.bias"],
            wrongInputShape: [3, 5], nameInError: "Dense(4->4");
        LayerConformance.Check(() => new Concatenate(1, new Dense(4, 2), new Dense(4, 3, new Relu())), [3, 4], [3, 5], ["0.weight", "0.bias", "1.weight", "1.bias"]);
        LayerConformance.Check(() => new Embedding(10, 3), [2, 4], [2, 4, 3], ["weight"], checkInputGradient: false,
            input: _ => Tensor.FromArray([1, 2, 2, 9, 0, 5, 5, 5], new Shape(2, 4)));
    }

    [Fact]
    public void EmbeddingRejectsIndicesOutsideTheTable()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Embedding(10, 3).Forward(Tensor.From(3, 10)));
        Assert.Contains("Embedding(10, 3)", error.Message);
        Assert.Contains("[0, 10)", error.Message);
    }

    [Fact]
    public void NormalizationLayersConform()
    {
        LayerConformance.Check(() => new BatchNorm(3), [4, 3], [4, 3], ["weight", "bias"], wrongInputShape: [4, 5], nameInError: "BatchNorm(3)");
        LayerConformance.Check(() => new BatchNorm(2), [3, 2, 4, 4], [3, 2, 4, 4], ["weight", "bias"]);
        LayerConformance.Check(() => new LayerNorm(4), [3, 4], [3, 4], ["weight", "bias"], wrongInputShape: [3, 5], nameInError: "LayerNorm([4])");
        LayerConformance.Check(() => new LayerNorm([2, 3]), [2, 2, 3], [2, 2, 3], ["weight", "bias"]);
        LayerConformance.Check(() => new WeightNorm(new Dense(3, 4, new Tanh())), [2, 3], [2, 4], ["g", "layer.weight", "layer.bias"]);
    }

    [Fact]
    public void BatchNormInTrainingModeNormalisesWithBatchStatistics()
    {
        var layer = new BatchNorm(2);
        var x = Tensor.FromArray([1, 10, 2, 20, 3, 30, 4, 40], new Shape(4, 2));
        float[] y = layer.Forward(x).ToArray();
        for (int c = 0; c < 2; c++)
        {
            float[] column = [y[c], y[2 + c], y[4 + c], y[6 + c]];
            Assert.Equal(0.0, column.Average(), 5);
            Assert.Equal(1.0, column.Select(v => (double)v * v).Average(), 1e-3);
        }
    }

    [Fact]
    public void BatchNormRunningStatisticsConvergeToTheDataMeanAndVariance()
    {
        var layer = new BatchNorm(3, momentum: 0.1f);
        var generator = new RandomGenerator(9);
        float[] means = [2f, -1f, 0.5f], deviations = [3f, 0.5f, 1f];
        for (int step = 0; step < 300; step++)
        {
            var batch = Tensor.Zeros([64, 3]);
            Span<float> data = batch.Data;
            for (int i = 0; i < 64; i++)
                for (int c = 0; c < 3; c++) data[i * 3 + c] = means[c] + deviations[c] * generator.NextNormal();
            layer.Forward(batch);
        }
        float[] runningMean = layer.RunningMean.ToArray(), runningVariance = layer.RunningVariance.ToArray();
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(means[c], runningMean[c], 0.25f * deviations[c]);
            Assert.InRange(runningVariance[c] / (deviations[c] * deviations[c]), 0.85, 1.15);
        }
        // Evaluation mode uses the running statistics: the data's own distribution maps to about N(0, 1).
        layer.Eval();
        var sample = Tensor.FromArray([2f + 3f, -1f, 0.5f], new Shape(1, 3));
        Assert.Equal(1f, layer.Forward(sample).ToArray()[0], 0.15f);
    }

    [Fact]
    public void DropoutKeepsTheExpectedShareAndPreservesTheExpectation()
    {
        var layer = new Dropout(0.3f, generator: new RandomGenerator(5));
        var x = Tensor.Full([100_000], 2f);
        float[] y = layer.Forward(x).ToArray();
        double kept = y.Count(v => v != 0f) / (double)y.Length;
        Assert.Equal(0.7, kept, 0.01);
        Assert.All(y.Where(v => v != 0f), v => Assert.Equal(2f / 0.7f, v, 5));
        Assert.Equal(2.0, y.Average(), 0.05);
        layer.Eval();
        Assert.Equal(x.ToArray(), layer.Forward(x).ToArray());

        var classic = new Dropout(0.3f, DropoutScaling.ScaleAtTest, new RandomGenerator(5));
        float[] trained = classic.Forward(x).ToArray();
        Assert.All(trained.Where(v => v != 0f), v => Assert.Equal(2f, v));
        classic.Eval();
        Assert.All(classic.Forward(x).ToArray(), v => Assert.Equal(2f * 0.7f, v, 5));
    }

    [Fact]
    public void NoiseLayersPreserveTheExpectationAndSwitchOffInEvaluation()
    {
        var x = Tensor.Full([100_000], 1.5f);
        var additive = new GaussianNoise(0.4f, new RandomGenerator(1));
        float[] a = additive.Forward(x).ToArray();
        Assert.Equal(1.5, a.Average(), 0.01);
        Assert.Equal(0.4, Math.Sqrt(a.Select(v => (v - 1.5) * (v - 1.5)).Average()), 0.01);
        var multiplicative = new GaussianDropout(0.2f, new RandomGenerator(2));
        float[] m = multiplicative.Forward(x).ToArray();
        Assert.Equal(1.5, m.Average(), 0.01);
        Assert.Equal(1.5 * Math.Sqrt(0.2 / 0.8), Math.Sqrt(m.Select(v => (v - 1.5) * (v - 1.5)).Average()), 0.01);
        additive.Eval();
        multiplicative.Eval();
        Assert.Equal(x.ToArray(), additive.Forward(x).ToArray());
        Assert.Equal(x.ToArray(), multiplicative.Forward(x).ToArray());
    }

    [Fact]
    public void DropConnectAndShakeoutAverageToTheDenseLayer()
    {
        RandomGenerator.SetDefaultSeed(4);
        var dense = new Dense(6, 3);
        var x = Tensor.Uniform([1, 6], -1f, 1f, new RandomGenerator(8));
        float[] exact = dense.Forward(x).ToArray();
        foreach (Module noisy in new Module[] { new DropConnect(dense, 0.4f, new RandomGenerator(1)), new Shakeout(dense, 0.4f, 0.2f, new RandomGenerator(2)) })
        {
            var sum = new double[3];
            const int samples = 20_000;
            for (int i = 0; i < samples; i++)
            {
                float[] y = noisy.Forward(x).ToArray();
                for (int j = 0; j < 3; j++) sum[j] += y[j];
            }
            for (int j = 0; j < 3; j++) Assert.Equal(exact[j], sum[j] / samples, 0.03);
            noisy.Eval();
            Assert.Equal(exact, noisy.Forward(x).ToArray());
        }
        LayerConformance.Check(() => new DropConnect(new Dense(3, 2), 0.5f), [2, 3], [2, 2], ["layer.weight", "layer.bias"]);
        LayerConformance.Check(() => new Shakeout(new Dense(3, 2), 0.5f, 0.1f), [2, 3], [2, 2], ["layer.weight", "layer.bias"]);
    }

    [Fact]
    public void DropoutRatesOutsideTheUnitIntervalAreRejected()
    {
        Assert.Contains("[0, 1)", Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1f)).Message);
        Assert.Contains("-0.1", Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(-0.1f)).Message);
        Assert.Contains("DropConnect", Assert.Throws<ArgumentOutOfRangeException>(() => new DropConnect(new Dense(2, 2), 1.5f)).Message);
    }

    [Fact]
    public void ShakeoutGradientsPassTheCheckWithAFixedMask()
    {
        var generator = new RandomGenerator(0);
        var layer = new Shakeout(new Dense(4, 3), 0.3f, 0.2f, generator);
        var x = Tensor.Uniform([5, 4], -1f, 1f, new RandomGenerator(3));
        var result = GradCheck.Run(() =>
        {
            generator.Reseed(11);
            return layer.Forward(x);
        }, [x, .. layer.Parameters()]);
        Assert.True(result.Passed, result.ToString());
    }
}
