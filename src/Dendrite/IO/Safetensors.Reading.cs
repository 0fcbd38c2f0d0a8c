using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Dendrite.Tensors;

namespace Dendrite.IO;

public static partial class Safetensors
{
    // Bytes converted per read for non-F32 dtypes: a multiple of every dtype size.
    private const int ConversionChunkBytes = 1 << 16;

    /// <summary>
    /// Reads the safetensors file at <paramref name="path"/>: every tensor as a new float32 tensor, and
    /// the metadata.
    /// </summary>
    /// <param name="path">The file to read. It is treated as untrusted.</param>
    /// <returns>The tensors (converted to float32) and metadata.</returns>
    /// <remarks>
    /// <para>Accepted dtypes: F32 (read as is); F16, BF16, F8_E4M3, F8_E5M2 (exact in float32); F64
    /// (rounded to nearest float32, ±infinity beyond its range); I64, I32, I16, I8, U64, U32, U16, U8
    /// (integers beyond 2^24 round to the nearest float32); BOOL (1 for a non-zero byte, else 0).
    /// <see cref="SafetensorsFile.StoredDTypes"/> tells which dtype each tensor had.</para>
    /// <para>Memory: the header is read only after its length is checked against the file length and
    /// the 100 MB limit, it is parsed as a stream (no document tree), and tensors are allocated only
    /// after every offset has been checked against the file. So no size claimed in a file costs memory
    /// beyond what the file holds: a small multiple of its length (tensors take 4 bytes per element
    /// whatever their stored dtype).</para>
    /// <para>Beyond the format, Dendrite needs ranks of at most <see cref="Shape.MaxRank"/>, dimensions
    /// up to <see cref="int.MaxValue"/> and at most <see cref="Array.MaxLength"/> elements per tensor;
    /// files outside those limits are rejected the same way.</para>
    /// </remarks>
    /// <exception cref="SafetensorsFormatException">The file is not a well-formed safetensors file; the message names the file, the problem and the values involved.</exception>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static SafetensorsFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // No FileStream buffer: reads are either 8 bytes, the whole header, or large tensor chunks.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        return Read(stream, stream.Length, path);
    }

    /// <summary>
    /// Reads a safetensors file from <paramref name="stream"/>, starting at its current position and
    /// taking everything up to its end as the file; the stream is left open.
    /// </summary>
    /// <param name="stream">A readable, seekable stream (its length bounds every size check).</param>
    /// <param name="sourceName">What to call the stream in error messages.</param>
    /// <returns>The tensors (converted to float32, see <see cref="Load(string)"/>) and metadata.</returns>
    /// <exception cref="SafetensorsFormatException">The bytes are not a well-formed safetensors file.</exception>
    public static SafetensorsFile Load(Stream stream, string sourceName = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException("Safetensors.Load needs a readable, seekable stream, whose length bounds every size in the header; copy the data into a MemoryStream or a file first.", nameof(stream));
        return Read(stream, stream.Length - stream.Position, sourceName);
    }

    /// <summary>Reads a safetensors file held in memory (the inverse of <see cref="Serialize"/>).</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="sourceName">What to call the bytes in error messages.</param>
    /// <returns>The tensors (converted to float32, see <see cref="Load(string)"/>) and metadata.</returns>
    /// <exception cref="SafetensorsFormatException">The bytes are not a well-formed safetensors file.</exception>
    public static SafetensorsFile Deserialize(byte[] bytes, string sourceName = "bytes")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var stream = new MemoryStream(bytes, writable: false);
        return Load(stream, sourceName);
    }

    private static SafetensorsFile Read(Stream stream, long length, string source)
    {
        if (length < PrefixLength)
            throw Failure(source, $"it is {length} bytes long, shorter than the 8-byte header-length prefix every safetensors file starts with; it is truncated or not a safetensors file.");

        Span<byte> prefix = stackalloc byte[PrefixLength];
        ReadExactly(stream, prefix, source, "the header-length prefix");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        // Both checks come before the header is allocated: a hostile prefix must not cost memory.
        if (headerLength > MaxHeaderLength)
            throw Failure(source, $"the header-length prefix says {headerLength} bytes, above the {MaxHeaderLength}-byte limit (the Python library's); the file is {length} bytes long. It is corrupt or not a safetensors file.");
        long available = length - PrefixLength;
        if (headerLength > (ulong)available)
            throw Failure(source, $"the header-length prefix says {headerLength} bytes, but only {available} bytes follow the prefix (the file is {length} bytes long); the file is truncated or corrupt.");

        var header = new byte[(int)headerLength];
        ReadExactly(stream, header, source, "the header");
        long dataLength = available - (long)headerLength;

        var (entries, metadata) = ParseHeader(header, dataLength, length, source);

        var tensors = new Dictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
        var dtypes = new Dictionary<string, string>(entries.Count, StringComparer.Ordinal);
        byte[]? chunk = null;
        try
        {
            // Entries are in data order and contiguous from 0, so the stream is always at the next one.
            foreach (var entry in entries)
            {
                var values = new float[entry.Count];
                ReadValues(stream, entry, values, ref chunk, source);
                tensors.Add(entry.Name, Tensor.Wrap(values, new Shape(entry.Dimensions)));
                dtypes.Add(entry.Name, SafetensorsDTypes.Name(entry.DType));
            }
        }
        finally
        {
            if (chunk is not null) ArrayPool<byte>.Shared.Return(chunk);
        }
        return new SafetensorsFile(tensors, metadata, dtypes);
    }

    private static void ReadValues(Stream stream, Entry entry, float[] values, ref byte[]? chunk, string source)
    {
        string what = $"the data of tensor {Quote(entry.Name)}";
        if (entry.DType == SafetensorsDType.F32 && BitConverter.IsLittleEndian)
        {
            // Straight into the tensor's storage, in slices so that no span exceeds int.MaxValue bytes.
            for (int start = 0; start < values.Length; start += FloatsPerChunk)
            {
                int count = Math.Min(FloatsPerChunk, values.Length - start);
                ReadExactly(stream, MemoryMarshal.AsBytes(values.AsSpan(start, count)), source, what);
            }
            return;
        }
        chunk ??= ArrayPool<byte>.Shared.Rent(ConversionChunkBytes);
        int size = SafetensorsDTypes.Size(entry.DType);
        int perChunk = ConversionChunkBytes / size;
        for (int start = 0; start < values.Length; start += perChunk)
        {
            int count = Math.Min(perChunk, values.Length - start);
            Span<byte> bytes = chunk.AsSpan(0, count * size);
            ReadExactly(stream, bytes, source, what);
            SafetensorsDTypes.ConvertToSingle(entry.DType, bytes, values.AsSpan(start, count));
        }
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string source, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            // The length was checked first, so only a file that shrank while being read gets here.
            throw new SafetensorsFormatException(source, $"the file ended while reading {what} ({buffer.Length} bytes); it was truncated while being read.", e);
        }
    }
}
