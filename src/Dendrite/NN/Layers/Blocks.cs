using System.Runtime.InteropServices;
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
    public override Tensor Forward(Tensor input) => Forward(input, out _, releaseIntermediates: true);

    /// <summary>
    /// The block's output, and the inner activation ReLU(BN(conv1(x))) [N, out, H', W'] that feeds the
    /// second convolution (which the training diagnostics look at for dead units).
    /// </summary>
    internal Tensor Forward(Tensor input, out Tensor innerActivation) => Forward(input, out innerActivation, releaseIntermediates: false);

    private Tensor Forward(Tensor input, out Tensor innerActivation, bool releaseIntermediates)
    {
        // Under NoGrad each intermediate goes back to the pool once consumed (not when the diagnostics
        // asked for the inner activation): inference reuses a few buffers instead of allocating per block.
        Tensor Then(Tensor intermediate, Tensor result) => releaseIntermediates ? Consumed(input, intermediate, result) : result;

        Tensor convolved = Run(Conv1, input);
        Tensor normalized = Then(convolved, Run(Norm1, convolved));
        innerActivation = Then(normalized, normalized.Relu());
        Tensor second = Then(innerActivation, Run(Conv2, innerActivation));
        Tensor main = Then(second, Run(Norm2, second));
        Tensor shortcut = Shortcut is null ? input : Run(Shortcut, input);
        Tensor sum = Then(shortcut, Then(main, main + shortcut));
        return Then(sum, sum.Relu());
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
        Tensor output = TensorOps.Concat(outputs, 1);
        ReleaseConsumed(input, output, CollectionsMarshal.AsSpan(outputs));
        return output;
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) => config["sizes"] = new JsonArray(Sizes.Select(s => (JsonNode)s).ToArray());
}

/// <summary>
/// A convolution whose output maps each see only some input maps, as LeNet-5's C3 layer (LeCun et al.
/// 1998, table I): map o sums over <see cref="Connections"/>[o] only, which breaks symmetry and
/// saves parameters.
/// </summary>
/// <remarks>
/// Only the connected kernels are parameters: <c>weight</c> holds them packed, map after map and,
/// within a map, input after input (k·k values each), and <c>bias</c> one per map. The forward pass
/// gathers them into a full [out, in, k, k] kernel with zeros for the missing connections and runs
/// one ordinary convolution, which is much faster than a convolution per map; the gather's backward
/// routes the gradient to the packed weights only.
/// </remarks>
public sealed class SparseConv2d : Module
{
    private readonly int[][] _connections;

    /// <summary>Creates the layer; <paramref name="connections"/>[o] lists the input maps of output map o.</summary>
    public SparseConv2d(int inChannels, int[][] connections, int kernelSize, RandomGenerator? generator = null, ActivationLayer? activation = null)
    {
        ArgumentNullException.ThrowIfNull(connections);
        if (kernelSize <= 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), $"SparseConv2d: the kernel size must be positive; got {kernelSize}.");
        InChannels = inChannels;
        KernelSize = kernelSize;
        _connections = connections.Select(c => c.ToArray()).ToArray();
        int area = kernelSize * kernelSize, outChannels = connections.Length;
        var gather = new float[outChannels * inChannels * area];
        int packed = 0;
        for (int o = 0; o < outChannels; o++)
        {
            if (connections[o].Length == 0 || connections[o].Any(c => c < 0 || c >= inChannels) || connections[o].Distinct().Count() != connections[o].Length)
                throw new ArgumentException($"SparseConv2d: output map {o} lists inputs [{string.Join(", ", connections[o])}]; each must be a distinct map in [0, {inChannels}).", nameof(connections));
            foreach (int c in connections[o])
                for (int t = 0; t < area; t++) gather[(o * inChannels + c) * area + t] = ++packed;
        }
        // Index 0 reads the constant zero prepended to the packed weights; index i ≥ 1 reads packed weight i − 1.
        _gatherIndex = Tensor.Wrap(gather, [outChannels * inChannels * area]);
        // Each map's fan-in is its own connection count times k·k; initialise map by map so every kernel gets its own scale.
        var values = new float[packed];
        var rng = generator ?? RandomGenerator.Default;
        var init = Dense.DefaultInitializer(activation);
        int at = 0;
        foreach (int[] inputs in _connections)
        {
            var kernel = Tensor.Zeros([1, inputs.Length * area]);
            init.Initialize(kernel, inputs.Length * area, area, rng);
            kernel.Data.CopyTo(values.AsSpan(at));
            at += inputs.Length * area;
        }
        Weight = AddParameter("weight", Tensor.Wrap(values, [packed]));
        Weight.Initializer = init.Name;
        Bias = AddParameter("bias", Tensor.Zeros([outChannels]));
        Bias.Initializer = "zeros";
        if (activation is not null) Activation = AddModule("activation", activation);
    }

    private readonly Tensor _gatherIndex;
    private static readonly Tensor Zero = Tensor.Zeros([1]);

    /// <summary>The connected kernels, packed (Σ_o |connections[o]|·k·k values).</summary>
    public Parameter Weight { get; }

    /// <summary>One bias per output map.</summary>
    public Parameter Bias { get; }

    /// <summary>The full [out, in, k, k] kernel with zeros where maps are not connected (differentiable with respect to <see cref="Weight"/>).</summary>
    public Tensor FullKernel() =>
        TensorOps.Concat([Zero, Weight]).Gather(0, _gatherIndex).Reshape(_connections.Length, InChannels, KernelSize, KernelSize);

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
        Tensor output = input.Conv2d(FullKernel(), Bias);
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
