using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.Autograd;
using Dendrite.NN.Initializers;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>
/// Batch normalisation (Ioffe and Szegedy 2015) over the channel axis 1 of [N, C], [N, C, L] or
/// [N, C, H, W] inputs: in training, each channel is normalised with the batch's mean and (biased)
/// variance, x̂ = (x − μ_B)/√(σ²_B + ε), then scaled and shifted, y = γ·x̂ + β; the running mean and
/// variance move towards the batch's by <see cref="Momentum"/>, with the unbiased variance
/// m/(m − 1)·σ²_B as the seeds give it (and PyTorch does). In evaluation mode the running
/// statistics replace the batch's.
/// </summary>
public sealed class BatchNorm : Module
{
    /// <summary>Creates the layer for <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">C, the size of axis 1.</param>
    /// <param name="momentum">Weight of the new batch in the running averages: r ← (1 − m)·r + m·batch.</param>
    /// <param name="epsilon">Added to the variance before the square root.</param>
    /// <param name="affine">Whether to learn γ and β.</param>
    public BatchNorm(int numFeatures, float momentum = 0.1f, float epsilon = 1e-5f, bool affine = true)
    {
        if (numFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(numFeatures), $"BatchNorm needs a positive number of features; got {numFeatures}.");
        if (!(momentum >= 0f && momentum <= 1f)) throw new ArgumentOutOfRangeException(nameof(momentum), $"BatchNorm: momentum must be in [0, 1]; got {momentum}.");
        if (!(epsilon > 0f)) throw new ArgumentOutOfRangeException(nameof(epsilon), $"BatchNorm: epsilon must be positive; got {epsilon}.");
        NumFeatures = numFeatures;
        Momentum = momentum;
        Epsilon = epsilon;
        if (affine)
        {
            Weight = AddParameter("weight", [numFeatures], Initializer.Constant(1f), 1, 1);
            Bias = AddParameter("bias", [numFeatures], Initializer.Zeros, 1, 1);
        }
        RunningMean = AddBuffer("running_mean", Tensor.Zeros([numFeatures]));
        RunningVariance = AddBuffer("running_var", Tensor.Ones([numFeatures]));
    }

    /// <summary>C.</summary>
    public int NumFeatures { get; }

    /// <summary>Weight of each new batch in the running averages.</summary>
    public float Momentum { get; }

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <summary>γ, [C], or null when not affine.</summary>
    public Parameter? Weight { get; }

    /// <summary>β, [C], or null when not affine.</summary>
    public Parameter? Bias { get; }

    /// <summary>Running mean per channel, used in evaluation mode.</summary>
    public Tensor RunningMean { get; }

    /// <summary>Running (unbiased) variance per channel, used in evaluation mode.</summary>
    public Tensor RunningVariance { get; }

    /// <inheritdoc/>
    public override string Describe() => $"BatchNorm({NumFeatures})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank < 2 || input.Shape[1] != NumFeatures)
            throw new ShapeMismatchException($"BatchNorm({NumFeatures}) got input {input.Shape}; expected [N, {NumFeatures}, ...] (channels on axis 1).");
        return input.BatchNorm(RunningMean, RunningVariance, Weight, Bias, IsTraining, Momentum, Epsilon);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["numFeatures"] = NumFeatures;
        config["momentum"] = Momentum;
        config["epsilon"] = Epsilon;
        config["affine"] = Weight is not null;
    }
}

/// <summary>
/// Layer normalisation (Ba et al. 2016): each sample is normalised over its last dimensions
/// (<see cref="NormalizedShape"/>) with its own mean and biased variance, then scaled and shifted
/// element-wise; the same in training and evaluation.
/// </summary>
public sealed class LayerNorm : Module
{
    private readonly int[] _normalizedShape;

    /// <summary>Creates the layer for inputs ending in <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(int[] normalizedShape, float epsilon = 1e-5f, bool affine = true)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
            throw new ArgumentException($"LayerNorm needs a non-empty shape of positive sizes; got [{string.Join(", ", normalizedShape)}].", nameof(normalizedShape));
        _normalizedShape = normalizedShape;
        Epsilon = epsilon;
        if (affine)
        {
            Weight = AddParameter("weight", normalizedShape, Initializer.Constant(1f), 1, 1);
            Bias = AddParameter("bias", normalizedShape, Initializer.Zeros, 1, 1);
        }
    }

    /// <summary>Creates the layer normalising the last dimension of size <paramref name="features"/>.</summary>
    public LayerNorm(int features, float epsilon = 1e-5f, bool affine = true) : this([features], epsilon, affine) { }

    /// <summary>The trailing dimensions normalised together.</summary>
    public IReadOnlyList<int> NormalizedShape => _normalizedShape;

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <summary>Element-wise scale, or null.</summary>
    public Parameter? Weight { get; }

    /// <summary>Element-wise shift, or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public override string Describe() => $"LayerNorm([{string.Join(", ", _normalizedShape)}])";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        int k = _normalizedShape.Length;
        bool fits = input.Rank >= k;
        for (int i = 0; fits && i < k; i++) fits = input.Shape[input.Rank - k + i] == _normalizedShape[i];
        if (!fits)
            throw new ShapeMismatchException($"{Describe()} got input {input.Shape}; its last dimensions must be [{string.Join(", ", _normalizedShape)}].");
        int[] axes = Enumerable.Range(input.Rank - k, k).ToArray();
        Tensor mean = input.Mean(axes, keepDims: true);
        Tensor centered = input - mean;
        Tensor variance = centered.Square().Mean(axes, keepDims: true);
        Tensor normalized = centered / (variance + Epsilon).Sqrt();
        return Weight is null ? normalized : normalized * Weight + Bias!;
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["normalizedShape"] = new JsonArray(_normalizedShape.Select(d => (JsonNode)d).ToArray());
        config["epsilon"] = Epsilon;
        config["affine"] = Weight is not null;
    }
}

/// <summary>
/// Weight normalisation (Salimans and Kingma 2016) of a layer's weight: w = g·v/‖v‖ per output
/// unit (row), training the direction v (the wrapped layer's own weight) and the length g
/// separately. g starts at ‖v‖, so the wrapped layer's function is unchanged at first.
/// </summary>
public sealed class WeightNorm : Module
{
    /// <summary>Wraps <paramref name="layer"/>, whose weight becomes the direction v.</summary>
    public WeightNorm(Module layer)
    {
        if (layer is not IWeightedLayer weighted)
            throw new ArgumentException($"WeightNorm wraps a layer with a weight (Dense, Conv2d); got {layer.Describe()}.", nameof(layer));
        Layer = AddModule("layer", layer);
        Weighted = weighted;
        int rows = weighted.Weight.Shape[0];
        float[] norms = RowNorms(weighted.Weight);
        Gain = AddParameter("g", Tensor.FromArray(norms, new Shape(rows)));
        Gain.Initializer = "‖v‖";
    }

    private IWeightedLayer Weighted { get; }

    /// <summary>The wrapped layer.</summary>
    public Module Layer { get; }

    /// <summary>g, one length per output unit.</summary>
    public Parameter Gain { get; }

    private static float[] RowNorms(Tensor weight)
    {
        int rows = weight.Shape[0], columns = weight.Count / rows;
        var norms = new float[rows];
        ReadOnlySpan<float> data = weight.Data;
        for (int r = 0; r < rows; r++) norms[r] = TensorPrimitives.Norm(data.Slice(r * columns, columns));
        return norms;
    }

    /// <inheritdoc/>
    public override string Describe() => $"WeightNorm({Layer.Describe()})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        Parameter v = Weighted.Weight;
        int rows = v.Shape[0];
        int[] perRow = [rows, .. Enumerable.Repeat(1, v.Rank - 1)];
        int[] others = Enumerable.Range(1, v.Rank - 1).ToArray();
        Tensor norm = v.Square().Sum(others, keepDims: true).Sqrt();
        Tensor weight = v / norm * Gain.Reshape(perRow);
        return Weighted.ForwardWithWeight(input, weight);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) { }
}

/// <summary>Formats a float for layer descriptions.</summary>
internal static class Formatting
{
    public static string Number(float value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
