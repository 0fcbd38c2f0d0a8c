using System.CommandLine;
using Dendrite.NN;
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
/// <c>dendrite demo learning-rates</c>: the same MLP trained on the digits with plain SGD at a
/// learning rate that is too high, one too low and one about right; the loss and accuracy curves
/// overlaid, the diagnostics' warnings for each, and the error surface around the good run's weights.
/// </summary>
internal static class DemoLearningRates
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var outDirectory = DemoCommand.OutOption();
        var seed = DemoCommand.SeedOption();
        var epochs = new Option<int>("--epochs") { Description = "Epochs for each run.", DefaultValueFactory = _ => 20 };
        var command = new Command("learning-rates", "Train one MLP with plain SGD at a learning rate too high, too low and about right; overlay the curves and show the error surface.")
        {
            outDirectory, seed, epochs,
        };
        command.SetAction(result => CommandLine.Guard(error, () => Run(result.GetValue(outDirectory)!, result.GetValue(seed), result.GetValue(epochs), output)));
        return command;
    }

    /// <summary>The learning rates compared, with what they are.</summary>
    private static readonly (string Label, float LearningRate)[] Rates = [("too high", 5f), ("too low", 0.001f), ("about right", 0.5f)];

    public static int Run(string outDirectory, long seed, int epochs, TextWriter output)
    {
        if (epochs < 2) throw new ArgumentException($"--epochs must be at least 2; got {epochs}.");
        string directory = DemoCommand.PrepareDirectory(outDirectory);
        PreparedData data = DataSources.Load("digits", seed, images: false);
        output.WriteLine($"data: digits, {data.Train.Count} training samples; MLP 64-256-10 (ReLU, He), plain SGD, batch 32, {epochs} epochs per run");
        output.WriteLine();

        var losses = new Dictionary<string, IReadOnlyList<double>>();
        var accuracies = new Dictionary<string, IReadOnlyList<double>>();
        Module? good = null;
        Dictionary<string, float[]>? goodStart = null;
        output.WriteLine($"{"run",-24}{"first loss",12}{"last loss",12}{"val acc",10}  warnings");
        foreach (var (label, learningRate) in Rates)
        {
            Module model = Models.Mlp([data.Inputs, 256, data.Outputs], generator: new RandomGenerator(seed));
            var start = DemoFigures.Snapshot(model);
            var diagnostics = new TrainingDiagnostics(data.Train.Features.Narrow(0, 0, Math.Min(256, data.Train.Count)));
            var trainer = new Trainer(model, new Sgd(model.Parameters(), learningRate), new CrossEntropy(), [new Accuracy()]);
            History history = trainer.Fit(data.Train, epochs, batchSize: 32, data.Validation, callbacks: [diagnostics], seed: seed);
            string name = $"lr {DemoFigures.Fixed(learningRate, "G3")} ({label})";
            losses[name] = history["loss"];
            accuracies[name] = history["val_accuracy"];
            string warnings = diagnostics.Warnings.Count == 0 ? "none" : string.Join(", ", diagnostics.Warnings.Select(w => w.KindName).Distinct());
            output.WriteLine($"{name,-24}{DemoFigures.Fixed(history["loss"][0]),12}{DemoFigures.Fixed(history["loss"][^1]),12}{DemoFigures.Fixed(history["val_accuracy"][^1]),10}  {warnings}");
            foreach (DiagnosticWarning warning in diagnostics.Warnings) output.WriteLine("    " + warning);
            if (label == "about right") (good, goodStart) = (model, start);
        }

        output.WriteLine();
        string lossPath = TrainingPlots.SaveRuns(Path.Combine(directory, "learning-rates-loss.png"), losses,
            title: "training loss: learning rate too high, too low, about right (SGD)");
        string accuracyPath = TrainingPlots.SaveRuns(Path.Combine(directory, "learning-rates-accuracy.png"), accuracies,
            title: "validation accuracy per learning rate (SGD)", yLabel: "validation accuracy", logY: false);
        var (features, targets) = DemoFigures.Head(data.Train.Features, data.Train.Targets, 2000);
        var (line, plane) = DemoFigures.SaveErrorSurface(directory, good!, new CrossEntropy(), features, targets, goodStart!, seed);
        output.WriteLine($"loss curves: {lossPath}");
        output.WriteLine($"accuracy curves: {accuracyPath}");
        output.WriteLine($"error surface, line from the initial to the trained weights (lr 0.5 run): {line}");
        output.WriteLine($"error surface, plane around the trained weights (lr 0.5 run): {plane}");
        return 0;
    }
}
