using System.Globalization;
using Dendrite.IO;
using Dendrite.Tensors;

namespace Dendrite.Optim;

/// <summary>
/// A snapshot of an optimiser's state, for checkpoints: named tensors (per-parameter buffers such
/// as <c>state.0.exp_avg</c>, shaped like their parameter) and a string map of scalars (step counts,
/// learning rates, random-generator state), exactly what a safetensors file holds. Take one with
/// <see cref="Optimizer.GetState"/>, restore it with <see cref="Optimizer.LoadState"/>; the
/// training then continues bit for bit as if it had not stopped.
/// </summary>
/// <remarks>
/// Parameters are numbered in the optimiser's order (its groups one after another), as in
/// PyTorch's <c>state_dict</c>. Scalars are written with round-trip formatting, so nothing is lost.
/// To store the state beside the model's weights in one file, merge the dictionaries with a prefix
/// (<see cref="AddTo"/> and <see cref="FromPrefixed"/>).
/// </remarks>
public sealed class OptimizerState
{
    /// <summary>The metadata key holding the optimiser's type name.</summary>
    public const string OptimizerKey = "optimizer";

    /// <summary>Creates a state from its tensors and metadata (both copied).</summary>
    public OptimizerState(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        Tensors = new Dictionary<string, Tensor>(tensors, StringComparer.Ordinal);
        Metadata = new Dictionary<string, string>(metadata, StringComparer.Ordinal);
    }

    /// <summary>The buffers by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors { get; }

    /// <summary>The scalars (and the optimiser's name under <see cref="OptimizerKey"/>) as round-trip strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The type name of the optimiser that wrote this state (<c>Adam</c>, <c>Lbfgs</c>, ...).</summary>
    public string OptimizerName => Metadata.TryGetValue(OptimizerKey, out string? name) ? name : "";

    /// <summary>Writes the state as a safetensors file (atomically).</summary>
    public void Save(string path) => Safetensors.Save(path, Tensors, Metadata);

    /// <summary>Reads a state written by <see cref="Save"/>.</summary>
    public static OptimizerState Load(string path)
    {
        SafetensorsFile file = Safetensors.Load(path);
        return new OptimizerState(file.Tensors, file.Metadata);
    }

    /// <summary>The safetensors bytes of this state.</summary>
    public byte[] Serialize() => Safetensors.Serialize(Tensors, Metadata);

    /// <summary>Reads a state from safetensors bytes.</summary>
    public static OptimizerState Deserialize(byte[] bytes)
    {
        SafetensorsFile file = Safetensors.Deserialize(bytes, "optimizer state");
        return new OptimizerState(file.Tensors, file.Metadata);
    }

    /// <summary>
    /// Adds this state to a checkpoint's dictionaries, every name prefixed with
    /// <paramref name="prefix"/> (so it sits beside the model's <c>0.weight</c> without clashing).
    /// </summary>
    public void AddTo(IDictionary<string, Tensor> tensors, IDictionary<string, string> metadata, string prefix = "optimizer.")
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        foreach (var (name, tensor) in Tensors) tensors.Add(prefix + name, tensor);
        foreach (var (key, value) in Metadata) metadata.Add(prefix + key, value);
    }

    /// <summary>The state stored by <see cref="AddTo"/> under <paramref name="prefix"/>.</summary>
    public static OptimizerState FromPrefixed(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata, string prefix = "optimizer.")
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        var ownTensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var ownMetadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
            if (name.StartsWith(prefix, StringComparison.Ordinal)) ownTensors[name[prefix.Length..]] = tensor;
        foreach (var (key, value) in metadata)
            if (key.StartsWith(prefix, StringComparison.Ordinal)) ownMetadata[key[prefix.Length..]] = value;
        if (!ownMetadata.ContainsKey(OptimizerKey))
            throw new FormatException($"No optimiser state under the prefix '{prefix}': the metadata has no '{prefix}{OptimizerKey}' entry.");
        return new OptimizerState(ownTensors, ownMetadata);
    }

    // ---- Reading helpers with clear errors (used by the optimisers' LoadState) ----

    internal string Require(string owner, string key) =>
        Metadata.TryGetValue(key, out string? value) ? value
            : throw new FormatException($"{owner}.LoadState: the state has no '{key}' entry; it was not written by {owner}.GetState(), or is damaged.");

    internal long RequireLong(string owner, string key) => ParseLong(owner, key, Require(owner, key));

    internal double RequireDouble(string owner, string key) => ParseDouble(owner, key, Require(owner, key));

    internal float RequireFloat(string owner, string key) => ParseFloat(owner, key, Require(owner, key));

    internal Tensor RequireTensor(string owner, string key, int count)
    {
        if (!Tensors.TryGetValue(key, out Tensor? tensor))
            throw new FormatException($"{owner}.LoadState: the state has no tensor '{key}'.");
        if (tensor.Count != count)
            throw new ShapeMismatchException($"{owner}.LoadState: tensor '{key}' has {tensor.Count} elements (shape {tensor.Shape}) but this optimiser needs {count}; the state belongs to a different model.");
        return tensor;
    }

    internal static long ParseLong(string owner, string key, string text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) ? value
            : throw new FormatException($"{owner}.LoadState: '{key}' should be a whole number; got '{text}'.");

    internal static double ParseDouble(string owner, string key, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value
            : throw new FormatException($"{owner}.LoadState: '{key}' should be a number; got '{text}'.");

    // Parsed as float directly: parsing a float's shortest text as double and rounding again
    // could land on the neighbouring float.
    internal static float ParseFloat(string owner, string key, string text) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) ? value
            : throw new FormatException($"{owner}.LoadState: '{key}' should be a number; got '{text}'.");

    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    internal static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    internal static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
