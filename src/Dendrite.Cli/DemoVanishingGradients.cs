using System.CommandLine;
using Dendrite.NN;
using Dendrite.NN.Initializers;
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
/// <c>dendrite demo vanishing-gradients</c>: a 10-layer sigmoid network on the digits, whose first
/// layer gets gradients orders of magnitude smaller than its last, against the same network with
/// ReLU units and He initialisation, and with batch normalisation; the per-layer gradient norms as a
/// table and as two figures, and the diagnostics' warnings.
/// </summary>
internal static class DemoVanishingGradients
{
    /// <summary>10 Dense layers: 64 inputs, nine hidden layers of 32 units, 10 classes.</summary>
    private static readonly int[] Sizes = [64, 32, 32, 32, 32, 32, 32, 32, 32, 32, 10];

    public static Command Create(TextWriter output, TextWriter error)
    {
        var outDirectory = DemoCommand.OutOption();
        var seed = DemoCommand.SeedOption();
        var epochs = new Option<int>("--epochs") { Description = "Epochs of plain SGD for each network.", DefaultValueFactory = _ => 5 };
        var command = new Command("vanishing-gradients", "Compare per-layer gradient norms of a 10-layer sigmoid net with the same net using ReLU + He initialisation or batch normalisation.")
        {
            outDirectory, seed, epochs,
        };
        command.SetAction(result => CommandLine.Guard(error, () => Run(result.GetValue(outDirectory)!, result.GetValue(seed), result.GetValue(epochs), output)));
        return command;
    }

    /// <summary>One network of the comparison and what training it showed.</summary>
    private sealed record Network(string Name, TrainingDiagnostics Diagnostics, double ValidationAccuracy);

    public static int Run(string outDirectory, long seed, int epochs, TextWriter output)
    {
        if (epochs < 1) throw new ArgumentException($"--epochs must be at least 1; got {epochs}.");
        string directory = DemoCommand.PrepareDirectory(outDirectory);
        PreparedData data = DataSources.Load("digits", seed, images: false);
        output.WriteLine($"data: digits, {data.Train.Count} training samples; {Sizes.Length - 1} Dense layers ({string.Join("-", Sizes)}), SGD lr 0.1, batch 32, {epochs} epochs each");

        // The sigmoid nets start with N(0, 1/n_in) weights, which keep each weighted input near unit
        // variance (the classic advice); the gradient still shrinks by σ′ ≤ 1/4 per layer.
        Network[] runs =
        [
            Train("sigmoid", Models.Mlp(Sizes, () => new Sigmoid(), initializer: Initializer.ScaledNormal, generator: new RandomGenerator(seed)), data, epochs, seed),
            Train("ReLU + He", Models.Mlp(Sizes, () => new Relu(), initializer: Initializer.HeUniform, generator: new RandomGenerator(seed)), data, epochs, seed),
            Train("sigmoid + batch norm", Models.Mlp(Sizes, () => new Sigmoid(), batchNorm: true, initializer: Initializer.ScaledNormal, generator: new RandomGenerator(seed)), data, epochs, seed),
        ];

        output.WriteLine();
        output.WriteLine("gradient norm per Dense layer in epoch 1 (mean over 4 sampled batches; layer 1 is next to the input):");
        output.WriteLine($"{"layer",-12}{string.Concat(runs.Select(r => $"{r.Name,22}"))}");
        var norms = runs.Select(r => r.Diagnostics.GradientNormsByLayer()).ToArray();
        foreach (string layer in norms[0].Keys)
            output.WriteLine($"{layer,-12}{string.Concat(norms.Select(n => $"{DemoFigures.Scientific(n[layer][0]),22}"))}");
        output.WriteLine($"{"first/last",-12}{string.Concat(runs.Select(r => $"{DemoFigures.Scientific(r.Diagnostics.Epochs[0].FirstToLastGradientRatio),22}"))}");
        output.WriteLine($"{"last/first",-12}{string.Concat(runs.Select(r => $"{Times(1 / r.Diagnostics.Epochs[0].FirstToLastGradientRatio),22}"))}");
        output.WriteLine($"{"val accuracy",-12}{string.Concat(runs.Select(r => $"{DemoFigures.Fixed(r.ValidationAccuracy),22}"))}");
        output.WriteLine();
        foreach (Network run in runs)
        {
            output.WriteLine($"{run.Name}: {(run.Diagnostics.Warnings.Count == 0 ? "no warnings" : $"{run.Diagnostics.Warnings.Count} warning(s)")}");
            foreach (DiagnosticWarning warning in run.Diagnostics.Warnings) output.WriteLine("  " + warning);
        }

        string relu = DiagnosticPlots.SaveGradientNormsComparison(Path.Combine(directory, "vanishing-gradients-relu-he.png"),
            "10-layer sigmoid, N(0, 1/n_in)", norms[0], "the same with ReLU + He initialisation", norms[1]);
        string batchNorm = DiagnosticPlots.SaveGradientNormsComparison(Path.Combine(directory, "vanishing-gradients-batch-norm.png"),
            "10-layer sigmoid, N(0, 1/n_in)", norms[0], "the same with batch normalisation", norms[2]);
        output.WriteLine();
        output.WriteLine($"gradient norms, sigmoid vs ReLU + He: {relu}");
        output.WriteLine($"gradient norms, sigmoid vs batch norm: {batchNorm}");
        return 0;
    }

    /// <summary>A factor such as 297,000x or 1.54x.</summary>
    private static string Times(double factor) =>
        (factor >= 100 ? factor.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : DemoFigures.Fixed(factor, "G3")) + "x";

    private static Network Train(string name, Module model, PreparedData data, int epochs, long seed)
    {
        var diagnostics = new TrainingDiagnostics(data.Train.Features.Narrow(0, 0, Math.Min(256, data.Train.Count)));
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1f), new CrossEntropy(), [new Accuracy()]);
        History history = trainer.Fit(data.Train, epochs, batchSize: 32, data.Validation, callbacks: [diagnostics], seed: seed);
        return new Network(name, diagnostics, history["val_accuracy"][^1]);
    }
}
