using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.Data;
using Dendrite.Tensors;

namespace Dendrite.NN;

/// <summary>One model of the <see cref="ModelZoo"/>: what it is, what it expects, and how well it did.</summary>
/// <param name="Name">The name to load it by.</param>
/// <param name="Description">Architecture and training recipe in a sentence.</param>
/// <param name="Data">The data set it was trained on (<c>digits</c>, <c>fashion-mnist</c>).</param>
/// <param name="Classes">The original class indices it predicts, in output order (a subset for transfer-learning sources).</param>
/// <param name="InputShape">One sample's shape, e.g. [64] or [1, 28, 28].</param>
/// <param name="InputScale">Raw features are multiplied by this before the model sees them (1/16 for digit pixels 0..16; Fashion-MNIST loads in [0, 1] already).</param>
/// <param name="TestAccuracy">Accuracy on the test split, as recorded when the model was trained.</param>
/// <param name="TestSamples">How many test samples that accuracy is over.</param>
/// <param name="Seed">The seed of the split and of training.</param>
/// <param name="Reproduce">The command that trains it again.</param>
public sealed record ZooEntry(string Name, string Description, string Data, IReadOnlyList<int> Classes, IReadOnlyList<int> InputShape,
    float InputScale, double TestAccuracy, int TestSamples, long Seed, string Reproduce);

/// <summary>
/// Models trained by Dendrite itself and shipped inside the library (architecture JSON and safetensors
/// weights as resources), loadable by name: <c>ModelZoo.Load("lenet5-fashion")</c>. Each entry records
/// its test accuracy; a test re-evaluates every model and checks it. <c>examples/ModelZoo</c> trains
/// them again.
/// </summary>
public static class ModelZoo
{
    private const string Prefix = "Dendrite.NN.Zoo.";
    private static readonly Lazy<IReadOnlyList<ZooEntry>> Manifest = new(ReadManifest);

    /// <summary>Every model in the zoo.</summary>
    public static IReadOnlyList<ZooEntry> Entries => Manifest.Value;

    /// <summary>The entry called <paramref name="name"/>; throws naming the models there are.</summary>
    public static ZooEntry Describe(string name) =>
        Entries.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"The model zoo has no '{name}'; it has {string.Join(", ", Entries.Select(e => e.Name))}.", nameof(name));

    /// <summary>A fresh copy of the model called <paramref name="name"/>, with its trained weights, in evaluation mode.</summary>
    public static Module Load(string name)
    {
        ZooEntry entry = Describe(name);
        using Stream architecture = Open(entry.Name + ".json");
        using var reader = new StreamReader(architecture);
        using Stream weights = Open(entry.Name + ".safetensors");
        return Model.Load(reader.ReadToEnd(), weights, "zoo model " + entry.Name);
    }

    private static Stream Open(string file) =>
        typeof(ModelZoo).Assembly.GetManifestResourceStream(Prefix + file)
        ?? throw new InvalidOperationException($"The model zoo's resource '{file}' is missing from the Dendrite assembly.");

    private static IReadOnlyList<ZooEntry> ReadManifest()
    {
        using Stream stream = Open("zoo.json");
        using var reader = new StreamReader(stream);
        var root = JsonNode.Parse(reader.ReadToEnd()) as JsonArray ?? throw new FormatException("The model zoo's manifest is not a JSON array.");
        return root.Select(node =>
        {
            var o = node as JsonObject ?? throw new FormatException("A model zoo entry is not a JSON object.");
            return new ZooEntry(
                o["name"]!.GetValue<string>(), o["description"]!.GetValue<string>(), o["data"]!.GetValue<string>(),
                o["classes"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray(),
                o["inputShape"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray(),
                o["inputScale"]!.GetValue<float>(), o["testAccuracy"]!.GetValue<double>(), o["testSamples"]!.GetValue<int>(),
                o["seed"]!.GetValue<long>(), o["reproduce"]!.GetValue<string>());
        }).ToArray();
    }

    /// <summary>
    /// The data an entry was trained on, split and scaled as it was: digits 60/20/20 (stratified, from the
    /// entry's seed); Fashion-MNIST's 60,000 training images (10% held out for validation, stratified) and
    /// 10,000 test images. Only the entry's classes are kept, relabelled 0.. in the entry's order.
    /// </summary>
    public static (Dataset Train, Dataset Validation, Dataset Test) Splits(ZooEntry entry, string? fashionMnistDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var generator = new RandomGenerator(entry.Seed);
        (Dataset Train, Dataset Validation, Dataset Test) splits = entry.Data switch
        {
            "digits" => Data.Splits.TrainValidationTest(Datasets.Digits(), 0.6, 0.2, 0.2, generator, stratified: true),
            "fashion-mnist" => FashionSplits(fashionMnistDirectory, generator),
            _ => throw new FormatException($"Zoo entry {entry.Name} names unknown data '{entry.Data}'."),
        };
        return (Prepare(entry, splits.Train), Prepare(entry, splits.Validation), Prepare(entry, splits.Test));
    }

    private static (Dataset, Dataset, Dataset) FashionSplits(string? directory, RandomGenerator generator)
    {
        Dataset train = Datasets.FashionMnist(directory, train: true, asImages: true);
        var (fit, validation) = Data.Splits.TrainValidation(train, 0.1, generator, stratified: true);
        return (fit, validation, Datasets.FashionMnist(directory, train: false, asImages: true));
    }

    /// <summary>Keeps the entry's classes (relabelled), scales the features and shapes them as the model expects.</summary>
    private static Dataset Prepare(ZooEntry entry, Dataset data)
    {
        int[] labels = data.ClassIndices();
        int[] rows = Enumerable.Range(0, data.Count).Where(i => entry.Classes.Contains(labels[i])).ToArray();
        Dataset subset = rows.Length == data.Count ? data : data.Subset(rows);
        float[] features = subset.Features.ToArray();
        if (entry.InputScale != 1f) TensorPrimitives.Multiply(features, entry.InputScale, features);
        float[] targets = subset.ClassIndices().Select(l => (float)IndexOf(entry.Classes, l)).ToArray();
        var names = subset.ClassNames is null ? null : entry.Classes.Select(c => subset.ClassNames[c]).ToArray();
        return Dataset.ForClassification(Tensor.Wrap(features, [subset.Count, .. entry.InputShape]), Tensor.Wrap(targets, [subset.Count]), names, entry.Name + "/" + subset.Name);
    }

    private static int IndexOf(IReadOnlyList<int> list, int value)
    {
        for (int i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return -1;
    }

    /// <summary>The manifest entry as JSON (what <c>examples/ModelZoo</c> writes).</summary>
    public static JsonObject ToJson(ZooEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new JsonObject
        {
            ["name"] = entry.Name,
            ["description"] = entry.Description,
            ["data"] = entry.Data,
            ["classes"] = new JsonArray(entry.Classes.Select(c => (JsonNode)c).ToArray()),
            ["inputShape"] = new JsonArray(entry.InputShape.Select(c => (JsonNode)c).ToArray()),
            ["inputScale"] = entry.InputScale,
            ["testAccuracy"] = Math.Round(entry.TestAccuracy, 6),
            ["testSamples"] = entry.TestSamples,
            ["seed"] = entry.Seed,
            ["reproduce"] = entry.Reproduce,
        };
    }

    /// <summary>A short table of the zoo: name, data, test accuracy, description.</summary>
    public static string Table() => string.Join('\n', Entries.Select(e =>
        string.Create(CultureInfo.InvariantCulture, $"{e.Name,-22} {e.Data,-14} test accuracy {e.TestAccuracy:F4} ({e.TestSamples} samples)  {e.Description}")));
}
