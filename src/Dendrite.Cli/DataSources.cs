using System.Text.Json.Nodes;
using Dendrite.Data;
using Dendrite.Tensors;

namespace Dendrite.Cli;

/// <summary>Training, validation and test splits of one data set, ready for a model, and how its raw features were preprocessed.</summary>
internal sealed record PreparedData(string Name, Dataset Train, Dataset Validation, Dataset Test, Preprocessing Preprocessing)
{
    public bool IsClassification => Train.Task == PredictionTask.Classification;
    public int Inputs => Train.FeatureCount;
    public int Outputs => IsClassification ? Train.NumClasses : Train.TargetCount;
    public IReadOnlyList<string>? ClassNames => Train.ClassNames;
}

/// <summary>What was done to raw features before the model saw them (saved beside a model so evaluate and predict repeat it).</summary>
internal sealed record Preprocessing(float Scale, float[]? Mean, float[]? StandardDeviation, int[]? ImageShape)
{
    public Tensor Apply(Tensor features)
    {
        Tensor x = features;
        if (Scale != 1f) x = Ops.TensorOps.Multiply(x, Scale);
        if (Mean is not null && StandardDeviation is not null)
        {
            float[] values = x.ToArray();
            int d = Mean.Length;
            for (int i = 0; i < values.Length; i++)
            {
                float sd = StandardDeviation[i % d];
                values[i] = sd > 0 ? (values[i] - Mean[i % d]) / sd : values[i] - Mean[i % d];
            }
            x = Tensor.FromArray(values, x.Shape);
        }
        if (ImageShape is not null) x = Ops.TensorOps.Reshape(x, [x.Shape[0], .. ImageShape]);
        return x;
    }

    public Dataset Apply(Dataset data) => new(Apply(data.Features), data.Targets, data.Task, data.ClassNames, data.Name, data.FeatureNames);

    public JsonObject ToJson() => new()
    {
        ["scale"] = Scale,
        ["mean"] = Mean is null ? null : new JsonArray(Mean.Select(v => (JsonNode)v).ToArray()),
        ["std"] = StandardDeviation is null ? null : new JsonArray(StandardDeviation.Select(v => (JsonNode)v).ToArray()),
        ["imageShape"] = ImageShape is null ? null : new JsonArray(ImageShape.Select(v => (JsonNode)v).ToArray()),
    };

    public static Preprocessing FromJson(JsonObject node) => new(
        node["scale"]?.GetValue<float>() ?? 1f,
        (node["mean"] as JsonArray)?.Select(v => v!.GetValue<float>()).ToArray(),
        (node["std"] as JsonArray)?.Select(v => v!.GetValue<float>()).ToArray(),
        (node["imageShape"] as JsonArray)?.Select(v => v!.GetValue<int>()).ToArray());
}

/// <summary>Resolves <c>--data</c>: a built-in data set by name, or a CSV file.</summary>
internal static class DataSources
{
    public const string Names = "digits, iris, wine, fashion-mnist, or a path to a .csv file";

    /// <summary>Loads and splits the data: built-in sets and CSV files 60/20/20 (stratified for classes); Fashion-MNIST keeps its own 10,000 test images and holds out 10% of the training images for validation.</summary>
    public static PreparedData Load(string data, long seed, bool images, string? fashionMnistDirectory = null, string? labelColumn = null, bool regression = false)
    {
        var generator = new RandomGenerator(seed);
        switch (data.Trim().ToLowerInvariant())
        {
            case "digits":
                return Split("digits", Datasets.Digits(), new Preprocessing(1f / 16f, null, null, images ? [1, 8, 8] : null), generator);
            case "iris":
                return Standardized("iris", Datasets.Iris(), generator);
            case "wine":
                return Standardized("wine", Datasets.Wine(), generator);
            case "fashion-mnist" or "fashion_mnist" or "fashionmnist":
                {
                    Dataset train = Datasets.FashionMnist(fashionMnistDirectory, train: true);
                    Dataset test = Datasets.FashionMnist(fashionMnistDirectory, train: false);
                    var preprocessing = new Preprocessing(1f, null, null, images ? [1, 28, 28] : null);
                    var (fit, validation) = Splits.TrainValidation(train, 0.1, generator, stratified: true);
                    return new PreparedData("fashion-mnist", preprocessing.Apply(fit), preprocessing.Apply(validation), preprocessing.Apply(test), preprocessing);
                }
        }
        if (!File.Exists(data))
            throw new FileNotFoundException($"--data: '{data}' is neither a file nor a built-in data set ({Names}).", data);
        var options = new CsvOptions { LabelColumnName = labelColumn, Task = regression ? PredictionTask.Regression : PredictionTask.Classification, Name = Path.GetFileNameWithoutExtension(data) };
        return Standardized(Path.GetFileName(data), CsvReader.Read(data, options), generator);
    }

    private static PreparedData Split(string name, Dataset data, Preprocessing preprocessing, RandomGenerator generator)
    {
        var (train, validation, test) = Splits.TrainValidationTest(data, 0.6, 0.2, 0.2, generator, stratified: data.Task == PredictionTask.Classification);
        return new PreparedData(name, preprocessing.Apply(train), preprocessing.Apply(validation), preprocessing.Apply(test), preprocessing);
    }

    /// <summary>Splits, then standardises every feature with the training split's mean and standard deviation.</summary>
    private static PreparedData Standardized(string name, Dataset data, RandomGenerator generator)
    {
        var (train, validation, test) = Splits.TrainValidationTest(data, 0.6, 0.2, 0.2, generator, stratified: data.Task == PredictionTask.Classification);
        var standardizer = new Standardizer().Fit(train.Features);
        var preprocessing = new Preprocessing(1f, standardizer.Mean.ToArray(), standardizer.StandardDeviation.ToArray(), null);
        return new PreparedData(name, preprocessing.Apply(train), preprocessing.Apply(validation), preprocessing.Apply(test), preprocessing);
    }
}
