using System.Text.Json;
using System.Text.Json.Nodes;
using Dendrite.IO;

namespace Dendrite.NN;

/// <summary>
/// Saving and loading whole models: the weights in safetensors (readable by Python's
/// <c>safetensors</c>, with PyTorch's names and layouts) and the architecture as JSON beside them,
/// so <see cref="Load(string)"/> rebuilds the model without the code that defined it. Both files are
/// written atomically (temporary file, then rename).
/// </summary>
public static class Model
{
    /// <summary>The format tag at the top of the architecture JSON.</summary>
    public const string FormatName = "dendrite-model";

    /// <summary>The architecture JSON's version.</summary>
    public const int FormatVersion = 1;

    /// <summary>
    /// Writes <paramref name="model"/> as <c>{path}.json</c> (architecture) and <c>{path}.safetensors</c>
    /// (weights and buffers). <paramref name="path"/> may also end in either extension.
    /// </summary>
    public static void Save(Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        string basePath = BasePath(path);
        var document = new JsonObject
        {
            ["format"] = FormatName,
            ["version"] = FormatVersion,
            ["model"] = ModuleRegistry.Describe(model),
        };
        SaveWeights(model, basePath + ".safetensors");
        AtomicFile.WriteAllText(basePath + ".json", document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Rebuilds the model saved at <paramref name="path"/> (base path or either file) and loads its weights; it starts in evaluation mode.</summary>
    public static Module Load(string path)
    {
        string basePath = BasePath(path);
        string architecturePath = basePath + ".json";
        if (!File.Exists(architecturePath))
            throw new FileNotFoundException($"No model architecture at {architecturePath} (Model.Save writes it beside the .safetensors weights).", architecturePath);
        Module model = Build(File.ReadAllText(architecturePath), architecturePath);
        LoadWeights(model, basePath + ".safetensors");
        model.Eval();
        return model;
    }

    /// <summary>
    /// Rebuilds a model from the text of its architecture JSON and a stream of its safetensors weights
    /// (for models shipped as resources, like the <see cref="ModelZoo"/>'s); it starts in evaluation mode.
    /// <paramref name="sourceName"/> names the model in error messages.
    /// </summary>
    public static Module Load(string architectureJson, Stream weights, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(weights);
        Module model = Build(architectureJson, sourceName);
        model.LoadStateDict(Safetensors.Load(weights, sourceName).Tensors, strict: true);
        model.Eval();
        return model;
    }

    private static Module Build(string architectureJson, string sourceName)
    {
        JsonObject document;
        try
        {
            document = JsonNode.Parse(architectureJson) as JsonObject
                ?? throw new FormatException($"{sourceName} is not a JSON object.");
        }
        catch (JsonException error)
        {
            throw new FormatException($"{sourceName} is not valid JSON: {error.Message}", error);
        }
        if (document["format"]?.GetValue<string>() != FormatName)
            throw new FormatException($"{sourceName} is not a Dendrite model file (its \"format\" is not \"{FormatName}\").");
        int version = document["version"]?.GetValue<int>() ?? 0;
        if (version != FormatVersion)
            throw new FormatException($"{sourceName} has format version {version}; this Dendrite reads version {FormatVersion}.");
        var description = document["model"] as JsonObject ?? throw new FormatException($"{sourceName} has no \"model\" object.");
        return ModuleRegistry.Create(description);
    }

    /// <summary>Writes only the weights and buffers (the state dictionary) to a safetensors file.</summary>
    public static void SaveWeights(Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        Safetensors.Save(path, model.StateDict(), new Dictionary<string, string> { ["format"] = "pt", ["producer"] = "Dendrite" });
    }

    /// <summary>
    /// Loads weights from a safetensors file into <paramref name="model"/> by name; with
    /// <paramref name="strict"/> false, only matching names are loaded (transfer learning).
    /// </summary>
    public static LoadReport LoadWeights(Module model, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        SafetensorsFile file = Safetensors.Load(path);
        return model.LoadStateDict(file.Tensors, strict);
    }

    private static string BasePath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        foreach (string extension in (string[])[".safetensors", ".json"])
            if (path.EndsWith(extension, StringComparison.OrdinalIgnoreCase)) return path[..^extension.Length];
        return path;
    }
}
