using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.NN.Losses;
using Dendrite.NN.Regularizers;
using Dendrite.Ops;
using Dendrite.Optim.Schedules;
using Dendrite.Plots;
using Dendrite.Techniques.Diagnostics;
using Dendrite.Tensors;
using Dendrite.Training;
using Dendrite.Training.Callbacks;
using Dendrite.Training.Metrics;

namespace Dendrite.Cli;

/// <summary>The settings of one <c>dendrite train</c> run.</summary>
internal sealed record TrainSettings
{
    public string Data { get; init; } = "digits";
    public string Model { get; init; } = "mlp";
    public string Activation { get; init; } = "relu";
    public string? Init { get; init; }
    public string? Optimizer { get; init; }
    public float? LearningRate { get; init; }
    public int BatchSize { get; init; } = 32;
    public int? Epochs { get; init; }
    public float Dropout { get; init; }
    public bool BatchNorm { get; init; }
    public float L2 { get; init; }
    public int? EarlyStopping { get; init; }
    public long Seed { get; init; } = 42;
    public string Out { get; init; } = "dendrite-run";
    public string? LabelColumn { get; init; }
    public bool Regression { get; init; }
    public string? FashionMnistDirectory { get; init; }
    public string Schedule { get; init; } = "cosine";
    public float LearningRateDecay { get; init; } = 0.95f;
    public bool Augment { get; init; }
    public string? Augmentations { get; init; }
    public bool Plots { get; init; }
    public bool Diagnostics { get; init; } = true;
    public string? TensorBoard { get; init; }
}

/// <summary><c>dendrite train</c>: trains a model on a data set, shows progress, evaluates on the test split, and writes the model, history and curves.</summary>
internal static class TrainCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var data = new Option<string>("--data") { Description = $"The data: {DataSources.Names}.", DefaultValueFactory = _ => "digits" };
        var model = new Option<string>("--model") { Description = $"The network: {Factories.ModelNames}.", DefaultValueFactory = _ => "mlp" };
        var activation = new Option<string>("--activation") { Description = "Hidden activation: relu, leaky_relu, elu, tanh, lecun_tanh, sigmoid, softplus, gelu, silu.", DefaultValueFactory = _ => "relu" };
        var init = new Option<string?>("--init") { Description = "Weight initialiser: he_uniform, he_normal, glorot_uniform, glorot_normal, lecun_normal, lecun_uniform, scaled_normal, standard_normal, orthogonal (default: by activation)." };
        var optimizer = new Option<string?>("--optimizer") { Description = $"The optimiser: {Factories.OptimizerNames} (default: momentum for the convolutional models, as LeNet was trained, adam otherwise)." };
        var lr = new Option<float?>("--lr") { Description = "Learning rate (default: the optimiser's usual one)." };
        var batchSize = new Option<int>("--batch-size") { Description = "Samples per step (1 = online, 0 = full batch).", DefaultValueFactory = _ => 32 };
        var epochs = new Option<int?>("--epochs") { Description = "Passes over the training data (default 15 for Fashion-MNIST, 40 for the small data sets)." };
        var dropout = new Option<float>("--dropout") { Description = "Dropout rate after each hidden layer.", DefaultValueFactory = _ => 0f };
        var batchNorm = new Option<bool>("--batch-norm") { Description = "Batch-normalise each hidden layer." };
        var l2 = new Option<float>("--l2") { Description = "L2 penalty λ on the weights (λ/2·Σw²).", DefaultValueFactory = _ => 0f };
        var earlyStopping = new Option<int?>("--early-stopping") { Description = "Stop after this many epochs without a better validation loss, and keep the best weights." };
        var seed = new Option<long>("--seed") { Description = "Seeds the weights, the split and the shuffling.", DefaultValueFactory = _ => 42 };
        var outDirectory = new Option<string>("--out") { Description = "Directory for the model, history and curves.", DefaultValueFactory = _ => "dendrite-run" };
        var label = new Option<string?>("--label") { Description = "CSV data: the name of the label column (default: the last column)." };
        var regression = new Option<bool>("--regression") { Description = "CSV data: the label is a number to predict, not a class." };
        var fashionDirectory = new Option<string?>("--fashion-mnist-dir") { Description = $"Where the Fashion-MNIST IDX files are (default {Datasets.FashionMnistDirectory})." };
        var schedule = new Option<string>("--schedule") { Description = "Learning-rate schedule: cosine (the default: annealed to 0 over the run, per batch), none, exponential (×--lr-decay per epoch), plateau (halve when the validation loss stalls for 2 epochs).", DefaultValueFactory = _ => "cosine" };
        var augment = new Option<bool>("--augment") { Description = "Augment training images: shifts of up to 2 pixels, rotations of up to 10°, random erasing, and horizontal flips for Fashion-MNIST (not for digits)." };
        var augmentations = new Option<string?>("--augmentations") { Description = $"Which augmentations, comma-separated: {AugmentationNames} (implies --augment; e.g. flip,shift)." };
        var plots = new Option<bool>("--plots") { Description = "Also write figures to --out: gradient norms per layer, first-layer weights, confusion matrix, error surface; and the diagnostics report." };
        var noDiagnostics = new Option<bool>("--no-diagnostics") { Description = "Do not watch training for vanishing or exploding gradients, dead or saturated units, or a bad learning rate." };
        var tensorBoard = new Option<string?>("--tensorboard") { Description = "Write a TensorBoard event file (scalars, weight and gradient histograms) to this directory." };
        var decay = new Option<float>("--lr-decay") { Description = "Factor per epoch for --schedule exponential (the seeds' 0.998 is gentle; 0.95 halves the rate in 14 epochs).", DefaultValueFactory = _ => 0.95f };

        var command = new Command("train", "Train a network, show its progress, evaluate it on the test split, and save it.")
        {
            data, model, activation, init, optimizer, lr, batchSize, epochs, dropout, batchNorm, l2, earlyStopping, seed, outDirectory, label, regression, fashionDirectory, schedule, decay, augment, augmentations, plots, noDiagnostics, tensorBoard,
        };
        command.SetAction(result => CommandLine.Guard(error, () => Run(new TrainSettings
        {
            Data = result.GetValue(data)!,
            Model = result.GetValue(model)!,
            Activation = result.GetValue(activation)!,
            Init = result.GetValue(init),
            Optimizer = result.GetValue(optimizer),
            LearningRate = result.GetValue(lr),
            BatchSize = result.GetValue(batchSize),
            Epochs = result.GetValue(epochs),
            Dropout = result.GetValue(dropout),
            BatchNorm = result.GetValue(batchNorm),
            L2 = result.GetValue(l2),
            EarlyStopping = result.GetValue(earlyStopping),
            Seed = result.GetValue(seed),
            Out = result.GetValue(outDirectory)!,
            LabelColumn = result.GetValue(label),
            Regression = result.GetValue(regression),
            FashionMnistDirectory = result.GetValue(fashionDirectory),
            Schedule = result.GetValue(schedule)!,
            LearningRateDecay = result.GetValue(decay),
            Augment = result.GetValue(augment),
            Augmentations = result.GetValue(augmentations),
            Plots = result.GetValue(plots),
            Diagnostics = !result.GetValue(noDiagnostics),
            TensorBoard = result.GetValue(tensorBoard),
        }, output)));
        return command;
    }

    /// <summary>Runs training with <paramref name="settings"/>, writing progress and results to <paramref name="output"/>; returns the exit code.</summary>
    public static int Run(TrainSettings settings, TextWriter output)
    {
        int epochs = settings.Epochs ?? (settings.Data.Trim().StartsWith("fashion", StringComparison.OrdinalIgnoreCase) ? 15 : 40);
        if (epochs < 0) throw new ArgumentException($"--epochs must be non-negative; got {epochs}.");
        if (settings.BatchSize < 0) throw new ArgumentException($"--batch-size must be positive, or 0 for full batch; got {settings.BatchSize}.");
        if (!(settings.Dropout >= 0 && settings.Dropout < 1)) throw new ArgumentException($"--dropout must be in [0, 1); got {settings.Dropout}.");
        var clock = Stopwatch.StartNew();
        RandomGenerator.SetDefaultSeed(settings.Seed);
        var generator = new RandomGenerator(settings.Seed);

        if (Factories.IsImageModel(settings.Model) && !settings.Data.Trim().ToLowerInvariant().StartsWith("fashion", StringComparison.Ordinal))
            throw new ArgumentException($"--model {settings.Model} takes 28x28 single-channel images; use it with --data fashion-mnist.");
        PreparedData data = DataSources.Load(settings.Data, settings.Seed, Factories.IsImageModel(settings.Model), settings.FashionMnistDirectory, settings.LabelColumn, settings.Regression);
        output.WriteLine($"data: {data.Name}: {data.Train.Count} training, {data.Validation.Count} validation, {data.Test.Count} test samples; " +
            (data.IsClassification ? $"{data.Outputs} classes" : $"{data.Outputs} target(s)"));

        Module model = Factories.CreateModel(settings.Model, data, settings.Activation, settings.Init, settings.Dropout, settings.BatchNorm, generator);
        if (settings.L2 > 0)
            foreach (var (name, parameter) in model.NamedParameters())
                if (name.EndsWith("weight", StringComparison.Ordinal)) parameter.Regularizer = Regularizer.L2(settings.L2);
        output.WriteLine(ModelSummary.Create(model, data.Train.SampleShape).ToString());

        string optimizerName = settings.Optimizer ?? (Factories.IsImageModel(settings.Model) ? "momentum" : "adam");
        float learningRate = settings.LearningRate ?? Factories.DefaultLearningRate(optimizerName);
        var optimizer = Factories.CreateOptimizer(optimizerName, model.Parameters(), learningRate);
        Loss loss = data.IsClassification ? new CrossEntropy() : new MeanSquaredError();
        Metric[] metrics = data.IsClassification ? [new Accuracy()] : [new MeanAbsoluteErrorMetric(), new RSquared()];
        var trainer = new Trainer(model, optimizer, loss, metrics);

        Directory.CreateDirectory(settings.Out);
        bool terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        var callbacks = new List<Callback> { new TerminateOnNaN(), new ProgressBar(output, terminal), new HistoryLogger(Path.Combine(settings.Out, "history.csv")) };
        if (settings.EarlyStopping is int patience) callbacks.Add(new EarlyStopping("val_loss", patience));
        // Diagnostics are cheap (norms on a few batches, one probe pass per epoch) and print only warnings and a final table.
        TrainingDiagnostics? diagnostics = settings.Diagnostics || settings.Plots
            ? new TrainingDiagnostics(data.Train.Features.Narrow(0, 0, Math.Min(256, data.Train.Count)), log: settings.Diagnostics ? output : null)
            : null;
        if (diagnostics is not null) callbacks.Add(diagnostics);
        if (settings.TensorBoard is not null) callbacks.Add(new TensorBoardLogger(settings.TensorBoard));
        var initialWeights = settings.Plots ? DemoFigures.Snapshot(model) : null;
        int batchSize = settings.BatchSize == 0 || Factories.IsFullBatch(optimizerName) ? DataLoader.FullBatch : settings.BatchSize;
        int batchesPerEpoch = batchSize >= data.Train.Count ? 1 : (data.Train.Count + batchSize - 1) / batchSize;
        switch (settings.Schedule.Trim().ToLowerInvariant())
        {
            case "none": break;
            case "cosine":
                // One cosine period over the run (plus one step, so the rate logged after the last batch is not a restart).
                callbacks.Add(new LearningRateScheduler(new CosineAnnealingWarmRestarts(learningRate, Math.Max(1, (long)epochs * batchesPerEpoch) + 1), perBatch: true));
                break;
            case "exponential":
                callbacks.Add(new LearningRateScheduler(new ExponentialDecay(learningRate, settings.LearningRateDecay)));
                break;
            case "plateau":
                callbacks.Add(new ReduceLearningRateOnPlateau(new ReduceOnPlateau(learningRate, factor: 0.5f, patience: 2)));
                break;
            default:
                throw new ArgumentException($"--schedule: '{settings.Schedule}' is not a schedule. Known: none, cosine, exponential, plateau.");
        }
        output.WriteLine($"training: {optimizer.Name} lr {learningRate.ToString("G4", CultureInfo.InvariantCulture)}, batch {(batchSize == DataLoader.FullBatch ? "full" : batchSize.ToString(CultureInfo.InvariantCulture))}, {epochs} epochs");
        Func<Batch, Batch>? augmentation = null;
        if (settings.Augment || settings.Augmentations is not null)
        {
            bool mirrorable = data.Name.StartsWith("fashion", StringComparison.Ordinal);
            string[] kinds = ParseAugmentations(settings.Augmentations, mirrorable);
            augmentation = new ImageAugmentation(settings.Seed + 1)
            {
                MaxShift = kinds.Contains("shift") ? 2 : 0,
                MaxRotationDegrees = kinds.Contains("rotate") ? 10f : 0f,
                EraseProbability = kinds.Contains("erase") ? 0.25f : 0f,
                HorizontalFlipProbability = kinds.Contains("flip") ? 0.5f : 0f,
                NoiseStandardDeviation = kinds.Contains("noise") ? 0.05f : 0f,
                PixelDropout = kinds.Contains("dropout") ? 0.05f : 0f,
            }.Apply;
            output.WriteLine($"augmentation: {string.Join(", ", kinds)}");
        }
        History history = trainer.Fit(data.Train, epochs, batchSize, data.Validation, callbacks: callbacks, seed: settings.Seed, augment: augmentation);

        var results = trainer.Evaluate(data.Test);
        SaveRun(settings, data, model, history, output);
        if (settings.Plots) DemoFigures.SaveTrainingReport(settings.Out, model, loss, data, diagnostics!, initialWeights!, settings.Seed, output);
        if (data.IsClassification)
        {
            var confusion = new ConfusionMatrix(data.Outputs);
            confusion.Update(trainer.Predict(data.Test.Features), data.Test.Targets);
            string table = confusion.Format(data.ClassNames);
            AtomicFile.WriteAllText(Path.Combine(settings.Out, "confusion.txt"), table);
            if (data.Outputs <= 12) output.Write(table);
            output.WriteLine($"trained in {clock.Elapsed.TotalSeconds:F1} s; outputs in {Path.GetFullPath(settings.Out)}");
            output.WriteLine($"test accuracy: {results["accuracy"].ToString("F4", CultureInfo.InvariantCulture)}");
        }
        else
        {
            output.WriteLine($"trained in {clock.Elapsed.TotalSeconds:F1} s; outputs in {Path.GetFullPath(settings.Out)}");
            output.WriteLine($"test mse: {results["loss"].ToString("G5", CultureInfo.InvariantCulture)}  test mae: {results["mae"].ToString("G5", CultureInfo.InvariantCulture)}  test r2: {results["r2"].ToString("F4", CultureInfo.InvariantCulture)}");
        }
        return 0;
    }

    private static void SaveRun(TrainSettings settings, PreparedData data, Module model, History history, TextWriter output)
    {
        string modelPath = Path.Combine(settings.Out, "model");
        Model.Save(model, modelPath);
        var run = new JsonObject
        {
            ["data"] = data.Name,
            ["task"] = data.IsClassification ? "classification" : "regression",
            ["classNames"] = data.ClassNames is null ? null : new JsonArray(data.ClassNames.Select(n => (JsonNode)n).ToArray()),
            ["preprocessing"] = data.Preprocessing.ToJson(),
            ["seed"] = settings.Seed,
            ["model"] = settings.Model,
            ["optimizer"] = settings.Optimizer ?? "default",
        };
        AtomicFile.WriteAllText(Path.Combine(settings.Out, "run.json"), run.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        AtomicFile.WriteAllText(Path.Combine(settings.Out, "history.json"), history.ToJson());
        if (history.Epochs == 0) return;
        string curves = Path.Combine(settings.Out, "curves.png");
        IReadOnlyList<double>? validationLoss = history.Contains("val_loss") ? history["val_loss"] : null;
        IReadOnlyList<double>? accuracy = history.Contains("accuracy") ? history["accuracy"] : null;
        IReadOnlyList<double>? validationAccuracy = history.Contains("val_accuracy") ? history["val_accuracy"] : null;
        TrainingPlots.SaveLossAndAccuracy(curves, history["loss"], validationLoss, accuracy, validationAccuracy);
        output.WriteLine($"curves: {Path.GetFullPath(curves)}");
    }
    /// <summary>What <c>--augmentations</c> accepts.</summary>
    public const string AugmentationNames = "shift (up to 2 pixels), rotate (up to 10°), erase (a random rectangle, p 0.25), flip (horizontal, p 0.5), noise (Gaussian, σ 0.05), dropout (5 % of pixels)";

    private static readonly string[] KnownAugmentations = ["shift", "rotate", "erase", "flip", "noise", "dropout"];

    /// <summary>The augmentations named in <paramref name="list"/>, or the default set (shift, rotate, erase, and flip where mirror images are still the same class).</summary>
    private static string[] ParseAugmentations(string? list, bool mirrorable)
    {
        if (list is null) return mirrorable ? ["shift", "rotate", "erase", "flip"] : ["shift", "rotate", "erase"];
        string[] kinds = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(k => k.ToLowerInvariant()).Distinct().ToArray();
        if (kinds.Length == 0) throw new ArgumentException($"--augmentations: name at least one of {AugmentationNames}.");
        foreach (string kind in kinds)
            if (!KnownAugmentations.Contains(kind))
                throw new ArgumentException($"--augmentations: '{kind}' is not an augmentation; use {AugmentationNames}.");
        return kinds;
    }
}
