using System.Buffers.Binary;
using System.IO.Compression;
using Dendrite.Data;

namespace Dendrite.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dendrite-idx-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>An IDX file of unsigned bytes: magic 00 00 08 rank, big-endian sizes, then the bytes.</summary>
    private static byte[] Idx(int[] dims, byte[] values, int? declaredFirst = null)
    {
        var bytes = new byte[4 + 4 * dims.Length + values.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), i == 0 && declaredFirst is int n ? n : dims[i]);
        values.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    private string Write(string name, byte[] bytes, bool gzip = false)
    {
        string path = Path.Combine(_directory, name);
        if (!gzip) File.WriteAllBytes(path, bytes);
        else
        {
            using var stream = new GZipStream(File.Create(path), CompressionLevel.Fastest);
            stream.Write(bytes);
        }
        return path;
    }

    // Three 2x3 "images" with pixels 0, 10, ..., 170 and 255 in the last, and their labels.
    private static readonly byte[] Pixels = [.. Enumerable.Range(0, 17).Select(i => (byte)(10 * i)), 255];
    private static readonly byte[] Labels = [2, 0, 1];

    [Theory]
    [InlineData(false, "images-idx3-ubyte")]
    [InlineData(true, "images-idx3-ubyte.gz")]
    [InlineData(true, "named-plain-but-compressed")]
    public void ImagesRoundTripPlainAndCompressed(bool gzip, string name)
    {
        string path = Write(name, Idx([3, 2, 3], Pixels), gzip);
        Tensor images = IdxReader.Read(path);
        Assert.Equal(new Shape(3, 2, 3), images.Shape);
        Assert.Equal(Pixels.Select(b => (float)b), images.ToArray());
    }

    [Fact]
    public void ReadDatasetPairsImagesWithLabelsAndScalesToUnitRange()
    {
        string images = Write("i.gz", Idx([3, 2, 3], Pixels), gzip: true);
        string labels = Write("l", Idx([3], Labels));
        var data = IdxReader.ReadDataset(images, labels, classNames: ["a", "b", "c"]);
        Assert.Equal(new Shape(3, 6), data.Features.Shape);
        Assert.Equal([2f, 0f, 1f], data.Targets.ToArray());
        Assert.Equal(["a", "b", "c"], data.ClassNames);
        Assert.Equal(1f, data.Features.ToArray().Max());
        Assert.Equal(10f / 255f, data.Features[0, 1]);
        var raw = IdxReader.ReadDataset(images, labels, scale: 1f);
        Assert.Equal(255f, raw.Features[2, 5]);
        Assert.Equal(3, raw.NumClasses);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ATruncatedFileNamesTheFileAndWhatWasDeclaredAndPresent(bool gzip)
    {
        // Declares 4 images of 2x3 (24 bytes + 16 of header = 40) but holds 3 (34 bytes).
        string path = Write(gzip ? "short.gz" : "short", Idx([3, 2, 3], Pixels, declaredFirst: 4), gzip);
        var error = Assert.Throws<DataFormatException>(() => IdxReader.Read(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("declares [4, 2, 3] (24 elements, 40 bytes with the header)", error.Message, StringComparison.Ordinal);
        Assert.Contains("has 34 bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(path, error.FilePath);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFileLongerThanItsHeaderIsRejectedToo(bool gzip)
    {
        string path = Write("long", Idx([2, 2, 3], Pixels), gzip); // 2 images declared, 3 present
        var error = Assert.Throws<DataFormatException>(() => IdxReader.Read(path));
        Assert.Contains("declares [2, 2, 3]", error.Message, StringComparison.Ordinal);
        Assert.Contains("has 34 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ADamagedGzipFileIsAFormatErrorNamingTheFile()
    {
        string whole = Write("whole.gz", Idx([3, 2, 3], Enumerable.Range(0, 18).Select(i => (byte)(i * 37)).ToArray()), gzip: true);
        byte[] compressed = File.ReadAllBytes(whole);
        string cut = Write("cut.gz", compressed[..(compressed.Length / 2)]);
        var error = Assert.Throws<DataFormatException>(() => IdxReader.Read(cut));
        Assert.Contains(cut, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANonIdxFileIsNamedAsSuch()
    {
        string path = Write("text", "hello, world"u8.ToArray());
        var error = Assert.Throws<DataFormatException>(() => IdxReader.Read(path));
        Assert.Contains($"{path} is not an IDX file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ImageAndLabelCountsMustAgree()
    {
        string images = Write("i", Idx([3, 2, 3], Pixels));
        string labels = Write("l", Idx([2], [0, 1]));
        var error = Assert.Throws<DataFormatException>(() => IdxReader.ReadDataset(images, labels));
        Assert.Contains($"{images} holds 3 images but {labels} holds 2 labels", error.Message, StringComparison.Ordinal);
    }
}
