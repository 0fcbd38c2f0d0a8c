using Dendrite.Tensors;

namespace Dendrite.Training.Callbacks;

/// <summary>
/// Stops training when a monitored value (default <c>val_loss</c>) has not improved by more than
/// <see cref="MinDelta"/> for <see cref="Patience"/> epochs, and optionally puts back the weights of
/// the best epoch (Keras' EarlyStopping; the seeds' "stop when the validation error rises").
/// </summary>
public sealed class EarlyStopping : Callback
{
    private Dictionary<string, float[]>? _bestWeights;
    private int _wait;

    /// <summary>Creates the callback.</summary>
    /// <param name="monitor">The log key watched.</param>
    /// <param name="patience">Epochs without improvement tolerated.</param>
    /// <param name="minDelta">The smallest change that counts as an improvement.</param>
    /// <param name="restoreBestWeights">Whether to restore the best epoch's weights at the end.</param>
    /// <param name="higherIsBetter">Direction; by default, keys containing "acc", "f1", "precision", "recall" or "r2" are maximised, the rest minimised.</param>
    public EarlyStopping(string monitor = "val_loss", int patience = 5, double minDelta = 0, bool restoreBestWeights = true, bool? higherIsBetter = null)
    {
        if (patience < 0) throw new ArgumentOutOfRangeException(nameof(patience), $"EarlyStopping: patience must be non-negative; got {patience}.");
        if (minDelta < 0) throw new ArgumentOutOfRangeException(nameof(minDelta), $"EarlyStopping: minDelta must be non-negative; got {minDelta}.");
        Monitor = monitor;
        Patience = patience;
        MinDelta = minDelta;
        RestoreBestWeights = restoreBestWeights;
        HigherIsBetter = higherIsBetter ?? IsMaximised(monitor);
    }

    /// <summary>Guesses the direction of a log key.</summary>
    internal static bool IsMaximised(string key) =>
        new[] { "acc", "f1", "precision", "recall", "r2" }.Any(k => key.Contains(k, StringComparison.OrdinalIgnoreCase));

    /// <summary>The log key watched.</summary>
    public string Monitor { get; }
    /// <summary>Epochs without improvement tolerated.</summary>
    public int Patience { get; }
    /// <summary>The smallest change that counts as an improvement.</summary>
    public double MinDelta { get; }
    /// <summary>Whether the best weights are restored when training ends.</summary>
    public bool RestoreBestWeights { get; }
    /// <summary>True when larger values of the monitored key are better.</summary>
    public bool HigherIsBetter { get; }
    /// <summary>The best value seen.</summary>
    public double Best { get; private set; }
    /// <summary>The epoch (0-based) of the best value, or −1.</summary>
    public int BestEpoch { get; private set; } = -1;
    /// <summary>The epoch (0-based) at which training was stopped, or −1.</summary>
    public int StoppedEpoch { get; private set; } = -1;

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingContext context)
    {
        _wait = 0;
        Best = HigherIsBetter ? double.NegativeInfinity : double.PositiveInfinity;
        BestEpoch = -1;
        StoppedEpoch = -1;
        _bestWeights = null;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, int epoch, IDictionary<string, double> logs)
    {
        if (!logs.TryGetValue(Monitor, out double value))
            throw new InvalidOperationException($"EarlyStopping monitors '{Monitor}', which the logs do not have (they have {string.Join(", ", logs.Keys)}); give validation data for val_* keys.");
        bool improved = HigherIsBetter ? value > Best + MinDelta : value < Best - MinDelta;
        if (improved && double.IsFinite(value))
        {
            Best = value;
            BestEpoch = epoch;
            _wait = 0;
            if (RestoreBestWeights) _bestWeights = context.Model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
            return;
        }
        _wait++;
        if (_wait > Patience)
        {
            StoppedEpoch = epoch;
            context.RequestStop($"early stopping: {Monitor} has not improved for {_wait} epochs (best {Best:G5} at epoch {BestEpoch + 1})");
        }
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(TrainingContext context)
    {
        if (!RestoreBestWeights || _bestWeights is null) return;
        var state = context.Model.StateDict();
        foreach (var (name, values) in _bestWeights) state[name].CopyFrom(values);
    }
}

/// <summary>
/// Stops training as soon as a batch loss is NaN or infinite, naming the epoch and batch (so a
/// diverging run does not waste the remaining epochs).
/// </summary>
public sealed class TerminateOnNaN : Callback
{
    /// <summary>Where the first non-finite loss appeared, or null.</summary>
    public (int Epoch, int Batch)? FailedAt { get; private set; }

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context, int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (!logs.TryGetValue("loss", out double loss) || double.IsFinite(loss)) return;
        FailedAt = (context.Epoch, batch);
        context.RequestStop($"the loss became {loss} at epoch {context.Epoch + 1}, batch {batch + 1}; lower the learning rate or clip gradients");
    }
}
