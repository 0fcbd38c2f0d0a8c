using Dendrite.IO;

namespace Dendrite.Training.Callbacks;

/// <summary>Writes the history after every epoch as CSV (<c>.csv</c>) or JSON (any other extension), atomically, so it can be watched while training runs.</summary>
public sealed class HistoryLogger(string path) : Callback
{
    /// <summary>The file written.</summary>
    public string Path { get; } = string.IsNullOrEmpty(path) ? throw new ArgumentException("HistoryLogger needs a path.", nameof(path)) : path;

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, int epoch, IDictionary<string, double> logs)
    {
        var history = History.FromJson(context.History.ToJson());
        history.Add(new Dictionary<string, double>(logs));
        string? directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
        if (directory is not null) Directory.CreateDirectory(directory);
        bool csv = Path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);
        AtomicFile.WriteAllText(Path, csv ? history.ToCsv() : history.ToJson());
    }
}
