using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.NN.Initializers;
using Dendrite.NN.Regularizers;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>How a convolution pads its input: a fixed number of zeros on every side, or "same" (output size = input size / stride, rounded up).</summary>
public readonly record struct Padding(int Size, bool Same = false)
{
    /// <summary>No padding ("valid").</summary>
    public static Padding Valid => new(0);

    /// <summary>Enough zeros that a stride-1 convolution keeps the spatial size; for even kernels the extra zero goes after (bottom/right), as PyTorch and TensorFlow do.</summary>
    public static Padding SameSize => new(0, true);

    /// <summary>A fixed padding.</summary>
    public static implicit operator Padding(int size) => new(size);

    /// <summary>Zeros (before, after) along an axis of size <paramref name="length"/> for a kernel k, stride s, dilation d.</summary>
    internal (int Before, int After) Resolve(int length, int kernel, int stride, int dilation)
    {
        if (!Same) return (Size, Size);
        int output = (length + stride - 1) / stride;
        int total = Math.Max(0, (output - 1) * stride + dilation * (kernel - 1) + 1 - length);
        return (total / 2, total - total / 2);
    }

    /// <inheritdoc/>
    public override string ToString() => Same ? "same" : Size.ToString(CultureInfo.InvariantCulture);

    internal JsonNode ToJson() => Same ? JsonValue.Create("same") : JsonValue.Create(Size);

    internal static Padding FromJson(JsonNode? node) =>
        node is null ? Valid : node.GetValueKind() == System.Text.Json.JsonValueKind.String ? SameSize : new Padding(node.GetValue<int>());
}

/// <summary>
/// A 2-D convolution layer on [N, C, H, W]: y = f(W ⋆ x + b) with W [O, C/groups, kh, kw] (weight
/// sharing across positions), stride, zero padding (or "same"), dilation and groups (groups = C
/// gives a depthwise convolution), as <c>torch.nn.Conv2d</c>. Output size per axis:
/// (N − F + P)/S + 1 with F = d·(k − 1) + 1 and P the total padding.
/// </summary>
public sealed class Conv2d : Module, IWeightedLayer
{
    /// <summary>Creates the layer.</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, Padding padding = default, int dilation = 1, int groups = 1,
        bool bias = true, ActivationLayer? activation = null, Initializer? weightInitializer = null, Regularizer? weightRegularizer = null,
        RandomGenerator? generator = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), padding, (dilation, dilation), groups, bias, activation, weightInitializer, weightRegularizer, generator)
    {
    }

    /// <summary>Creates the layer with rectangular kernel, stride and dilation.</summary>
    public Conv2d(int inChannels, int outChannels, (int Height, int Width) kernelSize, (int Height, int Width) stride, Padding padding = default,
        (int Height, int Width)? dilation = null, int groups = 1, bool bias = true, ActivationLayer? activation = null,
        Initializer? weightInitializer = null, Regularizer? weightRegularizer = null, RandomGenerator? generator = null)
    {
        if (inChannels <= 0 || outChannels <= 0 || groups <= 0)
            throw new ArgumentOutOfRangeException(nameof(inChannels), $"Conv2d needs positive channel counts and groups; got {inChannels}->{outChannels}, groups {groups}.");
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d({inChannels}->{outChannels}): both channel counts must be divisible by groups = {groups}.", nameof(groups));
        if (kernelSize.Height <= 0 || kernelSize.Width <= 0 || stride.Height <= 0 || stride.Width <= 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), $"Conv2d: kernel {kernelSize} and stride {stride} must be positive.");
        if (padding.Size < 0) throw new ArgumentOutOfRangeException(nameof(padding), $"Conv2d: padding must be non-negative; got {padding.Size}.");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        PaddingMode = padding;
        Dilation = dilation ?? (1, 1);
        Groups = groups;
        int receptive = kernelSize.Height * kernelSize.Width;
        int fanIn = inChannels / groups * receptive, fanOut = outChannels * receptive;
        Weight = AddParameter("weight", [outChannels, inChannels / groups, kernelSize.Height, kernelSize.Width],
            weightInitializer ?? Dense.DefaultInitializer(activation), fanIn, fanOut, generator);
        Weight.Regularizer = weightRegularizer;
        if (bias) Bias = AddParameter("bias", [outChannels], Initializer.Zeros, fanIn, fanOut, generator);
        if (activation is not null) Activation = AddModule("activation", activation);
    }

    /// <summary>C.</summary>
    public int InChannels { get; }
    /// <summary>O.</summary>
    public int OutChannels { get; }
    /// <summary>(kh, kw).</summary>
    public (int Height, int Width) KernelSize { get; }
    /// <summary>(sh, sw).</summary>
    public (int Height, int Width) Stride { get; }
    /// <summary>The padding rule.</summary>
    public Padding PaddingMode { get; }
    /// <summary>(dh, dw).</summary>
    public (int Height, int Width) Dilation { get; }
    /// <summary>Channel groups.</summary>
    public int Groups { get; }
    /// <summary>W, [O, C/groups, kh, kw].</summary>
    public Parameter Weight { get; }
    /// <summary>b, [O], or null.</summary>
    public Parameter? Bias { get; }
    /// <summary>The activation after the convolution, or null.</summary>
    public ActivationLayer? Activation { get; }

    /// <inheritdoc/>
    public override string Describe()
    {
        string kernel = KernelSize.Height == KernelSize.Width ? $"{KernelSize.Height}x{KernelSize.Height}" : $"{KernelSize.Height}x{KernelSize.Width}";
        var parts = new List<string> { $"{InChannels}->{OutChannels}", kernel };
        if (Stride != (1, 1)) parts.Add(Stride.Height == Stride.Width ? $"stride {Stride.Height}" : $"stride {Stride}");
        if (PaddingMode.Same || PaddingMode.Size > 0) parts.Add($"pad {PaddingMode}");
        if (Dilation != (1, 1)) parts.Add($"dilation {Dilation.Height}");
        if (Groups != 1) parts.Add($"groups {Groups}");
        if (Activation is not null) parts.Add(Activation.Describe());
        return $"Conv2d({string.Join(", ", parts)})";
    }

    /// <summary>The convolution options for an input of the given spatial size.</summary>
    public ConvolutionOptions Options(int height, int width)
    {
        var (top, bottom) = PaddingMode.Resolve(height, KernelSize.Height, Stride.Height, Dilation.Height);
        var (left, right) = PaddingMode.Resolve(width, KernelSize.Width, Stride.Width, Dilation.Width);
        return new ConvolutionOptions(Stride.Height, Stride.Width, top, bottom, left, right, Dilation.Height, Dilation.Width, Groups);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => ForwardWithWeight(input, Weight);

    /// <inheritdoc/>
    public Tensor ForwardWithWeight(Tensor input, Tensor weight)
    {
        if (input.Rank != 4 || input.Shape[1] != InChannels)
            throw new ShapeMismatchException($"{Describe()} got input {input.Shape}; expected [N, {InChannels}, H, W].");
        ConvolutionOptions options = Options(input.Shape[2], input.Shape[3]);
        // A ReLU rides in the convolution's own epilogue (same bits, one pass and one tensor fewer).
        bool fusedRelu = Activation is Relu;
        Tensor output;
        try
        {
            output = fusedRelu ? input.Conv2dRelu(weight, Bias, options) : input.Conv2d(weight, Bias, options);
        }
        catch (ShapeMismatchException error) when (error.Message.StartsWith("Conv2d:", StringComparison.Ordinal))
        {
            throw new ShapeMismatchException(Describe() + error.Message["Conv2d".Length..], error);
        }
        if (Activation is null) return output;
        if (!fusedRelu) return Run(Activation, output);
        SummaryRecorder.Current?.Note(Activation, output);
        return output;
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["inChannels"] = InChannels;
        config["outChannels"] = OutChannels;
        config["kernel"] = new JsonArray(KernelSize.Height, KernelSize.Width);
        config["stride"] = new JsonArray(Stride.Height, Stride.Width);
        config["padding"] = PaddingMode.ToJson();
        config["dilation"] = new JsonArray(Dilation.Height, Dilation.Width);
        config["groups"] = Groups;
        config["bias"] = Bias is not null;
    }
}

/// <summary>A 1-D convolution layer on sequences [N, C, L] with W [O, C/groups, k] (as <c>torch.nn.Conv1d</c>).</summary>
public sealed class Conv1d : Module, IWeightedLayer
{
    /// <summary>Creates the layer.</summary>
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, Padding padding = default, int dilation = 1, int groups = 1,
        bool bias = true, ActivationLayer? activation = null, Initializer? weightInitializer = null, RandomGenerator? generator = null)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0 || stride <= 0 || dilation <= 0 || groups <= 0)
            throw new ArgumentOutOfRangeException(nameof(inChannels), $"Conv1d needs positive sizes; got {inChannels}->{outChannels}, kernel {kernelSize}, stride {stride}.");
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv1d({inChannels}->{outChannels}): both channel counts must be divisible by groups = {groups}.", nameof(groups));
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        PaddingMode = padding;
        Dilation = dilation;
        Groups = groups;
        int fanIn = inChannels / groups * kernelSize, fanOut = outChannels * kernelSize;
        Weight = AddParameter("weight", [outChannels, inChannels / groups, kernelSize], weightInitializer ?? Dense.DefaultInitializer(activation), fanIn, fanOut, generator);
        if (bias) Bias = AddParameter("bias", [outChannels], Initializer.Zeros, fanIn, fanOut, generator);
        if (activation is not null) Activation = AddModule("activation", activation);
    }

    /// <summary>C.</summary>
    public int InChannels { get; }
    /// <summary>O.</summary>
    public int OutChannels { get; }
    /// <summary>k.</summary>
    public int KernelSize { get; }
    /// <summary>s.</summary>
    public int Stride { get; }
    /// <summary>The padding rule.</summary>
    public Padding PaddingMode { get; }
    /// <summary>d.</summary>
    public int Dilation { get; }
    /// <summary>Channel groups.</summary>
    public int Groups { get; }
    /// <summary>W, [O, C/groups, k].</summary>
    public Parameter Weight { get; }
    /// <summary>b, [O], or null.</summary>
    public Parameter? Bias { get; }
    /// <summary>The activation after the convolution, or null.</summary>
    public ActivationLayer? Activation { get; }

    /// <inheritdoc/>
    public override string Describe() => $"Conv1d({InChannels}->{OutChannels}, k {KernelSize}{(Stride != 1 ? $", stride {Stride}" : "")}{(PaddingMode.Same || PaddingMode.Size > 0 ? $", pad {PaddingMode}" : "")})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => ForwardWithWeight(input, Weight);

    /// <inheritdoc/>
    public Tensor ForwardWithWeight(Tensor input, Tensor weight)
    {
        if (input.Rank != 3 || input.Shape[1] != InChannels)
            throw new ShapeMismatchException($"{Describe()} got input {input.Shape}; expected [N, {InChannels}, L].");
        var (before, after) = PaddingMode.Resolve(input.Shape[2], KernelSize, Stride, Dilation);
        var options = new ConvolutionOptions(1, Stride, 0, 0, before, after, 1, Dilation, Groups);
        Tensor output = input.Unsqueeze(2).Conv2d(weight.Unsqueeze(2), Bias, options).Squeeze(2);
        return Activation is null ? output : Run(Activation, output);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["inChannels"] = InChannels;
        config["outChannels"] = OutChannels;
        config["kernel"] = KernelSize;
        config["stride"] = Stride;
        config["padding"] = PaddingMode.ToJson();
        config["dilation"] = Dilation;
        config["groups"] = Groups;
        config["bias"] = Bias is not null;
    }
}

/// <summary>Max pooling over k×k windows of [N, C, H, W] (stride defaults to k).</summary>
public sealed class MaxPool2d(int kernelSize, int stride = 0, int padding = 0) : Module
{
    /// <summary>k.</summary>
    public int KernelSize { get; } = kernelSize;
    /// <summary>s (k when 0).</summary>
    public int Stride { get; } = stride <= 0 ? kernelSize : stride;
    /// <summary>Padding on each side (−∞ cells).</summary>
    public int PaddingSize { get; } = padding;

    /// <inheritdoc/>
    public override string Describe() => $"MaxPool2d({KernelSize}x{KernelSize}{(Stride != KernelSize ? $", stride {Stride}" : "")}{(PaddingSize > 0 ? $", pad {PaddingSize}" : "")})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != 4) throw new ShapeMismatchException($"{Describe()} got input {input.Shape}; expected [N, C, H, W].");
        return input.MaxPool2d(KernelSize, KernelSize, Stride, Stride, PaddingSize, PaddingSize);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["kernel"] = KernelSize;
        config["stride"] = Stride;
        config["padding"] = PaddingSize;
    }
}

/// <summary>Average pooling over k×k windows of [N, C, H, W] (stride defaults to k).</summary>
public sealed class AvgPool2d(int kernelSize, int stride = 0, int padding = 0, bool countIncludePad = true) : Module
{
    /// <summary>k.</summary>
    public int KernelSize { get; } = kernelSize;
    /// <summary>s (k when 0).</summary>
    public int Stride { get; } = stride <= 0 ? kernelSize : stride;
    /// <summary>Zero padding on each side.</summary>
    public int PaddingSize { get; } = padding;
    /// <summary>Whether padding cells count in the divisor.</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <inheritdoc/>
    public override string Describe() => $"AvgPool2d({KernelSize}x{KernelSize}{(Stride != KernelSize ? $", stride {Stride}" : "")}{(PaddingSize > 0 ? $", pad {PaddingSize}" : "")})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != 4) throw new ShapeMismatchException($"{Describe()} got input {input.Shape}; expected [N, C, H, W].");
        return input.AvgPool2d(KernelSize, KernelSize, Stride, Stride, PaddingSize, PaddingSize, CountIncludePad);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["kernel"] = KernelSize;
        config["stride"] = Stride;
        config["padding"] = PaddingSize;
        config["countIncludePad"] = CountIncludePad;
    }
}

/// <summary>
/// The seeds' trainable pooling (LeNet-5's subsampling layers S2 and S4): each k×k window is averaged,
/// then scaled by one trainable coefficient per channel and shifted by a trainable bias per channel,
/// y[c] = a_c·mean(window) + b_c. (LeCun sums the window; the mean differs only by a constant factor
/// absorbed into a_c.)
/// </summary>
public sealed class TrainablePool2d : Module
{
    /// <summary>Creates the layer for <paramref name="channels"/> feature maps.</summary>
    public TrainablePool2d(int channels, int kernelSize = 2, int stride = 0)
    {
        if (channels <= 0 || kernelSize <= 0) throw new ArgumentOutOfRangeException(nameof(channels), $"TrainablePool2d needs positive channels and kernel; got {channels}, {kernelSize}.");
        Channels = channels;
        KernelSize = kernelSize;
        Stride = stride <= 0 ? kernelSize : stride;
        Coefficient = AddParameter("weight", [channels], Initializer.Constant(1f), kernelSize * kernelSize, 1);
        Bias = AddParameter("bias", [channels], Initializer.Zeros, kernelSize * kernelSize, 1);
    }

    /// <summary>Number of channels.</summary>
    public int Channels { get; }
    /// <summary>k.</summary>
    public int KernelSize { get; }
    /// <summary>s.</summary>
    public int Stride { get; }
    /// <summary>a, one per channel.</summary>
    public Parameter Coefficient { get; }
    /// <summary>b, one per channel.</summary>
    public Parameter Bias { get; }

    /// <inheritdoc/>
    public override string Describe() => $"TrainablePool2d({Channels}, {KernelSize}x{KernelSize})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != 4 || input.Shape[1] != Channels) throw new ShapeMismatchException($"{Describe()} got input {input.Shape}; expected [N, {Channels}, H, W].");
        Tensor pooled = input.AvgPool2d(KernelSize, KernelSize, Stride, Stride);
        return pooled * Coefficient.Reshape(1, Channels, 1, 1) + Bias.Reshape(1, Channels, 1, 1);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["channels"] = Channels;
        config["kernel"] = KernelSize;
        config["stride"] = Stride;
    }
}

/// <summary>Global average pooling: [N, C, H, W] → [N, C], each channel's mean over all positions.</summary>
public sealed class GlobalAveragePool : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.GlobalAveragePool();
    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) { }
}

/// <summary>Global max pooling: [N, C, H, W] → [N, C], each channel's maximum over all positions.</summary>
public sealed class GlobalMaxPool : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.GlobalMaxPool();
    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) { }
}
