using Dendrite.Tensors;

namespace Dendrite.IO;

/// <summary>The contents of a safetensors file: its tensors, converted to float32, and its metadata.</summary>
public sealed class SafetensorsFile
{
    internal SafetensorsFile(
        IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata,
        IReadOnlyDictionary<string, string> storedDTypes)
    {
        Tensors = tensors;
        Metadata = metadata;
        StoredDTypes = storedDTypes;
    }

    /// <summary>
    /// The tensors by name, in the order their data lies in the file. Each is a new contiguous float32
    /// tensor with the shape given in the file (rank 0 for shape <c>[]</c>), owned by the caller.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> Tensors { get; }

    /// <summary>The file's <c>"__metadata__"</c> map (string to string); empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// The dtype each tensor had in the file (<c>"F32"</c>, <c>"F16"</c>, <c>"BF16"</c>, ...), by name,
    /// before it was converted to float32; tells which tensors may have lost precision (I64, F64).
    /// </summary>
    public IReadOnlyDictionary<string, string> StoredDTypes { get; }

    /// <summary>The tensor called <paramref name="name"/>; throws <see cref="KeyNotFoundException"/> naming the tensors present when there is none.</summary>
    public Tensor this[string name] =>
        Tensors.TryGetValue(name, out var tensor)
            ? tensor
            : throw new KeyNotFoundException($"The safetensors file has no tensor '{name}'; it has {Tensors.Count}: {string.Join(", ", Tensors.Keys.Take(20))}{(Tensors.Count > 20 ? ", ..." : "")}.");
}
