using System.CommandLine;

namespace Dendrite.Cli;

/// <summary>The <c>dendrite</c> command: its sub-commands and options.</summary>
internal static class CommandLine
{
    /// <summary>Parses <paramref name="args"/>, runs the command, and returns the process exit code (0 success, 1 bad input, 2 failure).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("Dendrite: train, evaluate and inspect neural networks in .NET.")
        {
            TrainCommand.Create(output, error),
            EvaluateCommand.Create(output, error, predict: false),
            EvaluateCommand.Create(output, error, predict: true),
            DemoCommand.Create(output, error),
        };
        var configuration = new InvocationConfiguration { Output = output, Error = error };
        return root.Parse(args).Invoke(configuration);
    }

    /// <summary>
    /// Runs <paramref name="body"/>, turning the errors a user can fix (bad data, a missing file, a
    /// bad option value, shapes that do not fit) into one clear message and exit code 1, without a stack trace.
    /// </summary>
    public static int Guard(TextWriter error, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is IOException or ArgumentException or FormatException or InvalidOperationException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
