using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using Dendrite.Tensors;

namespace Dendrite.Data;

/// <summary>
/// Reads IDX files, the format of MNIST and Fashion-MNIST (<c>train-images-idx3-ubyte</c>, ...), plain
/// or gzip-compressed (recognised by the gzip magic bytes 1F 8B, whatever the file is called).
/// </summary>
/// <remarks>
/// The layout (big-endian): a magic number <c>00 00 TT DD</c> with TT the element type (0x08 unsigned
/// byte, 0x09 signed byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64) and DD the number of
/// dimensions, then DD int32 sizes, then the elements in row-major order. MNIST images are
/// <c>0x00000803</c> [N, rows, cols] and labels <c>0x00000801</c> [N]. The declared sizes are checked
/// against the bytes present before anything is returned: a truncated file, or one with bytes left
/// over, throws a <see cref="DataFormatException"/> that names the file and says what was declared and
/// what is there.
/// </remarks>
public static class IdxReader
{
    private static readonly byte[] GzipMagic = [0x1F, 0x8B];

    // Bytes read and converted at a time: a multiple of every element size.
    private const int ChunkBytes = 1 << 16;

    /// <summary>
    /// Reads the IDX file at <paramref name="path"/> as a float tensor with the file's dimensions:
    /// images [N, rows, cols] with values 0..255 for unsigned bytes (not scaled), labels [N].
    /// </summary>
    /// <param name="path">An IDX file, gzip-compressed or not.</param>
    /// <returns>The elements converted to float32, shaped as the header declares.</returns>
    /// <exception cref="DataFormatException">The file is not IDX, or its header does not match its size.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static Tensor Read(string path)
    {
        var (values, shape) = ReadValues(path);
        return Tensor.Wrap(values, shape);
    }

    private static (float[] Values, Shape Shape) ReadValues(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        Span<byte> magic = stackalloc byte[2];
        int got = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        if (got == 2 && magic.SequenceEqual(GzipMagic))
        {
            try
            {
                using var gzip = new GZipStream(file, CompressionMode.Decompress);
                return Read(gzip, path, knownLength: null, compressed: true);
            }
            catch (InvalidDataException error)
            {
                throw new DataFormatException(path, $"{path} starts like a gzip file but cannot be decompressed ({error.Message}); the file is damaged or truncated.", null, null);
            }
        }
        return Read(file, path, knownLength: file.Length, compressed: false);
    }

    /// <summary>Reads an IDX file from <paramref name="stream"/> (decompressed already), up to its end.</summary>
    /// <param name="stream">The IDX bytes.</param>
    /// <param name="sourceName">What to call the stream in error messages.</param>
    /// <returns>See <see cref="Read(string)"/>.</returns>
    public static Tensor Read(Stream stream, string sourceName = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (values, shape) = Read(stream, sourceName, stream.CanSeek ? stream.Length - stream.Position : null, compressed: false);
        return Tensor.Wrap(values, shape);
    }

    /// <summary>
    /// Reads an images file and a labels file (MNIST layout) into a classification data set with
    /// features [N, rows·cols] and labels [N].
    /// </summary>
    /// <param name="imagesPath">IDX file of images [N, rows, cols] (or any [N, ...]).</param>
    /// <param name="labelsPath">IDX file of labels [N], integers 0..k-1.</param>
    /// <param name="scale">Multiplies every pixel: 1/255 (the default) maps bytes 0..255 to [0, 1]; 1 keeps 0..255.</param>
    /// <param name="classNames">The k class names; null to number them "0".."k-1".</param>
    /// <param name="name">The data set's name; null uses the images file's name.</param>
    /// <exception cref="DataFormatException">Either file is malformed, or the two files hold different numbers of samples.</exception>
    public static Dataset ReadDataset(string imagesPath, string labelsPath, float scale = 1f / 255f, IReadOnlyList<string>? classNames = null, string? name = null)
    {
        var (pixels, imageShape) = ReadValues(imagesPath);
        var (labelValues, labelShape) = ReadValues(labelsPath);
        var labels = Tensor.Wrap(labelValues, labelShape);
        if (labels.Rank != 1)
            throw new DataFormatException(labelsPath, $"{labelsPath}: a labels file holds one label per sample, shape [N]; this one declares {labels.Shape}.", null, null);
        if (imageShape[0] != labels.Shape[0])
            throw new DataFormatException(imagesPath, string.Create(CultureInfo.InvariantCulture,
                $"{imagesPath} holds {imageShape[0]} images but {labelsPath} holds {labels.Shape[0]} labels; they must be the same samples, one label per image."), null, null);
        int count = imageShape[0];
        if (scale != 1f) TensorPrimitives.Multiply(pixels, scale, pixels);
        var features = Tensor.Wrap(pixels, new Shape(count, imageShape.Product(1, imageShape.Rank)));
        try
        {
            return Dataset.ForClassification(features, labels, classNames, name ?? Path.GetFileName(imagesPath));
        }
        catch (ArgumentException error)
        {
            throw new DataFormatException($"{labelsPath}: {error.Message}", error);
        }
    }

    private static (float[] Values, Shape Shape) Read(Stream stream, string path, long? knownLength, bool compressed)
    {
        string what = compressed ? $"{path} (after gzip decompression)" : path;

        // Magic: two zero bytes, the element type, the number of dimensions.
        Span<byte> magic = stackalloc byte[4];
        int got = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        if (got < 4)
            throw Error(path, $"{what} is {got} bytes long; an IDX file starts with a 4-byte magic number.");
        uint magicNumber = BinaryPrimitives.ReadUInt32BigEndian(magic);
        int elementSize = magic[2] switch { 0x08 or 0x09 => 1, 0x0B => 2, 0x0C or 0x0D => 4, 0x0E => 8, _ => 0 };
        int rank = magic[3];
        if (magic[0] != 0 || magic[1] != 0 || elementSize == 0)
            throw Error(path, string.Create(CultureInfo.InvariantCulture,
                $"{what} is not an IDX file: its magic number is 0x{magicNumber:X8}, expected 0x000008DD (unsigned bytes; 0x00000803 for images, 0x00000801 for labels) or another IDX type 0x09, 0x0B-0x0E."));
        if (rank < 1 || rank > Shape.MaxRank)
            throw Error(path, $"{what} declares {rank} dimensions (magic 0x{magicNumber:X8}); Dendrite reads IDX files of 1 to {Shape.MaxRank} dimensions.");

        // Sizes.
        Span<byte> dimensionBytes = stackalloc byte[4 * rank];
        got = stream.ReadAtLeast(dimensionBytes, dimensionBytes.Length, throwOnEndOfStream: false);
        if (got < dimensionBytes.Length)
            throw Error(path, $"{what} ends inside its header: {rank} dimensions need {4 + 4 * rank} header bytes but the file has {4 + got}.");
        Span<int> dims = stackalloc int[rank];
        long declaredElements = 1;
        for (int i = 0; i < rank; i++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(dimensionBytes.Slice(4 * i, 4));
            if (size > int.MaxValue)
                throw Error(path, $"{what} declares dimension {i} of size {size}, more than Dendrite can hold.");
            dims[i] = (int)size;
            declaredElements *= size;
            if (declaredElements > Array.MaxLength)
                throw Error(path, $"{what} declares {FormatDims(dims[..(i + 1)])}..., more elements than an array can hold ({Array.MaxLength}).");
        }
        long headerBytes = 4 + 4L * rank;
        long declaredBytes = declaredElements * elementSize;
        string declared = $"its header declares {FormatDims(dims)} ({declaredElements} elements, {headerBytes + declaredBytes} bytes with the header)";

        // Check the size before allocating, when the length is known.
        if (knownLength is long length && length != headerBytes + declaredBytes)
            throw Error(path, $"{what}: {declared} but the file has {length} bytes. The file is {(length < headerBytes + declaredBytes ? "truncated" : "longer than its header says")}, or not the file it claims to be.");

        // Read and convert in chunks (a multiple of every element size), so the bytes never sit in
        // memory whole next to the floats.
        var values = new float[declaredElements];
        var chunk = new byte[(int)Math.Min(ChunkBytes, Math.Max(declaredBytes, 8))];
        long done = 0;
        while (done < declaredBytes)
        {
            int want = (int)Math.Min(chunk.Length, declaredBytes - done);
            got = stream.ReadAtLeast(chunk.AsSpan(0, want), want, throwOnEndOfStream: false);
            if (got < want)
                throw Error(path, $"{what}: {declared} but the file has {headerBytes + done + got} bytes. The file is truncated, or not the file it claims to be.");
            Convert(chunk.AsSpan(0, want), magic[2], values.AsSpan((int)(done / elementSize), want / elementSize));
            done += want;
        }
        long extra = CountRemaining(stream);
        if (extra > 0)
            throw Error(path, $"{what}: {declared} but the file has {headerBytes + declaredBytes + extra} bytes ({extra} more than declared). The file is not the file its header describes.");
        return (values, new Shape(dims));
    }

    private static long CountRemaining(Stream stream)
    {
        Span<byte> scratch = stackalloc byte[4096];
        long total = 0;
        int read;
        while ((read = stream.Read(scratch)) > 0) total += read;
        return total;
    }

    /// <summary>Big-endian elements of IDX type <paramref name="type"/> to float32.</summary>
    private static void Convert(ReadOnlySpan<byte> bytes, byte type, Span<float> values)
    {
        switch (type)
        {
            case 0x08:
                TensorPrimitives.ConvertTruncating<byte, float>(bytes, values); // exact: every byte is a float
                break;
            case 0x09:
                TensorPrimitives.ConvertTruncating<sbyte, float>(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(bytes), values);
                break;
            case 0x0B:
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt16BigEndian(bytes[(2 * i)..]);
                break;
            case 0x0C:
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt32BigEndian(bytes[(4 * i)..]);
                break;
            case 0x0D:
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleBigEndian(bytes[(4 * i)..]);
                break;
            default:
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadDoubleBigEndian(bytes[(8 * i)..]);
                break;
        }
    }

    private static string FormatDims(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";

    private static DataFormatException Error(string path, string message) => new(path, message, null, null);
}
