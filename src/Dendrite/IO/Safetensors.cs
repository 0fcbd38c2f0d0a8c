using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Dendrite.Tensors;

namespace Dendrite.IO;

/// <summary>
/// Reads and writes the safetensors format, the one Python's <c>safetensors</c> library (and so
/// PyTorch and Hugging Face checkpoints) uses, so that weights move between Dendrite and Python.
/// </summary>
/// <remarks>
/// <para>Layout: an 8-byte little-endian unsigned header length N; N bytes of UTF-8 JSON mapping each
/// tensor name to <c>{"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}</c> (byte offsets
/// into the data buffer), plus an optional <c>"__metadata__"</c> object of strings; spaces pad the
/// header so that 8 + N is a multiple of 8; then the data buffer, the tensors' little-endian
/// row-major bytes back to back, with no gaps and nothing after the last one.</para>
/// <para>Writing produces what the Python library produces for float32 tensors: tensors sorted by
/// name (byte order of their UTF-8), <c>"__metadata__"</c> first (its keys sorted too, so files are
/// byte-stable), dtype F32. Reading treats the file as untrusted: every size, offset and type in the
/// header is checked against the actual file length before anything of that size is allocated, and
/// any inconsistency throws <see cref="SafetensorsFormatException"/>.</para>
/// </remarks>
public static partial class Safetensors
{
    /// <summary>The largest header accepted, in bytes (the Python library's limit, 100 MB).</summary>
    public const int MaxHeaderLength = 100_000_000;

    /// <summary>The reserved header key holding the string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    private const int PrefixLength = 8;

    // Chunk of elements converted per write, so that huge tensors need no huge temporary spans.
    private const int FloatsPerChunk = 1 << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Writes <paramref name="tensors"/> (as F32) and <paramref name="metadata"/> to the file at
    /// <paramref name="path"/>, atomically (through <see cref="AtomicFile"/>): a failure part-way
    /// leaves any previous file at <paramref name="path"/> as it was.
    /// </summary>
    /// <param name="path">The file to create or replace; its directory must exist.</param>
    /// <param name="tensors">Tensors by name, of any shape; strided views are written in row-major order.</param>
    /// <param name="metadata">Optional string-to-string metadata, stored under <c>"__metadata__"</c>.</param>
    /// <exception cref="ArgumentException">A name is <c>"__metadata__"</c> or not valid UTF-16, a tensor is null or released, or a metadata value is null.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // Everything that can be rejected is rejected before the target's directory is touched.
        var plan = Prepare(tensors, metadata);
        AtomicFile.Write(path, stream => WritePlan(stream, plan));
    }

    /// <summary>
    /// Writes the safetensors bytes of <paramref name="tensors"/> and <paramref name="metadata"/> to
    /// <paramref name="stream"/> at its current position; the stream is left open.
    /// </summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="tensors">Tensors by name, of any shape; strided views are written in row-major order.</param>
    /// <param name="metadata">Optional string-to-string metadata, stored under <c>"__metadata__"</c>.</param>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        WritePlan(stream, Prepare(tensors, metadata));
    }

    /// <summary>The safetensors bytes of <paramref name="tensors"/> and <paramref name="metadata"/>, as <see cref="Save(string, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, string}?)"/> would write them.</summary>
    /// <param name="tensors">Tensors by name, of any shape; strided views are written in row-major order.</param>
    /// <param name="metadata">Optional string-to-string metadata, stored under <c>"__metadata__"</c>.</param>
    /// <returns>The whole file: prefix, padded header and data.</returns>
    /// <exception cref="ArgumentException">The file would exceed the largest array (about 2 GB); use <c>Save</c> to a path or stream.</exception>
    public static byte[] Serialize(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var plan = Prepare(tensors, metadata);
        long total = PrefixLength + plan.Header.Length + plan.DataLength;
        if (total > Array.MaxLength)
            throw new ArgumentException($"Safetensors.Serialize: the file would be {total} bytes, more than one array holds ({Array.MaxLength}); use Save to a path or a stream.", nameof(tensors));
        var bytes = new byte[total];
        using var stream = new MemoryStream(bytes, writable: true);
        WritePlan(stream, plan);
        return bytes;
    }

    /// <summary>What to write: the padded header and the tensors in data order.</summary>
    private sealed record PreparedFile(byte[] Header, Tensor[] Tensors, long DataLength);

    private static PreparedFile Prepare(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = new List<(byte[] Name, Tensor Tensor)>(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            if (name == MetadataKey)
                throw new ArgumentException($"Safetensors.Save: '{MetadataKey}' is reserved for the metadata and cannot name a tensor; rename the tensor.", nameof(tensors));
            if (tensor is null)
                throw new ArgumentException($"Safetensors.Save: tensor '{name}' is null.", nameof(tensors));
            if (tensor.IsReleased)
                throw new ArgumentException($"Safetensors.Save: tensor '{name}' (shape {tensor.Shape}) was released by Backward(); Retain() it before Backward() to save it.", nameof(tensors));
            entries.Add((EncodeName(name, "tensor name"), tensor));
        }
        // The Python library orders by dtype alignment, then name; all of ours are F32, so by name.
        entries.Sort((a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));

        var json = new ArrayBufferWriter<byte>();
        long offset = 0;
        // Relaxed escaping writes non-ASCII names as UTF-8, as Python's serde_json does.
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is not null)
            {
                var pairs = new List<(byte[] Key, string Value)>(metadata.Count);
                foreach (var (key, value) in metadata)
                {
                    if (value is null)
                        throw new ArgumentException($"Safetensors.Save: metadata value for key '{key}' is null; metadata values must be strings.", nameof(metadata));
                    pairs.Add((EncodeName(key, "metadata key"), value));
                }
                pairs.Sort((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
                writer.WriteStartObject(MetadataKey);
                foreach (var (key, value) in pairs) writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            foreach (var (name, tensor) in entries)
            {
                writer.WriteStartObject(name);
                writer.WriteString("dtype"u8, "F32"u8);
                writer.WriteStartArray("shape"u8);
                foreach (int dimension in tensor.Shape) writer.WriteNumberValue(dimension);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets"u8);
                writer.WriteNumberValue(offset);
                offset += (long)tensor.Count * sizeof(float);
                writer.WriteNumberValue(offset);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }

        // Spaces up to a multiple of 8, so the data buffer starts 8-byte aligned (8 + N ≡ 0 mod 8).
        int padded = (json.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        json.WrittenSpan.CopyTo(header);
        header.AsSpan(json.WrittenCount).Fill((byte)' ');
        return new PreparedFile(header, entries.ConvertAll(e => e.Tensor).ToArray(), offset);
    }

    private static byte[] EncodeName(string name, string what)
    {
        try
        {
            return StrictUtf8.GetBytes(name);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"Safetensors.Save: {what} '{name}' is not valid UTF-16 (an unpaired surrogate), so it cannot be written as UTF-8.", e);
        }
    }

    private static void WritePlan(Stream stream, PreparedFile plan)
    {
        Span<byte> prefix = stackalloc byte[PrefixLength];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)plan.Header.Length);
        stream.Write(prefix);
        stream.Write(plan.Header);
        foreach (var tensor in plan.Tensors)
        {
            // Data is the storage itself for contiguous tensors; views are gathered in row-major order.
            ReadOnlySpan<float> values = tensor.IsContiguous ? tensor.Data : tensor.ToArray();
            WriteLittleEndian(stream, values);
        }
    }

    private static void WriteLittleEndian(Stream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            for (int start = 0; start < values.Length; start += FloatsPerChunk)
                stream.Write(MemoryMarshal.AsBytes(values.Slice(start, Math.Min(FloatsPerChunk, values.Length - start))));
            return;
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            int perBuffer = buffer.Length / sizeof(float);
            for (int start = 0; start < values.Length; start += perBuffer)
            {
                int count = Math.Min(perBuffer, values.Length - start);
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * i), values[start + i]);
                stream.Write(buffer, 0, count * sizeof(float));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
