using System.Text.Json.Nodes;
using Dendrite.NN.Initializers;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>Flattens every dimension from <see cref="StartAxis"/> on into one (default: all but the batch dimension).</summary>
public sealed class Flatten(int startAxis = 1) : Module
{
    /// <summary>The first dimension merged.</summary>
    public int StartAxis { get; } = startAxis;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank <= StartAxis) return input.Rank == StartAxis ? input.Unsqueeze(-1) : input;
        return input.Flatten(StartAxis);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) => config["startAxis"] = StartAxis;
}

/// <summary>Reshapes each sample (the batch dimension is kept): [batch, ...] → [batch, shape...].</summary>
public sealed class Reshape : Module
{
    private readonly int[] _shape;

    /// <summary>Creates the layer; one size may be −1 (inferred).</summary>
    public Reshape(params int[] shape) => _shape = shape;

    /// <summary>The per-sample target shape.</summary>
    public IReadOnlyList<int> TargetShape => _shape;

    /// <inheritdoc/>
    public override string Describe() => $"Reshape({string.Join(", ", _shape)})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank == 0) throw new ShapeMismatchException($"Reshape({string.Join(", ", _shape)}) needs a batch dimension; got a scalar.");
        return input.Reshape([input.Shape[0], .. _shape]);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) => config["shape"] = new JsonArray(_shape.Select(s => (JsonNode)s).ToArray());
}

/// <summary>
/// A lookup table of <see cref="EmbeddingDimension"/>-long vectors, one per index in
/// [0, <see cref="NumEmbeddings"/>): integer-valued input [...] gives [..., dim]. Initialised N(0, 1) as in PyTorch.
/// </summary>
public sealed class Embedding : Module
{
    /// <summary>Creates the table.</summary>
    public Embedding(int numEmbeddings, int embeddingDimension, Initializer? initializer = null, RandomGenerator? generator = null)
    {
        if (numEmbeddings <= 0 || embeddingDimension <= 0)
            throw new ArgumentOutOfRangeException(nameof(numEmbeddings), $"Embedding needs positive sizes; got {numEmbeddings} x {embeddingDimension}.");
        NumEmbeddings = numEmbeddings;
        EmbeddingDimension = embeddingDimension;
        Weight = AddParameter("weight", [numEmbeddings, embeddingDimension], initializer ?? Initializer.StandardNormal, embeddingDimension, numEmbeddings, generator);
    }

    /// <summary>Number of rows (vocabulary size).</summary>
    public int NumEmbeddings { get; }

    /// <summary>Length of each vector.</summary>
    public int EmbeddingDimension { get; }

    /// <summary>The table, [numEmbeddings, dim].</summary>
    public Parameter Weight { get; }

    /// <inheritdoc/>
    public override string Describe() => $"Embedding({NumEmbeddings}, {EmbeddingDimension})";

    /// <summary>Looks up every index of <paramref name="input"/> (integral float values); the result has shape [..input, dim].</summary>
    public override Tensor Forward(Tensor input)
    {
        float[] values = input.ToArray();
        var indices = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            int index = (int)values[i];
            if (index != values[i] || (uint)index >= (uint)NumEmbeddings)
                throw new ArgumentOutOfRangeException(nameof(input), $"{Describe()} got index {values[i]} at position {i} of input {input.Shape}; indices must be integers in [0, {NumEmbeddings}).");
            indices[i] = index;
        }
        return Weight.IndexSelect(0, indices).Reshape([.. input.Shape, EmbeddingDimension]);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["numEmbeddings"] = NumEmbeddings;
        config["embeddingDimension"] = EmbeddingDimension;
    }
}

/// <summary>A residual connection: y = x + f(x) (He et al. 2016); f must keep the shape.</summary>
public sealed class Residual : Module
{
    /// <summary>Wraps <paramref name="body"/> (f).</summary>
    public Residual(Module body) => Body = AddModule("body", body);

    /// <summary>f.</summary>
    public Module Body { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        Tensor f = Run(Body, input);
        Tensor output = Combine(input, f);
        ReleaseConsumed(input, output, f);
        return output;
    }

    /// <summary>x + f(x), given f(x) (the training diagnostics run the body themselves to look inside it).</summary>
    internal Tensor Combine(Tensor input, Tensor f)
    {
        if (f.Shape != input.Shape)
            throw new ShapeMismatchException($"Residual: the body {Body.Describe()} turned input {input.Shape} into {f.Shape}; x + f(x) needs the same shape (use a projection shortcut when the shape changes).");
        return input + f;
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) { }
}

/// <summary>Parallel branches on the same input, their outputs concatenated along <see cref="Axis"/> (inception-style blocks).</summary>
public sealed class Concatenate : Module
{
    private readonly List<Module> _branches = [];

    /// <summary>Creates the block; each branch sees the whole input.</summary>
    public Concatenate(int axis, params IEnumerable<Module> branches)
    {
        Axis = axis;
        foreach (Module branch in branches)
        {
            AddModule(_branches.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), branch);
            _branches.Add(branch);
        }
        if (_branches.Count == 0) throw new ArgumentException("Concatenate needs at least one branch.", nameof(branches));
    }

    /// <summary>The axis joined along (1 = channels or features).</summary>
    public int Axis { get; }

    /// <summary>The branches in order.</summary>
    public IReadOnlyList<Module> Branches => _branches;

    /// <inheritdoc/>
    public override string Describe() => $"Concatenate({_branches.Count} branches, axis {Axis})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var outputs = new Tensor[_branches.Count];
        for (int i = 0; i < outputs.Length; i++) outputs[i] = Run(_branches[i], input);
        Tensor output;
        try
        {
            output = TensorOps.Concat(outputs, Axis);
        }
        catch (ShapeMismatchException error)
        {
            throw new ShapeMismatchException($"Concatenate: branch outputs {string.Join(", ", outputs.Select(o => o.Shape))} cannot be joined along axis {Axis}: {error.Message}", error);
        }
        ReleaseConsumed(input, output, outputs);
        return output;
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) => config["axis"] = Axis;
}
