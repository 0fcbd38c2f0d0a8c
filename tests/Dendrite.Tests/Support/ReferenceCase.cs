using System.Text.Json;

namespace Dendrite.Tests.Support;

/// <summary>One libtorch reference case from tests/reference (see its README for the format).</summary>
public sealed class ReferenceCase
{
    public required string Name { get; init; }
    public required string Op { get; init; }
    public required string Description { get; init; }
    public required JsonElement Attributes { get; init; }
    public required IReadOnlyList<ReferenceTensor> Inputs { get; init; }
    public required IReadOnlyList<ReferenceTensor> Outputs { get; init; }
    public required IReadOnlyList<ReferenceTensor?> GradOutputs { get; init; }
    public required IReadOnlyList<ReferenceTensor?> Grads { get; init; }
    public IReadOnlyDictionary<string, ReferenceTensor> Parameters { get; init; } = new Dictionary<string, ReferenceTensor>();
    public IReadOnlyDictionary<string, ReferenceTensor> ParameterGrads { get; init; } = new Dictionary<string, ReferenceTensor>();
    public IReadOnlyDictionary<string, ReferenceTensor> BuffersBefore { get; init; } = new Dictionary<string, ReferenceTensor>();
    public IReadOnlyDictionary<string, ReferenceTensor> BuffersAfter { get; init; } = new Dictionary<string, ReferenceTensor>();
    public string? Layer { get; init; }

    public override string ToString() => Name;

    public static string Directory(string family) => Path.Combine(AppContext.BaseDirectory, "reference", family);

    public static ReferenceCase Load(string family, string name) => Parse(File.ReadAllText(Path.Combine(Directory(family), name + ".json")));

    public static IEnumerable<string> Names(string family) =>
        System.IO.Directory.GetFiles(Directory(family), "*.json").Select(Path.GetFileNameWithoutExtension).Order().Cast<string>();

    public static ReferenceCase Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        return new ReferenceCase
        {
            Name = root.GetProperty("name").GetString()!,
            Op = root.TryGetProperty("op", out var op) ? op.GetString()! : "",
            Layer = root.TryGetProperty("layer", out var layer) ? layer.GetString() : null,
            Parameters = ReadNamed(root, "parameters"),
            ParameterGrads = ReadNamed(root, "parameter_grads"),
            BuffersBefore = ReadNamed(root, "buffers_before"),
            BuffersAfter = ReadNamed(root, "buffers_after"),
            Description = root.GetProperty("description").GetString()!,
            Attributes = root.GetProperty("attributes").Clone(),
            Inputs = root.GetProperty("inputs").EnumerateArray().Select(ReferenceTensor.Parse).ToList(),
            Outputs = root.GetProperty("outputs").EnumerateArray().Select(ReferenceTensor.Parse).ToList(),
            GradOutputs = ReadOptional(root, "grad_outputs"),
            Grads = ReadOptional(root, "grads"),
        };
    }

    private static Dictionary<string, ReferenceTensor> ReadNamed(JsonElement root, string property) =>
        root.TryGetProperty(property, out JsonElement map) && map.ValueKind == JsonValueKind.Object
            ? map.EnumerateObject().ToDictionary(p => p.Name, p => ReferenceTensor.Parse(p.Value))
            : new Dictionary<string, ReferenceTensor>();

    private static List<ReferenceTensor?> ReadOptional(JsonElement root, string property) =>
        root.TryGetProperty(property, out JsonElement array)
            ? array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? null : ReferenceTensor.Parse(e)).ToList()
            : [];

    public int Int(string name) => Attributes.GetProperty(name).GetInt32();
    public float Float(string name) => Attributes.GetProperty(name).GetSingle();
    public bool Bool(string name) => Attributes.TryGetProperty(name, out var v) && v.GetBoolean();
    public int[] Ints(string name) => Attributes.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
    public string String(string name) => Attributes.GetProperty(name).GetString()!;
}

/// <summary>A tensor in a reference file: shape, dtype and values (integers stored as numbers).</summary>
public sealed record ReferenceTensor(int[] Shape, string DType, bool RequiresGrad, float[] Data)
{
    public static ReferenceTensor Parse(JsonElement element) => new(
        element.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
        element.TryGetProperty("dtype", out var dtype) ? dtype.GetString()! : "float32",
        element.TryGetProperty("requires_grad", out var rg) && rg.GetBoolean(),
        element.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray());

    public Tensor ToTensor() => Tensor.FromArray(Data, new Shape(Shape));

    public int[] ToInts() => Data.Select(v => (int)v).ToArray();
}
