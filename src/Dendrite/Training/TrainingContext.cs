using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Training;

/// <summary>What callbacks see of a running <c>Trainer.Fit</c>, and how they stop it.</summary>
public sealed class TrainingContext
{
    internal TrainingContext(Trainer trainer, int epochs, int batchesPerEpoch, int samplesPerEpoch, History history, IReadOnlyList<Callbacks.Callback> callbacks)
    {
        Callbacks = callbacks;
        Trainer = trainer;
        Epochs = epochs;
        BatchesPerEpoch = batchesPerEpoch;
        SamplesPerEpoch = samplesPerEpoch;
        History = history;
    }

    /// <summary>The trainer running.</summary>
    public Trainer Trainer { get; }

    /// <summary>The model being trained.</summary>
    public Module Model => Trainer.Model;

    /// <summary>Its optimiser.</summary>
    public Optimizer Optimizer => Trainer.Optimizer;

    /// <summary>The number of epochs asked for.</summary>
    public int Epochs { get; }

    /// <summary>The epoch under way (0-based).</summary>
    public int Epoch { get; internal set; }

    /// <summary>Batches in each epoch.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>Training samples in each epoch.</summary>
    public int SamplesPerEpoch { get; }

    /// <summary>Every callback of this run, in order.</summary>
    public IReadOnlyList<Callbacks.Callback> Callbacks { get; }

    /// <summary>The history so far (completed epochs).</summary>
    public History History { get; }

    /// <summary>Set by a callback to end training after the current batch or epoch.</summary>
    public bool StopTraining { get; private set; }

    /// <summary>Why training stopped early, for the final report.</summary>
    public string? StopReason { get; private set; }

    /// <summary>Asks the trainer to stop, giving the reason.</summary>
    public void RequestStop(string reason)
    {
        StopTraining = true;
        StopReason ??= reason;
    }
}
