using System.Globalization;
using Dendrite.Optim;
using Dendrite.Optim.Schedules;

namespace Dendrite.Training.Callbacks;

/// <summary>
/// Drives a learning-rate schedule: hands it to the optimiser when training begins and advances it
/// after every epoch (default) or every batch.
/// </summary>
public sealed class LearningRateScheduler(LearningRateSchedule schedule, bool perBatch = false) : Callback, ICheckpointState
{
    /// <summary>The schedule driven.</summary>
    public LearningRateSchedule Schedule { get; } = schedule ?? throw new ArgumentNullException(nameof(schedule));

    /// <summary>Whether the schedule steps per batch rather than per epoch.</summary>
    public bool PerBatch { get; } = perBatch;

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingContext context) => context.Optimizer.LearningRateSchedule = Schedule;

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context, int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (PerBatch) Schedule.Step();
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, int epoch, IDictionary<string, double> logs)
    {
        if (!PerBatch) Schedule.Step();
    }

    /// <inheritdoc/>
    public void WriteState(IDictionary<string, string> state)
    {
        foreach (var (key, value) in Schedule.GetState()) state[key] = value;
    }

    /// <inheritdoc/>
    public void ReadState(IReadOnlyDictionary<string, string> state) => Schedule.LoadState(state);
}

/// <summary>
/// Reduces the learning rate when a monitored value (default <c>val_loss</c>) stops improving, by
/// driving a <see cref="ReduceOnPlateau"/> schedule with it after every epoch.
/// </summary>
public sealed class ReduceLearningRateOnPlateau(ReduceOnPlateau schedule, string monitor = "val_loss") : Callback, ICheckpointState
{
    /// <summary>The schedule driven.</summary>
    public ReduceOnPlateau Schedule { get; } = schedule ?? throw new ArgumentNullException(nameof(schedule));

    /// <summary>The log key watched.</summary>
    public string Monitor { get; } = monitor;

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingContext context) => context.Optimizer.LearningRateSchedule = Schedule;

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, int epoch, IDictionary<string, double> logs)
    {
        if (!logs.TryGetValue(Monitor, out double value))
            throw new InvalidOperationException($"ReduceLearningRateOnPlateau monitors '{Monitor}', which the logs do not have (they have {string.Join(", ", logs.Keys)}).");
        Schedule.Step(value);
    }

    /// <inheritdoc/>
    public void WriteState(IDictionary<string, string> state)
    {
        foreach (var (key, value) in Schedule.GetState()) state[key] = value;
    }

    /// <inheritdoc/>
    public void ReadState(IReadOnlyDictionary<string, string> state) => Schedule.LoadState(state);
}

/// <summary>
/// Drives a momentum schedule (Hinton 2012: 0.5 rising linearly to 0.99) on an <see cref="Sgd"/>
/// optimiser, setting its momentum before every batch and advancing the schedule per epoch (default) or per batch.
/// </summary>
public sealed class MomentumScheduler(MomentumSchedule schedule, bool perBatch = false) : Callback, ICheckpointState
{
    /// <summary>The schedule driven.</summary>
    public MomentumSchedule Schedule { get; } = schedule ?? throw new ArgumentNullException(nameof(schedule));

    /// <summary>Whether the schedule steps per batch rather than per epoch.</summary>
    public bool PerBatch { get; } = perBatch;

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingContext context)
    {
        if (context.Optimizer is not Sgd)
            throw new InvalidOperationException($"MomentumScheduler drives the momentum of an Sgd optimiser; this run uses {context.Optimizer.Name}.");
    }

    /// <inheritdoc/>
    public override void OnBatchBegin(TrainingContext context, int batch) => ((Sgd)context.Optimizer).Momentum = Schedule.CurrentMomentum;

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context, int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (PerBatch) Schedule.Step();
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, int epoch, IDictionary<string, double> logs)
    {
        logs["momentum"] = Schedule.CurrentMomentum;
        if (!PerBatch) Schedule.Step();
    }

    /// <inheritdoc/>
    public void WriteState(IDictionary<string, string> state)
    {
        foreach (var (key, value) in Schedule.GetState()) state[key] = value;
    }

    /// <inheritdoc/>
    public void ReadState(IReadOnlyDictionary<string, string> state) => Schedule.LoadState(state);
}
