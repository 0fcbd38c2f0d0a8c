using System.Text.Json.Nodes;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>
/// A residual block (He et al. 2016): two 3×3 convolutions with batch normalisation,
/// y = ReLU(BN(conv(ReLU(BN(conv(x))))) + shortcut(x)). The shortcut is the identity, or a 1×1
/// convolution with batch normalisation (the projection shortcut) when the channels or the stride change.
/// </summary>
public sealed class ResidualBlock : Module
{
    /// <summary>Creates the block.</summary>
    public ResidualBlock(int inChannels, int outChannels, int stride = 1, RandomGenerator? generator = null)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        StrideSize = stride;
        Conv1 = AddModule("conv1", new Conv2d(inChannels, outChannels, 3, stride, 1, bias: false, activation: null, weightInitializer: Initializers.Initializer.HeNormal, generator: generator));
        Norm1 = AddModule("bn1", new BatchNorm(outChannels));
        Conv2 = AddModule("conv2", new Conv2d(outChannels, outChannels, 3, 1, 1, bias: false, weightInitializer: Initializers.Initializer.HeNormal, generator: generator));
        Norm2 = AddModule("bn2", new BatchNorm(outChannels));
        if (stride != 1 || inChannels != outChannels)
            Shortcut = AddModule("shortcut", new Sequential(
                new Conv2d(inChannels, outChannels, 1, stride, 0, bias: false, weightInitializer: Initializers.Initializer.HeNormal, generator: generator),
                new BatchNorm(outChannels)));
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }
    /// <summary>Output channels.</summary>
    public int OutChannels { get; }
    /// <summary>Stride of the first convolution (2 halves the spatial size).</summary>
    public int StrideSize { get; }
    /// <summary>First 3×3 convolution.</summary>
    public Conv2d Conv1 { get; }
    /// <summary>Its batch normalisation.</summary>
    public BatchNorm Norm1 { get; }
    /// <summary>Second 3×3 convolution.</summary>
    public Conv2d Conv2 { get; }
    /// <summary>Its batch normalisation.</summary>
    public BatchNorm Norm2 { get; }
    /// <summary>The projection shortcut, or null for the identity.</summary>
    public Sequential? Shortcut { get; }

    /// <inheritdoc/>
    public override string Describe() => $"ResidualBlock({InChannels}->{OutChannels}{(StrideSize != 1 ? $", stride {StrideSize}" : "")})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        Tensor main = Run(Norm1, Run(Conv1, input)).Relu();
        main = Run(Norm2, Run(Conv2, main));
        Tensor shortcut = Shortcut is null ? input : Run(Shortcut, input);
        return (main + shortcut).Relu();
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["inChannels"] = InChannels;
        config["outChannels"] = OutChannels;
        config["stride"] = StrideSize;
    }
}

/// <summary>
/// An inception block (Szegedy et al. 2015, GoogLeNet): four parallel branches on the same input,
/// concatenated along channels: a 1×1 convolution; 1×1 then 3×3; 1×1 then 5×5; 3×3 max pooling then
/// 1×1. Every convolution is followed by ReLU; spatial size is kept.
/// </summary>
public sealed class InceptionBlock : Module
{
    /// <summary>Creates the block with the channel counts of each branch (GoogLeNet's table columns).</summary>
    public InceptionBlock(int inChannels, int ones, int threeReduce, int threes, int fiveReduce, int fives, int poolProjection, RandomGenerator? generator = null)
    {
        Sizes = [inChannels, ones, threeReduce, threes, fiveReduce, fives, poolProjection];
        AddModule("branch1", new Conv2d(inChannels, ones, 1, activation: new Relu(), generator: generator));
        AddModule("branch3", new Sequential(
            new Conv2d(inChannels, threeReduce, 1, activation: new Relu(), generator: generator),
            new Conv2d(threeReduce, threes, 3, padding: 1, activation: new Relu(), generator: generator)));
        AddModule("branch5", new Sequential(
            new Conv2d(inChannels, fiveReduce, 1, activation: new Relu(), generator: generator),
            new Conv2d(fiveReduce, fives, 5, padding: 2, activation: new Relu(), generator: generator)));
        AddModule("branchPool", new Sequential(
            new MaxPool2d(3, 1, 1),
            new Conv2d(inChannels, poolProjection, 1, activation: new Relu(), generator: generator)));
    }

    /// <summary>[in, 1×1, 3×3 reduce, 3×3, 5×5 reduce, 5×5, pool projection].</summary>
    public int[] Sizes { get; }

    /// <summary>Output channels: 1×1 + 3×3 + 5×5 + pool projection.</summary>
    public int OutChannels => Sizes[1] + Sizes[3] + Sizes[5] + Sizes[6];

    /// <inheritdoc/>
    public override string Describe() => $"InceptionBlock({Sizes[0]}->{OutChannels})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var outputs = NamedChildren().Select(c => Run(c.Module, input)).ToList();
        return TensorOps.Concat(outputs, 1);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) => config["sizes"] = new JsonArray(Sizes.Select(s => (JsonNode)s).ToArray());
}

/// <summary>
/// A convolution whose output maps each see only some input maps, as LeNet-5's C3 layer (LeCun et al.
/// 1998, table I): map o sums over <see cref="Connections"/>[o] only, which breaks symmetry and
/// saves parameters.
/// </summary>
public sealed class SparseConv2d : Module
{
    private readonly int[][] _connections;

    /// <summary>Creates the layer; <paramref name="connections"/>[o] lists the input maps of output map o.</summary>
    public SparseConv2d(int inChannels, int[][] connections, int kernelSize, RandomGenerator? generator = null, ActivationLayer? activation = null)
    {
        ArgumentNullException.ThrowIfNull(connections);
        InChannels = inChannels;
        KernelSize = kernelSize;
        _connections = connections.Select(c => c.ToArray()).ToArray();
        for (int o = 0; o < connections.Length; o++)
        {
            if (connections[o].Length == 0 || connections[o].Any(c => c < 0 || c >= inChannels))
                throw new ArgumentException($"SparseConv2d: output map {o} lists inputs [{string.Join(", ", connections[o])}]; each must be in [0, {inChannels}).", nameof(connections));
            AddModule(o.ToString(System.Globalization.CultureInfo.InvariantCulture), new Conv2d(connections[o].Length, 1, kernelSize, generator: generator, weightInitializer: Dense.DefaultInitializer(activation)));
        }
        if (activation is not null) Activation = AddModule("activation", activation);
    }

    /// <summary>LeNet-5's C3 table: maps 0-5 see 3 neighbouring S2 maps, 6-11 see 4 neighbouring, 12-14 see 4 non-neighbouring, 15 sees all 6.</summary>
    public static int[][] LeNet5Table { get; } =
    [
        [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [0, 4, 5], [0, 1, 5],
        [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5], [0, 3, 4, 5], [0, 1, 4, 5], [0, 1, 2, 5],
        [0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5],
        [0, 1, 2, 3, 4, 5],
    ];

    /// <summary>Input maps.</summary>
    public int InChannels { get; }
    /// <summary>k.</summary>
    public int KernelSize { get; }
    /// <summary>The input maps of each output map.</summary>
    public IReadOnlyList<int[]> Connections => _connections;
    /// <summary>The activation after the convolution, or null.</summary>
    public ActivationLayer? Activation { get; }

    /// <inheritdoc/>
    public override string Describe() => $"SparseConv2d({InChannels}->{_connections.Length}, {KernelSize}x{KernelSize})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != 4 || input.Shape[1] != InChannels) throw new ShapeMismatchException($"{Describe()} got input {input.Shape}; expected [N, {InChannels}, H, W].");
        var maps = new Tensor[_connections.Length];
        int o = 0;
        foreach (var (name, module) in NamedChildren())
        {
            if (module is not Conv2d conv) continue;
            maps[o] = Run(conv, input.IndexSelect(1, _connections[o]));
            o++;
        }
        Tensor output = TensorOps.Concat(maps, 1);
        return Activation is null ? output : Run(Activation, output);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["inChannels"] = InChannels;
        config["kernel"] = KernelSize;
        config["connections"] = new JsonArray(_connections.Select(c => (JsonNode)new JsonArray(c.Select(i => (JsonNode)i).ToArray())).ToArray());
    }
}
