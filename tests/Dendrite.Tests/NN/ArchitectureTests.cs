using Dendrite.NN;
using Dendrite.NN.Layers;

namespace Dendrite.Tests.NN;

/// <summary>The named architectures: published parameter counts at full size, and a forward and backward pass at reduced width.</summary>
public class ArchitectureTests(Xunit.Abstractions.ITestOutputHelper output)
{
    public static TheoryData<string, long> PublishedCounts() => new()
    {
        // Krizhevsky et al. 2012 with its two-GPU channel groups; 1000 classes.
        { "AlexNet", 60_965_224 },
        // Zeiler and Fergus 2013 (no groups).
        { "ZFNet", 62_357_608 },
        // Simonyan and Zisserman 2014, configurations D and E.
        { "VGG-16", 138_357_544 },
        { "VGG-19", 143_667_240 },
        // Szegedy et al. 2015, table 1, biases, no batch norm, auxiliary heads off ("about 7 million").
        { "GoogLeNet", 6_998_552 },
        // He et al. 2016 as torchvision builds them (batch norm, v1.5 strides).
        { "ResNet-18", 11_689_512 },
        { "ResNet-34", 21_797_672 },
        { "ResNet-50", 25_557_032 },
        { "ResNet-152", 60_192_808 },
        // LeCun et al. 1998: C1 156 + S2 12 + C3 1,516 + S4 32 + C5 48,120 + F6 10,164 + a dense output layer 850.
        { "LeNet-5", 60_850 },
    };

    private static Sequential Build(string name, int classes = 1000, double width = 1, RandomGenerator? generator = null) => name switch
    {
        "AlexNet" => Models.AlexNet(classes, width, generator),
        "ZFNet" => Models.ZFNet(classes, width, generator),
        "VGG-16" => Models.Vgg16(classes, width, generator),
        "VGG-19" => Models.Vgg19(classes, width, generator),
        "GoogLeNet" => Models.GoogLeNet(classes, width, generator),
        "ResNet-18" => Models.ResNet18(classes, width, generator),
        "ResNet-34" => Models.ResNet34(classes, width, generator),
        "ResNet-50" => Models.ResNet50(classes, width, generator),
        "ResNet-152" => Models.ResNet152(classes, width, generator),
        "LeNet-5" => Models.LeNet5(10, classic: true, generator),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(PublishedCounts))]
    public void ParameterCountsMatchThePublishedFigures(string name, long published)
    {
        var model = Build(name);
        var summary = ModelSummary.Create(model);
        output.WriteLine($"{name}: {summary.TotalParameters:N0} parameters");
        Assert.Equal(published, summary.TotalParameters);
    }

    [Theory]
    [MemberData(nameof(PublishedCounts))]
    public void ForwardAndBackwardRunAtReducedWidth(string name, long published)
    {
        _ = published;
        var generator = new RandomGenerator(1);
        // 1/16 of the channels (LeNet at full size), on small images: the adaptive pools keep the classifiers' input sizes.
        Sequential model = name == "LeNet-5" ? Build(name, generator: generator) : Build(name, classes: 10, width: 1.0 / 16, generator: generator);
        int side = name == "LeNet-5" ? 28 : name is "AlexNet" ? 99 : 64;
        int channels = name == "LeNet-5" ? 1 : 3;
        var x = Tensor.Uniform([2, channels, side, side], -1f, 1f, generator);
        Tensor logits = model.Forward(x);
        Assert.Equal(new Shape(2, 10), logits.Shape);
        logits.SoftmaxCrossEntropy([3, 7]).Backward();
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));
        Assert.All(model.Parameters(), p => Assert.True(p.Grad!.ToArray().All(float.IsFinite), $"{name}: a non-finite gradient in {p.Name}"));
    }

    [Fact]
    public void NewLayersConform()
    {
        LayerConformance.Check(() => new AdaptiveAvgPool2d(2, 3), [2, 2, 5, 7], [2, 2, 2, 3], []);
        LayerConformance.Check(() => new AdaptiveAvgPool2d(4, 4), [1, 2, 3, 2], [1, 2, 4, 4], []);
        LayerConformance.Check(() => new LocalResponseNorm(3, 0.1f, 0.75f, 1f), [2, 5, 3, 3], [2, 5, 3, 3], []);
        LayerConformance.Check(() => new BottleneckBlock(4, 2, stride: 2), [2, 4, 5, 5], [2, 8, 3, 3],
            ["conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias", "conv3.weight", "bn3.weight", "bn3.bias",
             "downsample.0.weight", "downsample.1.weight", "downsample.1.bias"], tolerance: 3e-2);
    }

    [Fact]
    public void LocalResponseNormFollowsItsFormula()
    {
        var x = Tensor.FromArray([1, 2, 3, 4, 5], new Shape(1, 5, 1, 1));
        float[] y = new LocalResponseNorm(3, 0.3f, 0.75f, 2f).Forward(x).ToArray();
        float[] a = [1, 2, 3, 4, 5];
        for (int c = 0; c < 5; c++)
        {
            float sum = 0;
            for (int d = c - 1; d <= c + 1; d++) if (d >= 0 && d < 5) sum += a[d] * a[d];
            Assert.Equal(a[c] / MathF.Pow(2f + 0.3f / 3f * sum, 0.75f), y[c], 5);
        }
    }
}
