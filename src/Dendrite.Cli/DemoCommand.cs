using System.CommandLine;

namespace Dendrite.Cli;

/// <summary>
/// <c>dendrite demo ...</c>: the classic demonstrations of what goes on inside training, each
/// training what it needs in seconds, printing its numbers, and writing its figures as PNGs.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(TextWriter output, TextWriter error) =>
        new("demo", "Demonstrations of what goes on inside training, with figures: vanishing gradients, activation functions, learning rates, features.")
        {
            DemoVanishingGradients.Create(output, error),
            DemoActivations.Create(output, error),
            DemoLearningRates.Create(output, error),
            DemoFeatures.Create(output, error),
        };

    /// <summary>The <c>--out</c> option every demo takes.</summary>
    public static Option<string> OutOption() =>
        new("--out") { Description = "Directory for the figures.", DefaultValueFactory = _ => "dendrite-demo" };

    /// <summary>The <c>--seed</c> option every demo that trains takes.</summary>
    public static Option<long> SeedOption() =>
        new("--seed") { Description = "Seeds the weights, the split and the shuffling.", DefaultValueFactory = _ => 42 };

    /// <summary>Creates the output directory and returns its full path.</summary>
    public static string PrepareDirectory(string directory)
    {
        Directory.CreateDirectory(directory);
        return Path.GetFullPath(directory);
    }
}
