using System.Text.Json.Nodes;
using Dendrite.NN.Initializers;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>Adaptive average pooling to a fixed [outH, outW] whatever the input's spatial size (as <c>torch.nn.AdaptiveAvgPool2d</c>).</summary>
public sealed class AdaptiveAvgPool2d(int outputHeight, int outputWidth) : Module
{
    /// <summary>Output rows.</summary>
    public int OutputHeight { get; } = outputHeight;
    /// <summary>Output columns.</summary>
    public int OutputWidth { get; } = outputWidth;

    /// <inheritdoc/>
    public override string Describe() => $"AdaptiveAvgPool2d({OutputHeight}x{OutputWidth})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.AdaptiveAvgPool2d(OutputHeight, OutputWidth);

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["outputHeight"] = OutputHeight;
        config["outputWidth"] = OutputWidth;
    }
}

/// <summary>
/// Local response normalisation across channels (Krizhevsky et al. 2012, AlexNet; as
/// <c>torch.nn.LocalResponseNorm</c>): b_c = a_c / (k + α/n·Σ_{c'} a_{c'}²)^β, the sum over the n
/// channels centred on c (zero beyond the edges). No parameters.
/// </summary>
public sealed class LocalResponseNorm : Module
{
    /// <summary>Creates the layer; n must be odd.</summary>
    public LocalResponseNorm(int size = 5, float alpha = 1e-4f, float beta = 0.75f, float k = 2f)
    {
        if (size <= 0 || size % 2 == 0) throw new ArgumentOutOfRangeException(nameof(size), $"LocalResponseNorm: the window n must be a positive odd number of channels; got {size}.");
        Size = size;
        Alpha = alpha;
        Beta = beta;
        K = k;
    }

    /// <summary>n, channels in the window.</summary>
    public int Size { get; }
    /// <summary>α.</summary>
    public float Alpha { get; }
    /// <summary>β.</summary>
    public float Beta { get; }
    /// <summary>k.</summary>
    public float K { get; }

    /// <inheritdoc/>
    public override string Describe() => $"LocalResponseNorm({Size})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var (batch, channels, height, width) = input.Shape.Dims4(Describe());
        // The channel-window mean of a², as a (n × 1) average pool over a [N, 1, C, H·W] view; zero padding counts, so it is Σ/n.
        Tensor mean = input.Square().Reshape(batch, 1, channels, height * width)
            .AvgPool2d(Size, 1, 1, 1, Size / 2, 0, countIncludePad: true)
            .Reshape(batch, channels, height, width);
        return input / (mean * Alpha + K).Pow(Beta);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["size"] = Size;
        config["alpha"] = Alpha;
        config["beta"] = Beta;
        config["k"] = K;
    }
}

/// <summary>
/// The bottleneck residual block of ResNet-50 and deeper (He et al. 2016, as torchvision's v1.5 with
/// the stride on the 3×3): 1×1 to <c>width</c>, 3×3, 1×1 to 4·width, each with batch normalisation,
/// plus the shortcut (a 1×1 projection with batch normalisation when the shape changes), then ReLU.
/// </summary>
public sealed class BottleneckBlock : Module
{
    /// <summary>The channel expansion of the last 1×1 convolution.</summary>
    public const int Expansion = 4;

    /// <summary>Creates the block: <paramref name="inChannels"/> → 4·<paramref name="width"/>.</summary>
    public BottleneckBlock(int inChannels, int width, int stride = 1, RandomGenerator? generator = null)
    {
        InChannels = inChannels;
        Width = width;
        StrideSize = stride;
        Initializer he = Initializer.HeNormal;
        AddModule("conv1", new Conv2d(inChannels, width, 1, bias: false, weightInitializer: he, generator: generator));
        AddModule("bn1", new BatchNorm(width));
        AddModule("conv2", new Conv2d(width, width, 3, stride, 1, bias: false, weightInitializer: he, generator: generator));
        AddModule("bn2", new BatchNorm(width));
        AddModule("conv3", new Conv2d(width, width * Expansion, 1, bias: false, weightInitializer: he, generator: generator));
        AddModule("bn3", new BatchNorm(width * Expansion));
        if (stride != 1 || inChannels != width * Expansion)
            Shortcut = AddModule("downsample", new Sequential(
                new Conv2d(inChannels, width * Expansion, 1, stride, bias: false, weightInitializer: he, generator: generator),
                new BatchNorm(width * Expansion)));
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }
    /// <summary>The bottleneck width (output channels are 4·width).</summary>
    public int Width { get; }
    /// <summary>Stride of the 3×3 convolution.</summary>
    public int StrideSize { get; }
    /// <summary>The projection shortcut, or null for the identity.</summary>
    public Sequential? Shortcut { get; }

    /// <inheritdoc/>
    public override string Describe() => $"BottleneckBlock({InChannels}->{Width * Expansion}{(StrideSize != 1 ? $", stride {StrideSize}" : "")})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var parts = NamedChildren().ToDictionary(c => c.Name, c => c.Module);
        Tensor y = Run(parts["bn1"], Run(parts["conv1"], input)).Relu();
        y = Run(parts["bn2"], Run(parts["conv2"], y)).Relu();
        y = Run(parts["bn3"], Run(parts["conv3"], y));
        return (y + (Shortcut is null ? input : Run(Shortcut, input))).Relu();
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["inChannels"] = InChannels;
        config["width"] = Width;
        config["stride"] = StrideSize;
    }
}
