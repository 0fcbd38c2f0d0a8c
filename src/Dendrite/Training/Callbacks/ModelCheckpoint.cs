using Dendrite.NN;

namespace Dendrite.Training.Callbacks;

/// <summary>
/// Writes a full training checkpoint (weights, optimiser state, schedule, generators, history; see
/// <see cref="Checkpoint"/>) after every epoch, or only when the monitored value improves, and
/// optionally the model itself (<see cref="Model.Save"/>) beside it. Every file is written to a
/// temporary name and renamed, so a crash during the write leaves the previous checkpoint intact.
/// </summary>
public sealed class ModelCheckpoint : Callback
{
    private double _best;

    /// <summary>Creates the callback.</summary>
    /// <param name="path">The checkpoint file (a .ckpt.safetensors is conventional); with <paramref name="everyEpochPattern"/> "{epoch}" in it is replaced by the epoch number.</param>
    /// <param name="monitor">The log key for <paramref name="saveBestOnly"/>.</param>
    /// <param name="saveBestOnly">Only write when the monitored value improves.</param>
    /// <param name="modelPath">Also save the model (architecture + weights) to this base path when the checkpoint is written.</param>
    /// <param name="everyEpochPattern">Keep one file per epoch (the path holds "{epoch}") instead of overwriting one.</param>
    public ModelCheckpoint(string path, string monitor = "val_loss", bool saveBestOnly = false, string? modelPath = null, bool everyEpochPattern = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        Monitor = monitor;
        SaveBestOnly = saveBestOnly;
        ModelPath = modelPath;
        EveryEpochPattern = everyEpochPattern;
        HigherIsBetter = EarlyStopping.IsMaximised(monitor);
    }

    /// <summary>The checkpoint path.</summary>
    public string Path { get; }
    /// <summary>The log key watched when saving only the best.</summary>
    public string Monitor { get; }
    /// <summary>Whether only improvements are saved.</summary>
    public bool SaveBestOnly { get; }
    /// <summary>Where the model is saved too, or null.</summary>
    public string? ModelPath { get; }
    /// <summary>Whether each epoch gets its own file.</summary>
    public bool EveryEpochPattern { get; }
    /// <summary>True when larger monitored values are better.</summary>
    public bool HigherIsBetter { get; }
    /// <summary>The epoch (0-based) last saved, or −1.</summary>
    public int LastSavedEpoch { get; private set; } = -1;

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingContext context) => _best = HigherIsBetter ? double.NegativeInfinity : double.PositiveInfinity;

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, int epoch, IDictionary<string, double> logs)
    {
        if (SaveBestOnly)
        {
            if (!logs.TryGetValue(Monitor, out double value))
                throw new InvalidOperationException($"ModelCheckpoint monitors '{Monitor}', which the logs do not have (they have {string.Join(", ", logs.Keys)}).");
            bool improved = HigherIsBetter ? value > _best : value < _best;
            if (!improved) return;
            _best = value;
        }
        string path = EveryEpochPattern ? Path.Replace("{epoch}", (epoch + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal) : Path;
        string? directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        Checkpoint.Save(path, context, epoch + 1, new Dictionary<string, double>(logs));
        if (ModelPath is not null) Model.Save(context.Model, ModelPath);
        LastSavedEpoch = epoch;
    }
}
