using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Ops;
using Dendrite.Optim;
using Dendrite.Plots;
using Dendrite.Techniques.Diagnostics;
using Dendrite.Tensors;
using Dendrite.Training;
using Dendrite.Training.Metrics;

namespace Dendrite.Cli;

/// <summary>
/// <c>dendrite demo features [--model MODEL]</c>: what the units of an image classifier respond to.
/// The first layer's units are drawn as the unit-norm inputs that excite them most (their weights,
/// normalised); each output unit, and a few units of a second hidden layer if there is one, as the
/// input found by gradient ascent from the mean training image. Also the test set's confusion
/// matrix. Without <c>--model</c> it trains a small MLP on Fashion-MNIST first.
/// </summary>
internal static class DemoFeatures
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Option<string?>("--model") { Description = "A model saved by dendrite train on image data (--data fashion-mnist or digits): its directory or base path. Without it, a small MLP is trained on Fashion-MNIST." };
        var outDirectory = DemoCommand.OutOption();
        var seed = DemoCommand.SeedOption();
        var epochs = new Option<int>("--epochs") { Description = "Without --model: epochs of the small MLP.", DefaultValueFactory = _ => 3 };
        var samples = new Option<int>("--train-samples") { Description = "Without --model: train on the first N Fashion-MNIST training images (0: all).", DefaultValueFactory = _ => 0 };
        var fashionDirectory = new Option<string?>("--fashion-mnist-dir") { Description = $"Where the Fashion-MNIST IDX files are (default {Datasets.FashionMnistDirectory})." };
        var command = new Command("features", "Draw the inputs that excite a classifier's units most: first-layer weights, and output units by gradient ascent.")
        {
            model, outDirectory, seed, epochs, samples, fashionDirectory,
        };
        command.SetAction(result => CommandLine.Guard(error, () => Run(result.GetValue(model), result.GetValue(outDirectory)!, result.GetValue(seed),
            result.GetValue(epochs), result.GetValue(samples), result.GetValue(fashionDirectory), output)));
        return command;
    }

    /// <summary>The size of the output-unit figure: ten 28x28 tiles at 6x in two rows, with captions and a title.</summary>
    public static readonly (int Width, int Height) UnitsSize = (900, 440);

    public static int Run(string? modelPath, string outDirectory, long seed, int epochs, int trainSamples, string? fashionDirectory, TextWriter output)
    {
        string directory = DemoCommand.PrepareDirectory(outDirectory);
        var (network, data, preprocessing) = modelPath is null
            ? TrainSmallMlp(seed, epochs, trainSamples, fashionDirectory, output)
            : LoadModel(modelPath, fashionDirectory, output);

        // One sample's shape and its image planes: [1, H, W] for image models, [H·W] for an MLP on square images.
        Shape sampleShape = data.Train.SampleShape;
        (int Height, int Width) image;
        if (preprocessing.ImageShape is [_, int h, int w]) image = (h, w);
        else
        {
            int side = (int)Math.Round(Math.Sqrt(data.Inputs));
            if (side * side != data.Inputs || !data.IsClassification)
                throw new ArgumentException($"demo features draws image classifiers; {data.Name} has {data.Inputs} features per sample, not a square image. Train on fashion-mnist or digits.");
            image = (side, side);
        }
        IReadOnlyList<string> classNames = data.ClassNames ?? Enumerable.Range(0, data.Outputs).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToList();

        string? firstLayer = DemoFigures.SaveFirstLayer(Path.Combine(directory, "features-first-layer.png"), network, image);

        // Gradient ascent from the mean training image, which keeps the result near what images look like.
        Tensor start = data.Train.Features.Mean(0);
        var options = new ActivationMaximizationOptions { Start = start };
        int[] classes = Enumerable.Range(0, data.Outputs).ToArray();
        Tensor inputs = FeatureVisualization.MaximizeActivation(network, classes, sampleShape, options);
        float[] logits = FeatureVisualization.Activations(network, inputs, classes);
        float[] probabilities = Trainer.Predict(network, inputs).Softmax(-1).ToArray();
        string outputUnits = ImagePlots.SaveGrid(Path.Combine(directory, "features-output-units.png"), inputs, image.Height, image.Width, columns: 5,
            captions: classNames, title: "the input that most excites each output unit (gradient ascent from the mean image)",
            width: UnitsSize.Width, height: UnitsSize.Height);
        output.WriteLine("output unit: logit and softmax probability of its class at the input found");
        for (int c = 0; c < classes.Length; c++)
            output.WriteLine($"  {classNames[c],-12} logit {DemoFigures.Fixed(logits[c], "F2"),7}  p {DemoFigures.Fixed(probabilities[c * classes.Length + c], "F3")}");

        string? hiddenUnits = SaveHiddenUnits(Path.Combine(directory, "features-hidden-units.png"), network, sampleShape, image, options);
        Tensor predictions = Trainer.Predict(network, data.Test.Features);
        var accuracy = new Accuracy();
        accuracy.Update(predictions, data.Test.Targets);
        string confusion = DemoFigures.SaveConfusion(Path.Combine(directory, "confusion.png"), predictions, data.Test.Targets, classNames, $"{data.Name} test set");

        output.WriteLine($"test accuracy: {DemoFigures.Fixed(accuracy.Result)}");
        if (firstLayer is not null) output.WriteLine($"first-layer units (weights as images): {firstLayer}");
        output.WriteLine($"output units (gradient ascent): {outputUnits}");
        if (hiddenUnits is not null) output.WriteLine($"second hidden layer's units (gradient ascent): {hiddenUnits}");
        output.WriteLine($"confusion matrix: {confusion}");
        return 0;
    }

    /// <summary>
    /// For an MLP with at least two hidden Dense layers, the inputs that most excite the weighted
    /// inputs of the first ten units of the second one (the first's are drawn in closed form); null
    /// for other models.
    /// </summary>
    private static string? SaveHiddenUnits(string path, Module network, Shape sampleShape, (int Height, int Width) image, ActivationMaximizationOptions options)
    {
        if (network is not Sequential sequence) return null;
        var weighted = sequence.Layers.Select((layer, index) => (layer, index)).Where(l => l.layer.OwnParameters().Any(p => p.Name == "weight" && p.Parameter.Rank >= 2)).ToList();
        if (weighted.Count < 3 || weighted[1].layer is not Dense second) return null;
        // The network up to the second hidden layer's weighted inputs z = W·h + b. Its ReLU output
        // would do for active units, but a unit that is off at the start has no gradient there, and
        // the ascent could not move.
        var prefix = new Sequential(sequence.Layers.Take(weighted[1].index));
        prefix.Add(new WeightedInput(second));
        int[] units = Enumerable.Range(0, Math.Min(10, second.OutFeatures)).ToArray();
        Tensor inputs = FeatureVisualization.MaximizeActivation(prefix, units, sampleShape, options);
        return ImagePlots.SaveGrid(path, inputs, image.Height, image.Width, columns: 5,
            captions: units.Select(u => $"unit {u}").ToList(), title: $"layer {weighted[1].index} {second.Describe()}: the input that most excites each unit's weighted input",
            width: UnitsSize.Width, height: UnitsSize.Height);
    }

    /// <summary>A Dense layer's weighted input x·Wᵀ + b, without its activation.</summary>
    private sealed class WeightedInput : Module
    {
        private readonly Dense _dense;

        public WeightedInput(Dense dense) => _dense = AddModule("dense", dense);

        public override Tensor Forward(Tensor input) => input.Linear(_dense.Weight, _dense.Bias);
    }

    private static (Module, PreparedData, Preprocessing) TrainSmallMlp(long seed, int epochs, int trainSamples, string? fashionDirectory, TextWriter output)
    {
        if (epochs < 1) throw new ArgumentException($"--epochs must be at least 1; got {epochs}.");
        if (trainSamples < 0) throw new ArgumentException($"--train-samples must be non-negative; got {trainSamples}.");
        RandomGenerator.SetDefaultSeed(seed);
        PreparedData data = DataSources.Load("fashion-mnist", seed, images: false, fashionDirectory);
        if (trainSamples > 0 && trainSamples < data.Train.Count)
            data = data with { Train = data.Train.Subset(Enumerable.Range(0, trainSamples).ToArray()) };
        Module model = Models.Mlp([data.Inputs, 128, data.Outputs], generator: new RandomGenerator(seed));
        output.WriteLine($"no --model: training an MLP {data.Inputs}-128-{data.Outputs} (ReLU) on {data.Train.Count} Fashion-MNIST images, Adam lr 0.002, batch 64, {epochs} epochs");
        var trainer = new Trainer(model, new Adam(model.Parameters(), 0.002f), new CrossEntropy(), [new Accuracy()]);
        History history = trainer.Fit(data.Train, epochs, batchSize: 64, callbacks: [], seed: seed);
        output.WriteLine($"trained: training loss {DemoFigures.Fixed(history["loss"][^1])}, training accuracy {DemoFigures.Fixed(history["accuracy"][^1])}");
        return (model, data, data.Preprocessing);
    }

    private static (Module, PreparedData, Preprocessing) LoadModel(string modelPath, string? fashionDirectory, TextWriter output)
    {
        string directory = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".";
        string basePath = Directory.Exists(modelPath) ? Path.Combine(modelPath, "model") : modelPath;
        string runPath = Path.Combine(directory, "run.json");
        if (!File.Exists(runPath))
            throw new FileNotFoundException($"No run.json beside the model in {directory}; demo features uses models saved by dendrite train --data fashion-mnist (or digits).", runPath);
        var run = JsonNode.Parse(File.ReadAllText(runPath)) as JsonObject ?? throw new FormatException($"{runPath} is not a JSON object.");
        var preprocessing = Preprocessing.FromJson(run["preprocessing"] as JsonObject ?? []);
        string dataName = run["data"]?.GetValue<string>() ?? "";
        if (dataName is not ("fashion-mnist" or "digits"))
            throw new ArgumentException($"demo features draws image classifiers; the model in {directory} was trained on '{dataName}'. Use a model trained with --data fashion-mnist or digits.");
        long seed = run["seed"]?.GetValue<long>() ?? 42;
        Module model = Model.Load(basePath);
        PreparedData data = DataSources.Load(dataName, seed, preprocessing.ImageShape is not null, fashionDirectory);
        output.WriteLine($"model: {Path.GetFullPath(basePath)} ({run["model"]?.GetValue<string>() ?? "?"}, trained on {dataName})");
        return (model, data, preprocessing);
    }
}
