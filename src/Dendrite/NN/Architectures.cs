using Dendrite.NN.Layers;
using Dendrite.Tensors;

namespace Dendrite.NN;

// The architectures the seeds walk through, at their published sizes (for ImageNet's 224x224 RGB
// images and 1000 classes unless told otherwise). A width multiplier below 1 shrinks every layer's
// channel count, for running them on a CPU in tests; the classifier keeps its input size by an
// adaptive average pool, so smaller images work too.
public static partial class Models
{
    private static int Scale(int channels, double width) => Math.Max(1, (int)Math.Round(channels * width));

    /// <summary>
    /// AlexNet as in Krizhevsky, Sutskever and Hinton (2012): five convolutions (96 11×11 stride 4, 256 5×5,
    /// 384, 384, 256 3×3; the 2nd, 4th and 5th split into two groups as on the paper's two GPUs), local
    /// response normalisation, overlapping 3×3 max pooling, and three dense layers (4096, 4096, classes)
    /// with dropout. 60,965,224 parameters for 1000 classes (the "60 million" of the paper). Input [N, 3, 227, 227].
    /// </summary>
    public static Sequential AlexNet(int classes = 1000, double width = 1, RandomGenerator? generator = null)
    {
        int c1 = Scale(96, width), c2 = Scale(256, width), c3 = Scale(384, width), c5 = Scale(256, width), fc = Scale(4096, width);
        // Two groups need even channel counts; at reduced width keep them even.
        c1 += c1 % 2; c2 += c2 % 2; c3 += c3 % 2; c5 += c5 % 2;
        return new Sequential(
            new Conv2d(3, c1, 11, stride: 4, activation: new Relu(), generator: generator),
            new LocalResponseNorm(5, 1e-4f, 0.75f, 2f),
            new MaxPool2d(3, 2),
            new Conv2d(c1, c2, 5, padding: 2, groups: 2, activation: new Relu(), generator: generator),
            new LocalResponseNorm(5, 1e-4f, 0.75f, 2f),
            new MaxPool2d(3, 2),
            new Conv2d(c2, c3, 3, padding: 1, activation: new Relu(), generator: generator),
            new Conv2d(c3, c3, 3, padding: 1, groups: 2, activation: new Relu(), generator: generator),
            new Conv2d(c3, c5, 3, padding: 1, groups: 2, activation: new Relu(), generator: generator),
            new MaxPool2d(3, 2),
            new AdaptiveAvgPool2d(6, 6),
            new Flatten(),
            new Dropout(0.5f),
            new Dense(c5 * 36, fc, new Relu(), generator: generator),
            new Dropout(0.5f),
            new Dense(fc, fc, new Relu(), generator: generator),
            new Dense(fc, classes, generator: generator));
    }

    /// <summary>
    /// ZFNet (Zeiler and Fergus 2013): AlexNet with a 7×7 stride-2 first layer and a stride-2 second layer
    /// (the changes their deconvolution visualisations suggested), no channel groups. 62,357,608 parameters
    /// for 1000 classes. Input [N, 3, 224, 224].
    /// </summary>
    public static Sequential ZFNet(int classes = 1000, double width = 1, RandomGenerator? generator = null)
    {
        int c1 = Scale(96, width), c2 = Scale(256, width), c3 = Scale(384, width), c5 = Scale(256, width), fc = Scale(4096, width);
        return new Sequential(
            new Conv2d(3, c1, 7, stride: 2, padding: 1, activation: new Relu(), generator: generator),
            new LocalResponseNorm(5, 1e-4f, 0.75f, 2f),
            new MaxPool2d(3, 2, 1),
            new Conv2d(c1, c2, 5, stride: 2, activation: new Relu(), generator: generator),
            new LocalResponseNorm(5, 1e-4f, 0.75f, 2f),
            new MaxPool2d(3, 2, 1),
            new Conv2d(c2, c3, 3, padding: 1, activation: new Relu(), generator: generator),
            new Conv2d(c3, c3, 3, padding: 1, activation: new Relu(), generator: generator),
            new Conv2d(c3, c5, 3, padding: 1, activation: new Relu(), generator: generator),
            new MaxPool2d(3, 2),
            new AdaptiveAvgPool2d(6, 6),
            new Flatten(),
            new Dropout(0.5f),
            new Dense(c5 * 36, fc, new Relu(), generator: generator),
            new Dropout(0.5f),
            new Dense(fc, fc, new Relu(), generator: generator),
            new Dense(fc, classes, generator: generator));
    }

    /// <summary>VGG-16 (Simonyan and Zisserman 2014, configuration D): 13 3×3 convolutions in five blocks and three dense layers; 138,357,544 parameters.</summary>
    public static Sequential Vgg16(int classes = 1000, double width = 1, RandomGenerator? generator = null) =>
        Vgg([2, 2, 3, 3, 3], classes, width, generator);

    /// <summary>VGG-19 (configuration E): 16 3×3 convolutions and three dense layers; 143,667,240 parameters.</summary>
    public static Sequential Vgg19(int classes = 1000, double width = 1, RandomGenerator? generator = null) =>
        Vgg([2, 2, 4, 4, 4], classes, width, generator);

    private static Sequential Vgg(int[] convolutionsPerBlock, int classes, double width, RandomGenerator? generator)
    {
        var model = new Sequential();
        int channels = 3;
        int[] blockChannels = [64, 128, 256, 512, 512];
        for (int block = 0; block < 5; block++)
        {
            int outChannels = Scale(blockChannels[block], width);
            for (int i = 0; i < convolutionsPerBlock[block]; i++)
            {
                model.Add(new Conv2d(channels, outChannels, 3, padding: 1, activation: new Relu(), generator: generator));
                channels = outChannels;
            }
            model.Add(new MaxPool2d(2));
        }
        int fc = Scale(4096, width);
        model.Add(new AdaptiveAvgPool2d(7, 7));
        model.Add(new Flatten());
        model.Add(new Dense(channels * 49, fc, new Relu(), generator: generator));
        model.Add(new Dropout(0.5f));
        model.Add(new Dense(fc, fc, new Relu(), generator: generator));
        model.Add(new Dropout(0.5f));
        model.Add(new Dense(fc, classes, generator: generator));
        return model;
    }

    /// <summary>
    /// GoogLeNet / Inception v1 (Szegedy et al. 2015) as in the paper's table 1, without the two auxiliary
    /// classifiers (they serve only in training): the 7×7 stem, local response normalisation, nine inception
    /// blocks (3a–5b) with the table's branch widths and 5×5 branches, global average pooling, dropout 40%
    /// and one dense layer. Convolutions carry biases and no batch normalisation, as in the paper:
    /// 6,998,552 parameters for 1000 classes. Input [N, 3, 224, 224].
    /// </summary>
    public static Sequential GoogLeNet(int classes = 1000, double width = 1, RandomGenerator? generator = null)
    {
        int S(int c) => Scale(c, width);
        InceptionBlock Block(int input, int a, int b, int c, int d, int e, int f) => new(input, S(a), S(b), S(c), S(d), S(e), S(f), generator);
        var model = new Sequential(
            new Conv2d(3, S(64), 7, stride: 2, padding: 3, activation: new Relu(), generator: generator),
            new MaxPool2d(3, 2, 1),
            new LocalResponseNorm(5, 1e-4f, 0.75f, 1f),
            new Conv2d(S(64), S(64), 1, activation: new Relu(), generator: generator),
            new Conv2d(S(64), S(192), 3, padding: 1, activation: new Relu(), generator: generator),
            new LocalResponseNorm(5, 1e-4f, 0.75f, 1f),
            new MaxPool2d(3, 2, 1));
        InceptionBlock i3a = Block(S(192), 64, 96, 128, 16, 32, 32), i3b = Block(i3a.OutChannels, 128, 128, 192, 32, 96, 64);
        model.Add(i3a).Add(i3b).Add(new MaxPool2d(3, 2, 1));
        InceptionBlock i4a = Block(i3b.OutChannels, 192, 96, 208, 16, 48, 64), i4b = Block(i4a.OutChannels, 160, 112, 224, 24, 64, 64),
            i4c = Block(i4b.OutChannels, 128, 128, 256, 24, 64, 64), i4d = Block(i4c.OutChannels, 112, 144, 288, 32, 64, 64),
            i4e = Block(i4d.OutChannels, 256, 160, 320, 32, 128, 128);
        model.Add(i4a).Add(i4b).Add(i4c).Add(i4d).Add(i4e).Add(new MaxPool2d(3, 2, 1));
        InceptionBlock i5a = Block(i4e.OutChannels, 256, 160, 320, 32, 128, 128), i5b = Block(i5a.OutChannels, 384, 192, 384, 48, 128, 128);
        model.Add(i5a).Add(i5b).Add(new GlobalAveragePool()).Add(new Dropout(0.4f)).Add(new Dense(i5b.OutChannels, classes, generator: generator));
        return model;
    }

    /// <summary>ResNet-18 (He et al. 2016; torchvision's layout): 11,689,512 parameters for 1000 classes.</summary>
    public static Sequential ResNet18(int classes = 1000, double width = 1, RandomGenerator? generator = null) => ResNet([2, 2, 2, 2], false, classes, width, generator);

    /// <summary>ResNet-34: 21,797,672 parameters.</summary>
    public static Sequential ResNet34(int classes = 1000, double width = 1, RandomGenerator? generator = null) => ResNet([3, 4, 6, 3], false, classes, width, generator);

    /// <summary>ResNet-50 (bottleneck blocks): 25,557,032 parameters.</summary>
    public static Sequential ResNet50(int classes = 1000, double width = 1, RandomGenerator? generator = null) => ResNet([3, 4, 6, 3], true, classes, width, generator);

    /// <summary>ResNet-152: 60,192,808 parameters.</summary>
    public static Sequential ResNet152(int classes = 1000, double width = 1, RandomGenerator? generator = null) => ResNet([3, 8, 36, 3], true, classes, width, generator);

    private static Sequential ResNet(int[] blocks, bool bottleneck, int classes, double width, RandomGenerator? generator)
    {
        int stem = Scale(64, width);
        var model = new Sequential(
            new Conv2d(3, stem, 7, stride: 2, padding: 3, bias: false, weightInitializer: Initializers.Initializer.HeNormal, generator: generator),
            new BatchNorm(stem),
            new Relu(),
            new MaxPool2d(3, 2, 1));
        int channels = stem;
        for (int stage = 0; stage < 4; stage++)
        {
            int stageWidth = Scale(64 << stage, width);
            for (int block = 0; block < blocks[stage]; block++)
            {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                if (bottleneck)
                {
                    model.Add(new BottleneckBlock(channels, stageWidth, stride, generator));
                    channels = stageWidth * BottleneckBlock.Expansion;
                }
                else
                {
                    model.Add(new ResidualBlock(channels, stageWidth, stride, generator));
                    channels = stageWidth;
                }
            }
        }
        model.Add(new GlobalAveragePool());
        model.Add(new Dense(channels, classes, generator: generator));
        return model;
    }
}
