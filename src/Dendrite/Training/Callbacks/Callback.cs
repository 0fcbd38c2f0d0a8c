namespace Dendrite.Training.Callbacks;

/// <summary>
/// Something that watches or steers training from outside the loop (Keras' callbacks): early
/// stopping, checkpoints, schedules, progress bars, loggers, diagnostics. Every hook does nothing
/// by default; override the ones you need. The <c>logs</c> hold the values so far under
/// their history keys (<c>loss</c>, <c>accuracy</c>, <c>val_loss</c>, <c>lr</c>, ...).
/// </summary>
public abstract class Callback
{
    /// <summary>Before the first epoch.</summary>
    public virtual void OnTrainBegin(TrainingContext context) { }

    /// <summary>At the start of an epoch (0-based).</summary>
    public virtual void OnEpochBegin(TrainingContext context, int epoch) { }

    /// <summary>Before a batch's forward pass.</summary>
    public virtual void OnBatchBegin(TrainingContext context, int batch) { }

    /// <summary>After a batch's optimiser step; logs hold the batch loss (<c>loss</c>) and the running epoch means.</summary>
    public virtual void OnBatchEnd(TrainingContext context, int batch, IReadOnlyDictionary<string, double> logs) { }

    /// <summary>After an epoch and its validation; a callback may add entries to <paramref name="logs"/> before they enter the history.</summary>
    public virtual void OnEpochEnd(TrainingContext context, int epoch, IDictionary<string, double> logs) { }

    /// <summary>After the last epoch (or when training stopped early).</summary>
    public virtual void OnTrainEnd(TrainingContext context) { }
}
