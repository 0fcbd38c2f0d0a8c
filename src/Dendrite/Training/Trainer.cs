using Dendrite.Autograd;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Losses;
using Dendrite.Ops;
using Dendrite.Optim;
using Dendrite.Tensors;
using Dendrite.Training.Callbacks;
using Dendrite.Training.Metrics;

namespace Dendrite.Training;

/// <summary>
/// Fits a model to data with an optimiser and a loss, evaluates it and predicts with it. The loop in
/// <c>Fit</c> reads top to bottom; everything optional (early stopping, checkpoints, schedules,
/// progress, diagnostics) is a <see cref="Callback"/>.
/// </summary>
public sealed class Trainer
{
    private readonly List<Metric> _metrics;

    /// <summary>Creates a trainer; <paramref name="metrics"/> are computed on training batches and on validation data.</summary>
    public Trainer(Module model, Optimizer optimizer, Loss loss, IEnumerable<Metric>? metrics = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        Loss = loss ?? throw new ArgumentNullException(nameof(loss));
        _metrics = metrics?.ToList() ?? [];
    }

    /// <summary>The model trained.</summary>
    public Module Model { get; }

    /// <summary>The optimiser that updates it.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The training objective.</summary>
    public Loss Loss { get; }

    /// <summary>The metrics reported besides the loss.</summary>
    public IReadOnlyList<Metric> Metrics => _metrics;

    /// <summary>Whether the parameters' regularisation penalties are added to the loss being minimised (reported <c>loss</c> is the data loss).</summary>
    public bool AddRegularization { get; init; } = true;

    /// <summary>The generator that shuffles the training data (its state is part of a checkpoint).</summary>
    public RandomGenerator ShuffleGenerator { get; private set; } = new(0);

    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs and returns the per-epoch history.
    /// </summary>
    /// <param name="train">The training data.</param>
    /// <param name="epochs">Number of passes over the data (counting any epochs already done when resuming).</param>
    /// <param name="batchSize">Samples per step: 1 is online SGD, <see cref="DataLoader.FullBatch"/> the whole set.</param>
    /// <param name="validation">Data evaluated after each epoch (<c>val_loss</c>, <c>val_accuracy</c>, ...).</param>
    /// <param name="validationSplit">When no validation data is given, this share of <paramref name="train"/> is held out (randomly, from the seed).</param>
    /// <param name="callbacks">Observers and controllers of training.</param>
    /// <param name="seed">Seeds the shuffling (and the validation split).</param>
    /// <param name="shuffle">Whether each epoch visits the samples in a new random order.</param>
    /// <param name="dropLast">Whether to skip a last, smaller batch.</param>
    /// <param name="resumeFrom">A checkpoint written by <see cref="Checkpoint.Save"/> (e.g. through <see cref="ModelCheckpoint"/>) to continue from.</param>
    /// <param name="augment">Applied to every training batch (e.g. <see cref="ImageAugmentation.Apply"/>); never to validation data.</param>
    public History Fit(Dataset train, int epochs, int batchSize = 32, Dataset? validation = null, double validationSplit = 0,
        IEnumerable<Callback>? callbacks = null, long seed = 0, bool shuffle = true, bool dropLast = false, string? resumeFrom = null,
        Func<Batch, Batch>? augment = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), $"Fit: epochs must be non-negative; got {epochs}.");
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"Fit: batch size must be positive; got {batchSize}.");
        ShuffleGenerator = new RandomGenerator(seed);
        if (validation is null && validationSplit > 0)
            (train, validation) = Splits.TrainValidation(train, validationSplit, ShuffleGenerator.Split(), stratified: train.Task == PredictionTask.Classification);

        var history = new History();
        var callbackList = callbacks?.ToList() ?? [];
        int startEpoch = 0;
        if (resumeFrom is not null) startEpoch = Checkpoint.Restore(resumeFrom, this, history, callbackList);

        // The loop uses each batch only until the next one (metrics and callbacks get values, not the
        // batch), so the loader may gather into two reused sets of tensors instead of new ones.
        var loader = new DataLoader(train, Math.Min(batchSize, train.Count), shuffle, dropLast, ShuffleGenerator, transform: augment, reuseBuffers: true);
        return FitEpochs(loader, startEpoch, epochs, validation, history, callbackList);
    }

    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs on the batches of <paramref name="batches"/>, one
    /// enumeration per epoch, and returns the per-epoch history: the loop of
    /// <see cref="Fit(Dataset, int, int, Dataset?, double, IEnumerable{Callback}?, long, bool, bool, string?, Func{Batch, Batch}?)"/>
    /// for a source of batches of your choosing, such as a <see cref="PrioritySampler"/> (whose pools a
    /// callback may change between epochs) or a <see cref="DataLoader"/> you configured yourself.
    /// </summary>
    /// <param name="batches">The training batches; its sampling, order and randomness are its own.</param>
    /// <param name="epochs">Number of enumerations of <paramref name="batches"/>.</param>
    /// <param name="validation">Data evaluated after each epoch (<c>val_loss</c>, <c>val_accuracy</c>, ...).</param>
    /// <param name="callbacks">Observers and controllers of training.</param>
    public History Fit(IBatchSource batches, int epochs, Dataset? validation = null, IEnumerable<Callback>? callbacks = null)
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), $"Fit: epochs must be non-negative; got {epochs}.");
        return FitEpochs(batches, 0, epochs, validation, new History(), callbacks?.ToList() ?? []);
    }

    private History FitEpochs(IBatchSource batches, int startEpoch, int epochs, Dataset? validation, History history, List<Callback> callbackList)
    {
        var context = new TrainingContext(this, epochs, batches.BatchesPerEpoch, batches.SamplesPerEpoch, history, callbackList);

        foreach (var callback in callbackList) callback.OnTrainBegin(context);
        for (int epoch = startEpoch; epoch < epochs && !context.StopTraining; epoch++)
        {
            context.Epoch = epoch;
            foreach (var callback in callbackList) callback.OnEpochBegin(context, epoch);
            Model.Train();
            foreach (var metric in _metrics) metric.Reset();
            double lossSum = 0;
            long samples = 0;
            var batchLogs = new Dictionary<string, double>();

            foreach (Batch batch in batches)
            {
                foreach (var callback in callbackList) callback.OnBatchBegin(context, batch.Index);
                float batchLoss = TrainStep(batch);
                lossSum += (double)batchLoss * batch.Size;
                samples += batch.Size;
                batchLogs["loss"] = batchLoss;
                batchLogs["epoch_loss"] = lossSum / samples;
                foreach (var metric in _metrics) batchLogs[metric.Name] = metric.Result;
                foreach (var callback in callbackList) callback.OnBatchEnd(context, batch.Index, batchLogs);
                if (context.StopTraining) break;
            }

            var logs = new Dictionary<string, double> { ["loss"] = samples == 0 ? double.NaN : lossSum / samples };
            foreach (var metric in _metrics) logs[metric.Name] = metric.Result;
            if (validation is not null)
                foreach (var (key, value) in Evaluate(validation)) logs["val_" + key] = value;
            logs["lr"] = Optimizer.ParameterGroups.Count > 0 ? Optimizer.GroupLearningRate(Optimizer.ParameterGroups[0]) : Optimizer.LearningRate;
            foreach (var callback in callbackList) callback.OnEpochEnd(context, epoch, logs);
            history.Add(logs);
        }
        foreach (var callback in callbackList) callback.OnTrainEnd(context);
        return history;
    }

    /// <summary>One optimisation step on a batch; updates the training metrics and returns the batch's data loss.</summary>
    private float TrainStep(Batch batch)
    {
        if (Optimizer is FirstOrderOptimizer)
        {
            Optimizer.ZeroGrad();
            Tensor output = Model.Forward(batch.Features);
            Tensor loss = Loss.Compute(output, batch.Targets);
            float value = loss.Item();
            foreach (var metric in _metrics) metric.Update(output, batch.Targets);
            Tensor objective = Objective(loss);
            objective.Backward();
            Optimizer.Step();
            return value;
        }

        // Full-batch methods (conjugate gradient, L-BFGS, Newton) call the closure as often as their line search needs.
        float last = Optimizer.Step(() =>
        {
            Optimizer.ZeroGrad();
            Tensor loss = Objective(Loss.Compute(Model.Forward(batch.Features), batch.Targets));
            loss.Backward();
            return loss;
        });
        using (new NoGrad())
        {
            Tensor output = Model.Forward(batch.Features);
            foreach (var metric in _metrics) metric.Update(output, batch.Targets);
            return Loss.Compute(output, batch.Targets).Item();
        }
    }

    private Tensor Objective(Tensor dataLoss)
    {
        if (!AddRegularization) return dataLoss;
        Tensor? penalty = Model.RegularizationLoss();
        return penalty is null ? dataLoss : dataLoss + penalty;
    }

    /// <summary>The loss and every metric on <paramref name="data"/>, in evaluation mode without gradients.</summary>
    public IReadOnlyDictionary<string, double> Evaluate(Dataset data, int batchSize = 512)
    {
        ArgumentNullException.ThrowIfNull(data);
        bool wasTraining = Model.IsTraining;
        Model.Eval();
        try
        {
            foreach (var metric in _metrics) metric.Reset();
            double lossSum = 0;
            using var _ = new NoGrad();
            var loader = new DataLoader(data, Math.Min(batchSize, Math.Max(1, data.Count)), shuffle: false, prefetch: false, reuseBuffers: true);
            foreach (Batch batch in loader)
            {
                Tensor output = Model.Forward(batch.Features);
                lossSum += (double)Loss.Compute(output, batch.Targets).Item() * batch.Size;
                foreach (var metric in _metrics) metric.Update(output, batch.Targets);
            }
            var results = new Dictionary<string, double> { ["loss"] = data.Count == 0 ? double.NaN : lossSum / data.Count };
            foreach (var metric in _metrics) results[metric.Name] = metric.Result;
            return results;
        }
        finally
        {
            Model.Train(wasTraining);
        }
    }

    /// <summary>The model's outputs for every row of <paramref name="features"/>, computed in batches in evaluation mode without gradients.</summary>
    public Tensor Predict(Tensor features, int batchSize = 512) => Predict(Model, features, batchSize);

    /// <summary>The outputs of <paramref name="model"/> for every row of <paramref name="features"/>, in batches, in evaluation mode, without gradients.</summary>
    public static Tensor Predict(Module model, Tensor features, int batchSize = 512)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(features);
        if (features.Rank == 0) throw new ShapeMismatchException($"Predict needs a batch dimension; got a scalar.");
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            using var _ = new NoGrad();
            int count = features.Shape[0];
            var parts = new List<Tensor>();
            for (int start = 0; start < count; start += batchSize)
                parts.Add(model.Forward(features.Narrow(0, start, Math.Min(batchSize, count - start))).Contiguous());
            return parts.Count == 1 ? parts[0] : TensorOps.Concat(parts);
        }
        finally
        {
            model.Train(wasTraining);
        }
    }
}
