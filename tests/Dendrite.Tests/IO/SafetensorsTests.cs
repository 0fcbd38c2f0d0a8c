using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Dendrite.IO;

namespace Dendrite.Tests.IO;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dendrite-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    // ---- Building files by hand, byte by byte, as the Python library lays them out ----

    /// <summary>Prefix (8-byte little-endian N), the header padded with spaces to a multiple of 8, then the data.</summary>
    private static byte[] PythonFile(string header, params byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        int padded = (json.Length + 7) / 8 * 8;
        return WithPrefix((ulong)padded, [.. json, .. Enumerable.Repeat((byte)' ', padded - json.Length), .. data]);
    }

    private static byte[] WithPrefix(ulong headerLength, byte[] rest)
    {
        var bytes = new byte[8 + rest.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);
        rest.CopyTo(bytes, 8);
        return bytes;
    }

    /// <summary>One header entry: <c>"name":{"dtype":..,"shape":..,"data_offsets":[begin,end]}</c>.</summary>
    private static string E(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    private static string H(params string[] entries) => "{" + string.Join(",", entries) + "}";

    private static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    private static readonly byte[] ValidFile = PythonFile(H(E("a", "F32", "[2]", 0, 8), E("b", "F32", "[1]", 8, 12)), Floats(1f, 2f, 3f));

    // ---- Writing ----

    [Fact]
    public void RoundTripIsBitIdenticalForScalarsVectorsCubesEmptyTensorsAndViews()
    {
        var generator = new RandomGenerator(7);
        var matrix = Tensor.Randn([2, 3], generator);
        Tensor transposed = matrix.T;
        Assert.False(transposed.IsContiguous);
        float[] special = [BitConverter.Int32BitsToSingle(0x7FC01234), -0f, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, float.MaxValue, -1.5f];
        var tensors = new Dictionary<string, Tensor>
        {
            ["scalar"] = Tensor.Scalar(3.25f),
            ["special"] = Tensor.From(special),
            ["cube"] = Tensor.Randn([2, 3, 4], generator),
            ["empty"] = Tensor.Zeros([0, 3]),
            ["transposed"] = transposed,
        };

        string path = PathOf("roundtrip.safetensors");
        Safetensors.Save(path, tensors);
        var loaded = Safetensors.Load(path);

        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), loaded.Tensors.Keys);
        foreach (var (name, original) in tensors)
        {
            Tensor copy = loaded.Tensors[name];
            Assert.Equal(original.Shape, copy.Shape);
            Assert.Equal(Bits(original.ToArray()), Bits(copy.ToArray()));
            Assert.True(copy.IsContiguous);
            Assert.Equal("F32", loaded.StoredDTypes[name]);
        }
        Assert.Equal(0, loaded.Tensors["scalar"].Rank);
        Assert.Equal(new Shape(3, 2), loaded.Tensors["transposed"].Shape);
        Assert.Equal(matrix.ToArray()[1], loaded.Tensors["transposed"].ToArray()[2]); // row-major order of the view
        Assert.Empty(loaded.Metadata);
        Assert.Equal(File.ReadAllBytes(path), Safetensors.Serialize(tensors));
    }

    [Fact]
    public void MetadataRoundTrips()
    {
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["epoch"] = "12", ["note"] = "ünïcode \"quoted\" \\ \n" };
        string path = PathOf("metadata.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.From(1f) }, metadata);
        var loaded = Safetensors.Load(path);
        Assert.Equal(metadata.OrderBy(p => p.Key), loaded.Metadata.OrderBy(p => p.Key));
        Assert.Equal("12", loaded.Metadata["epoch"]);
    }

    [Fact]
    public void TheBytesOfATinyFileMatchTheSpecExactly()
    {
        byte[] bytes = Safetensors.Serialize(new Dictionary<string, Tensor> { ["a"] = Tensor.From(1f, 2f) });

        // The JSON is 54 bytes; 2 spaces pad it to N = 56, so that 8 + N = 64 is a multiple of 8.
        string json = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        Assert.Equal(54, json.Length);
        byte[] expected =
        [
            56, 0, 0, 0, 0, 0, 0, 0,               // N, u64 little-endian
            .. Encoding.ASCII.GetBytes(json + "  "),
            0x00, 0x00, 0x80, 0x3F,                 // 1.0f little-endian
            0x00, 0x00, 0x00, 0x40,                 // 2.0f little-endian
        ];
        Assert.Equal(72, expected.Length);
        Assert.Equal(expected, bytes);

        string path = PathOf("tiny.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["a"] = Tensor.From(1f, 2f) });
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void HeadersArePaddedWithSpacesToAMultipleOfEight()
    {
        for (int nameLength = 1; nameLength <= 9; nameLength++)
        {
            string name = new('x', nameLength);
            byte[] bytes = Safetensors.Serialize(new Dictionary<string, Tensor> { [name] = Tensor.From(1f) });
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            Assert.Equal(0UL, (8 + headerLength) % 8);
            string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
            string json = header.TrimEnd(' ');
            Assert.True(header.Length - json.Length < 8);
            Assert.EndsWith("}", json);
            Assert.Equal(8 + (int)headerLength + 4, bytes.Length);
            Assert.Equal([1f], Safetensors.Deserialize(bytes).Tensors[name].ToArray());
        }
    }

    [Fact]
    public void TensorsAreSortedByNameWithContiguousOffsetsWhateverTheInsertionOrder()
    {
        var one = new Dictionary<string, Tensor> { ["b"] = Tensor.From(1f, 2f), ["B"] = Tensor.Zeros([3]), ["é"] = Tensor.From(5f), ["a"] = Tensor.Scalar(4f) };
        var other = new Dictionary<string, Tensor> { ["a"] = one["a"], ["é"] = one["é"], ["B"] = one["B"], ["b"] = one["b"] };
        var metadata = new Dictionary<string, string> { ["z"] = "1", ["a"] = "2" };
        var reversedMetadata = new Dictionary<string, string> { ["a"] = "2", ["z"] = "1" };
        byte[] bytes = Safetensors.Serialize(one, metadata);
        Assert.Equal(bytes, Safetensors.Serialize(other, reversedMetadata));

        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes)));
        var names = header.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["__metadata__", "B", "a", "b", "é"], names); // metadata first, then UTF-8 byte order
        Assert.Equal(["a", "z"], header.RootElement.GetProperty("__metadata__").EnumerateObject().Select(p => p.Name));
        long expectedBegin = 0;
        foreach (string name in names.Skip(1))
        {
            var offsets = header.RootElement.GetProperty(name).GetProperty("data_offsets");
            Assert.Equal(expectedBegin, offsets[0].GetInt64());
            expectedBegin = offsets[1].GetInt64();
        }
        Assert.Equal(4 * (1 + 2 + 3 + 1), expectedBegin);
    }

    [Fact]
    public void SaveRejectsTheReservedNameAndNullValues()
    {
        var error = Assert.Throws<ArgumentException>(() => Safetensors.Serialize(new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.From(1f) }));
        Assert.Contains("reserved", error.Message);
        error = Assert.Throws<ArgumentException>(() => Safetensors.Serialize(new Dictionary<string, Tensor> { ["w"] = null! }));
        Assert.Contains("'w'", error.Message);
        error = Assert.Throws<ArgumentException>(() => Safetensors.Serialize(new Dictionary<string, Tensor>(), new Dictionary<string, string> { ["k"] = null! }));
        Assert.Contains("'k'", error.Message);
    }

    [Fact]
    public void LoadFromAStreamStartsAtItsPosition()
    {
        byte[] file = Safetensors.Serialize(new Dictionary<string, Tensor> { ["w"] = Tensor.From(1f, 2f) });
        using var stream = new MemoryStream([0xAA, 0xBB, 0xCC, .. file]);
        stream.Position = 3;
        Assert.Equal([1f, 2f], Safetensors.Load(stream).Tensors["w"].ToArray());
    }

    // ---- Reading files the Python library writes ----

    [Fact]
    public void AFileInThePythonLibrarysLayoutWithF16BF16AndI64ConvertsToFloat32()
    {
        // What safetensors.torch.save_file writes for {"ids": int64[3], "brain": bfloat16[1,3], "half": float16[5]}
        // with metadata {"format": "pt"}: metadata first, then tensors by descending dtype alignment.
        string header = """{"__metadata__":{"format":"pt"},"ids":{"dtype":"I64","shape":[3],"data_offsets":[0,24]},"brain":{"dtype":"BF16","shape":[1,3],"data_offsets":[24,30]},"half":{"dtype":"F16","shape":[5],"data_offsets":[30,40]}}""";
        byte[] data =
        [
            0x01, 0, 0, 0, 0, 0, 0, 0,                         // I64 1
            0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,    // I64 -2
            0, 0, 0, 0, 0, 0x01, 0, 0,                         // I64 2^40
            0x80, 0x3F, 0x60, 0xC0, 0x49, 0x40,                // BF16 1.0, -3.5, 3.140625
            0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38, 0xFF, 0x7B, 0x00, 0x7C, // F16 1, -2, 0.5, 65504, +inf
        ];
        string path = PathOf("python.safetensors");
        File.WriteAllBytes(path, PythonFile(header, data));

        var file = Safetensors.Load(path);

        Assert.Equal(["ids", "brain", "half"], file.Tensors.Keys);
        Assert.Equal([1f, -2f, 1099511627776f], file["ids"].ToArray());
        Assert.Equal(new Shape(1, 3), file["brain"].Shape);
        Assert.Equal([1f, -3.5f, 3.140625f], file["brain"].ToArray());
        Assert.Equal([1f, -2f, 0.5f, 65504f, float.PositiveInfinity], file["half"].ToArray());
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("I64", file.StoredDTypes["ids"]);
        Assert.Equal("BF16", file.StoredDTypes["brain"]);
        Assert.Equal("F16", file.StoredDTypes["half"]);
    }

    public static TheoryData<string, byte[], float[]> OtherDTypes => new()
    {
        { "F64", [0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0, 0, 0, 0, 0, 0, 0, 0xC0, 0x9C, 0x75, 0x00, 0x88, 0x3C, 0xE4, 0x37, 0x7E], [1.5f, -2f, float.PositiveInfinity] }, // 1e300 overflows
        { "I32", [0xF9, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x01], [-7f, 16777216f] },            // 2^24 + 1 rounds to 2^24
        { "I16", [0xD4, 0xFE, 0xFF, 0x7F], [-300f, 32767f] },
        { "I8", [0x80, 0x7F, 0xFF], [-128f, 127f, -1f] },
        { "U8", [0xFF, 0x00, 0x07], [255f, 0f, 7f] },
        { "BOOL", [0x00, 0x01, 0x02], [0f, 1f, 1f] },
        { "U16", [0xFF, 0xFF], [65535f] },
        { "U32", [0xFF, 0xFF, 0xFF, 0xFF], [4294967296f] },
        { "U64", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [18446744073709551616f] },
        { "F8_E4M3", [0x38, 0xC0, 0x7E, 0x01, 0x7F, 0x80], [1f, -2f, 448f, 1f / 512f, float.NaN, -0f] },
        { "F8_E5M2", [0x3C, 0xC0, 0x7C, 0x01, 0x7B], [1f, -2f, float.PositiveInfinity, 1f / 65536f, 57344f] },
    };

    [Theory]
    [MemberData(nameof(OtherDTypes))]
    public void OtherDTypesConvertToFloat32(string dtype, byte[] data, float[] expected)
    {
        byte[] file = PythonFile(H(E("t", dtype, $"[{expected.Length}]", 0, data.Length)), data);
        var loaded = Safetensors.Deserialize(file);
        float[] actual = loaded["t"].ToArray();
        Assert.Equal(expected, actual);
        for (int i = 0; i < expected.Length; i++)
            if (expected[i] == 0f) Assert.Equal(float.IsNegative(expected[i]), float.IsNegative(actual[i])); // -0 stays -0
        Assert.Equal(dtype, loaded.StoredDTypes["t"]);
    }

    [Fact]
    public void WhatThePythonLibraryAcceptsIsAccepted()
    {
        // Unknown fields in an entry are ignored; whitespace may surround the JSON.
        var extra = Safetensors.Deserialize(PythonFile(""" {"a":{"extra":{"k":[1,[2]]},"dtype":"F32","data_offsets":[0,4],"shape":[1]}}""", Floats(2f)));
        Assert.Equal([2f], extra["a"].ToArray());
        var file = Safetensors.Deserialize(PythonFile("""{"__metadata__":null}"""));  // serde reads null as no metadata
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
        Assert.Empty(Safetensors.Deserialize(Safetensors.Serialize(new Dictionary<string, Tensor>())).Tensors);
        // Zero-byte tensors may share an offset with their neighbours.
        var zeros = Safetensors.Deserialize(PythonFile(H(E("a", "F32", "[0]", 0, 0), E("b", "F32", "[1]", 0, 4), E("c", "F16", "[2,0]", 4, 4)), Floats(6f)));
        Assert.Equal([6f], zeros["b"].ToArray());
        Assert.Equal(new Shape(2, 0), zeros["c"].Shape);
    }

    // ---- Hostile files ----

    public static TheoryData<string, byte[], string[]> HostileFiles()
    {
        var data = new TheoryData<string, byte[], string[]>();
        void Add(string name, byte[] file, params string[] fragments) => data.Add(name, file, fragments);
        byte[] f12 = Floats(1f, 2f, 3f);
        ulong validHeaderLength = BinaryPrimitives.ReadUInt64LittleEndian(ValidFile);

        Add("empty file", [], "0 bytes long", "shorter than the 8-byte");
        Add("shorter than the prefix", [1, 2, 3, 4, 5], "5 bytes long");
        Add("cut in the header", ValidFile[..(8 + 10)], $"says {validHeaderLength} bytes", "only 10 bytes follow");
        Add("cut in the data", ValidFile[..^2], "tensor 'b'", "data_offsets [8, 12]", "data buffer is only 10 bytes");
        Add("header length 2^60", WithPrefix(1UL << 60, ValidFile[8..]), "1152921504606846976", "100000000-byte limit");
        Add("header length ulong.MaxValue", WithPrefix(ulong.MaxValue, ValidFile[8..]), "18446744073709551615");
        Add("header length just above the file", WithPrefix((ulong)(ValidFile.Length - 8 + 1), ValidFile[8..]), $"says {ValidFile.Length - 7} bytes", $"only {ValidFile.Length - 8} bytes follow");
        Add("header not UTF-8", WithPrefix(8, [0x7B, 0xFF, 0xFE, 0x7D, 0x20, 0x20, 0x20, 0x20]), "not valid UTF-8");
        Add("header not JSON", PythonFile("hello"), "not valid JSON");
        Add("header empty", WithPrefix(0, []), "not valid JSON");
        Add("header a JSON array", PythonFile("[]"), "must be a JSON object", "but is a JSON array");
        Add("header nested too deep", PythonFile("{\"a\":{\"extra\":" + new string('[', 40) + new string(']', 40) + "}}"), "not valid JSON", "depth");
        Add("entry not an object", PythonFile("""{"a":5}"""), "the entry of tensor 'a' must be a JSON object", "but is 5.");
        Add("missing dtype", PythonFile("""{"a":{"shape":[2],"data_offsets":[0,8]}}""", f12[..8]), "tensor 'a' has no \"dtype\"");
        Add("missing shape", PythonFile("""{"a":{"dtype":"F32","data_offsets":[0,8]}}""", f12[..8]), "tensor 'a' has no \"shape\"");
        Add("missing data_offsets", PythonFile("""{"a":{"dtype":"F32","shape":[2]}}""", f12[..8]), "tensor 'a' has no \"data_offsets\"");
        Add("dtype a number", PythonFile("""{"a":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}""", f12[..8]), "\"dtype\" of tensor 'a' must be a string");
        Add("unknown dtype Q7", PythonFile(H(E("a", "Q7", "[2]", 0, 8)), f12[..8]), "tensor 'a'", "dtype 'Q7'", "F32, F16");
        Add("lower-case dtype", PythonFile(H(E("a", "f32", "[2]", 0, 8)), f12[..8]), "dtype 'f32'");
        Add("shape a number", PythonFile(H(E("a", "F32", "2", 0, 8)), f12[..8]), "\"shape\" of tensor 'a' must be an array");
        Add("shape not integer", PythonFile(H(E("a", "F32", "[2.5]", 0, 8)), f12[..8]), "has 2.5 at position 0");
        Add("shape with exponent", PythonFile(H(E("a", "F32", "[2e0]", 0, 8)), f12[..8]), "has 2e0 at position 0");
        Add("shape a string", PythonFile(H(E("a", "F32", "[\"2\"]", 0, 8)), f12[..8]), "has the string \"2\" at position 0");
        Add("negative dimension", PythonFile(H(E("a", "F32", "[-2]", 0, 8)), f12[..8]), "tensor 'a'", "negative dimension -2");
        Add("too many dimensions", PythonFile(H(E("a", "F32", "[1,1,1,1,1,1,1,1,1]", 0, 4)), f12[..4]), "9 dimensions", "at most 8");
        Add("dimension above int", PythonFile(H(E("a", "F32", "[3000000000]", 0, 8)), f12[..8]), "dimension 3000000000");
        Add("shape product overflow", PythonFile(H(E("a", "F32", "[2147483647,2147483647,2147483647]", 0, 8)), f12[..8]), "[2147483647, 2147483647, 2147483647]", "overflows");
        Add("too many elements", PythonFile(H(E("a", "F32", "[65536,65536]", 0, 8)), f12[..8]), "4294967296 elements");
        Add("offsets with one value", PythonFile("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8]}}""", f12[..8]), "two non-negative integers", "there is 1 value");
        Add("offsets a string", PythonFile("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,"8"]}}""", f12[..8]), "two non-negative integers", "end is the string \"8\"");
        Add("negative offset", PythonFile(H(E("a", "F32", "[2]", -8, 0)), f12[..8]), "two non-negative integers", "begin is -8");
        Add("three offsets", PythonFile(H(E("a", "F32", "[2]", 0, 8)).Replace("[0,8]", "[0,8,16]"), f12[..8]), "more than 2 values");
        Add("trailing content after the object", PythonFile(H(E("a", "F32", "[2]", 0, 8)) + " x", f12[..8]), "not valid JSON");
        Add("comment in the header", PythonFile("/* c */" + H(E("a", "F32", "[2]", 0, 8)), f12[..8]), "not valid JSON");
        Add("begin after end", PythonFile(H(E("a", "F32", "[2]", 8, 0)), f12[..8]), "data_offsets [8, 0]", "begin is after end");
        Add("end beyond the data", PythonFile(H(E("a", "F32", "[200]", 0, 800)), f12[..8]), "tensor 'a'", "[0, 800]", "data buffer is only 8 bytes");
        Add("huge end", PythonFile(H(E("a", "F32", "[2]", 0, long.MaxValue)), f12[..8]), "9223372036854775807", "only 8 bytes");
        Add("size does not match dtype and shape", PythonFile(H(E("a", "F32", "[3]", 0, 8)), f12[..8]), "tensor 'a'", "(8 bytes)", "F32", "[3]", "3 × 4 = 12 bytes");
        Add("F16 size mismatch", PythonFile(H(E("a", "F16", "[3]", 0, 8)), f12[..8]), "3 × 2 = 6 bytes");
        Add("overlapping tensors", PythonFile(H(E("a", "F32", "[2]", 0, 8), E("b", "F32", "[2]", 4, 12)), f12), "tensors 'a'", "'b'", "[4, 12]", "overlap");
        Add("same offsets twice", PythonFile(H(E("a", "F32", "[1]", 0, 4), E("b", "F32", "[1]", 0, 4)), f12[..4]), "overlap");
        Add("gap between tensors", PythonFile(H(E("a", "F32", "[1]", 0, 4), E("b", "F32", "[1]", 8, 12)), f12), "gap of 4 bytes", "'a'", "'b'");
        Add("first tensor not at 0", PythonFile(H(E("a", "F32", "[2]", 4, 12)), f12), "'a'", "begins at byte 4");
        Add("bytes after the last tensor", PythonFile(H(E("a", "F32", "[2]", 0, 8)), f12), "last 4 bytes belong to no tensor");
        Add("duplicate tensor name", PythonFile(H(E("a", "F32", "[1]", 0, 4), E("a", "F32", "[1]", 4, 8)), f12[..8]), "tensor 'a' appears twice");
        Add("duplicate field", PythonFile("""{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}""", f12[..4]), "\"dtype\" twice");
        Add("metadata a string", PythonFile("""{"__metadata__":"x"}"""), "\"__metadata__\" must be a JSON object", "but is the string \"x\"");
        Add("metadata value a number", PythonFile("""{"__metadata__":{"epoch":1}}"""), "key 'epoch' must be a string", "but is 1.");
        Add("metadata twice", PythonFile("""{"__metadata__":{},"__metadata__":{}}"""), "\"__metadata__\" twice");
        Add("lone surrogate in a name", PythonFile("{\"\\ud800\":" + """{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", f12[..4]), "not valid text", "surrogate");
        return data;
    }

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public void HostileFilesThrowAFormatExceptionNamingTheFileAndTheProblem(string description, byte[] file, string[] fragments)
    {
        string path = PathOf("hostile.safetensors");
        File.WriteAllBytes(path, file);

        var error = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path));

        Assert.Contains(path, error.Message);
        Assert.Equal(path, error.SourceName);
        foreach (string fragment in fragments)
            Assert.True(error.Message.Contains(fragment, StringComparison.Ordinal), $"{description}: expected the message to contain «{fragment}», got: {error.Message}");
    }

    [Fact]
    public void AbsurdSizesAreRejectedBeforeAnythingOfThatSizeIsAllocated()
    {
        byte[] rest = ValidFile[8..];
        var files = new Dictionary<string, byte[]>
        {
            ["2^60"] = WithPrefix(1UL << 60, rest),
            ["the limit, above the file"] = WithPrefix(Safetensors.MaxHeaderLength, rest),
            ["one above the file"] = WithPrefix((ulong)rest.Length + 1, rest),
            // A header that claims a 2 GB tensor over 8 bytes of data.
            ["huge tensor"] = PythonFile(H(E("a", "F32", "[500000000]", 0, 2_000_000_000)), Floats(1f, 2f)),
        };
        foreach (var (name, bytes) in files)
        {
            string path = PathOf("absurd.safetensors");
            File.WriteAllBytes(path, bytes);
            Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path)); // warm up (JIT, statics)

            long before = GC.GetAllocatedBytesForCurrentThread();
            Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.True(allocated < 1_000_000, $"{name}: a failed load allocated {allocated} bytes.");
        }
    }

    [Fact]
    public void AHugeHostileHeaderCostsLittleMoreThanItsOwnBytes()
    {
        // 4 MB of "[0,0,0,...]": a JSON document would index 2 million tokens (~24 MB) before any check.
        string shape = "[" + string.Join(",", Enumerable.Repeat("0", 2_000_000)) + "]";
        byte[] file = PythonFile(H(E("a", "F32", shape, 0, 0)));
        int headerLength = file.Length - 8;
        Assert.Throws<SafetensorsFormatException>(() => Safetensors.Deserialize(file)); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Deserialize(file));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("2000000 dimensions", error.Message);
        Assert.True(allocated < headerLength + 1_000_000, $"a failed load of a {headerLength}-byte header allocated {allocated} bytes.");
    }

    [Fact]
    public void MutatedFilesLoadOrThrowAFormatExceptionAndNothingElse()
    {
        // Several dtypes so that mutations reach every converter, and metadata so they reach its parser.
        string header = """{"__metadata__":{"format":"pt"},"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[16,32]},"h":{"dtype":"F16","shape":[3],"data_offsets":[32,38]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[38,40]},"m":{"dtype":"BOOL","shape":[2],"data_offsets":[40,42]}}""";
        byte[] valid = PythonFile(header, [.. Enumerable.Range(0, 42).Select(i => (byte)(i * 37))]);
        Assert.Equal(5, Safetensors.Deserialize(valid).Tensors.Count);
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        const string JsonPieces = "{}[]\",:-.0123456789eE \\u";

        var random = new Random(20240601);
        int loaded = 0, rejected = 0;
        for (int iteration = 0; iteration < 600; iteration++)
        {
            byte[] bytes = (byte[])valid.Clone();
            string mutation;
            switch (iteration % 6)
            {
                case 0:
                    int flips = random.Next(1, 5);
                    for (int i = 0; i < flips; i++) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                    mutation = $"{flips} bit flips";
                    break;
                case 1:
                    int at = random.Next(8, headerEnd);
                    bytes[at] = (byte)JsonPieces[random.Next(JsonPieces.Length)];
                    mutation = $"header byte {at} set to '{(char)bytes[at]}'";
                    break;
                case 2:
                    int length = random.Next(bytes.Length);
                    bytes = bytes[..length];
                    mutation = $"truncated to {length} bytes";
                    break;
                case 3:
                    ulong value = random.Next(3) switch
                    {
                        0 => (ulong)random.NextInt64(),
                        1 => (ulong)(headerEnd - 8 + random.Next(-16, 17)),
                        _ => 1UL << random.Next(64),
                    };
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
                    mutation = $"header length set to {value}";
                    break;
                case 4:
                    int position = random.Next(bytes.Length);
                    bytes = random.Next(2) == 0 ? [.. bytes[..position], .. bytes[(position + 1)..]] : [.. bytes[..position], (byte)random.Next(256), .. bytes[position..]];
                    mutation = $"byte inserted or removed at {position}";
                    break;
                default:
                    int start = random.Next(8, headerEnd), count = random.Next(1, 6);
                    for (int i = start; i < Math.Min(start + count, headerEnd); i++) bytes[i] = (byte)random.Next(256);
                    mutation = $"{count} random header bytes at {start}";
                    break;
            }

            try
            {
                Safetensors.Deserialize(bytes);
                loaded++;
            }
            catch (SafetensorsFormatException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {iteration} ({mutation}) threw {e.GetType().Name} instead of SafetensorsFormatException: {e}");
            }
        }
        Assert.True(loaded > 0 && rejected > 0, $"loaded {loaded}, rejected {rejected}: the mutations should produce both.");
    }
}
