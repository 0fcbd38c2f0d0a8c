using System.Globalization;
using Dendrite.IO;
using Dendrite.Optim;
using Dendrite.Tensors;
using Dendrite.Training.Callbacks;

namespace Dendrite.Training;

/// <summary>A callback whose state must survive a checkpoint for a resumed run to continue exactly (schedulers).</summary>
public interface ICheckpointState
{
    /// <summary>Writes the state as strings.</summary>
    void WriteState(IDictionary<string, string> state);

    /// <summary>Restores a state written by <see cref="WriteState"/>.</summary>
    void ReadState(IReadOnlyDictionary<string, string> state);
}

/// <summary>
/// A training checkpoint in one safetensors file: the model's weights and buffers (<c>model.*</c>),
/// the optimiser's state (<c>optimizer.*</c>), and in the metadata the epochs done, the history,
/// the learning-rate schedule, stateful callbacks, and the random generators (shuffling and the
/// thread's default, which dropout draws from). <c>Trainer.Fit</c> with <c>resumeFrom</c>
/// continues bit for bit as the uninterrupted run would have. Written atomically.
/// </summary>
public static class Checkpoint
{
    private const string ModelPrefix = "model.";
    private const string SchedulePrefix = "schedule.";

    /// <summary>
    /// Writes a checkpoint of <paramref name="context"/> after <paramref name="completedEpochs"/> epochs;
    /// <paramref name="currentLogs"/> are the logs of the epoch just ending when the history does not hold them yet
    /// (callbacks run before the history records an epoch).
    /// </summary>
    public static void Save(string path, TrainingContext context, int completedEpochs, IReadOnlyDictionary<string, double>? currentLogs = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        History history = context.History;
        if (currentLogs is not null && history.Epochs < completedEpochs)
        {
            history = History.FromJson(history.ToJson());
            history.Add(currentLogs);
        }
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "dendrite-checkpoint",
            ["epoch"] = completedEpochs.ToString(CultureInfo.InvariantCulture),
            ["history"] = history.ToJson(),
            ["rng.shuffle"] = Format(context.Trainer.ShuffleGenerator.GetState()),
            ["rng.default"] = Format(RandomGenerator.Default.GetState()),
        };
        foreach (var (name, tensor) in context.Model.StateDict()) tensors[ModelPrefix + name] = tensor;
        context.Optimizer.GetState().AddTo(tensors, metadata);
        if (context.Optimizer.LearningRateSchedule is { } schedule)
            foreach (var (key, value) in schedule.GetState()) metadata[SchedulePrefix + key] = value;
        for (int i = 0; i < context.Callbacks.Count; i++)
            if (context.Callbacks[i] is ICheckpointState stateful)
            {
                var state = new Dictionary<string, string>();
                stateful.WriteState(state);
                foreach (var (key, value) in state) metadata[$"callback.{i}.{key}"] = value;
            }
        Safetensors.Save(path, tensors, metadata);
    }

    /// <summary>Loads a checkpoint into <paramref name="trainer"/>'s model and optimiser, the history and the generators; returns the number of epochs already done.</summary>
    internal static int Restore(string path, Trainer trainer, History history, IReadOnlyList<Callback> callbacks)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"No checkpoint at {path} to resume from.", path);
        SafetensorsFile file = Safetensors.Load(path);
        var metadata = file.Metadata;
        if (!metadata.TryGetValue("format", out string? format) || format != "dendrite-checkpoint")
            throw new FormatException($"{path} is not a Dendrite training checkpoint (its metadata has no format \"dendrite-checkpoint\").");
        var modelState = file.Tensors.Where(kv => kv.Key.StartsWith(ModelPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[ModelPrefix.Length..], kv => kv.Value, StringComparer.Ordinal);
        trainer.Model.LoadStateDict(modelState, strict: true);
        trainer.Optimizer.LoadState(OptimizerState.FromPrefixed(file.Tensors, metadata));
        if (trainer.Optimizer.LearningRateSchedule is { } schedule)
            schedule.LoadState(metadata.Where(kv => kv.Key.StartsWith(SchedulePrefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[SchedulePrefix.Length..], kv => kv.Value));
        for (int i = 0; i < callbacks.Count; i++)
            if (callbacks[i] is ICheckpointState stateful)
            {
                string prefix = $"callback.{i}.";
                stateful.ReadState(metadata.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value));
            }
        trainer.ShuffleGenerator.SetState(Parse(Require(metadata, "rng.shuffle", path)));
        RandomGenerator.Default.SetState(Parse(Require(metadata, "rng.default", path)));
        History saved = History.FromJson(Require(metadata, "history", path));
        int epochs = int.Parse(Require(metadata, "epoch", path), CultureInfo.InvariantCulture);
        for (int e = 0; e < Math.Min(epochs, saved.Epochs); e++)
            history.Add(saved.Keys.ToDictionary(k => k, k => saved[k][e]));
        return epochs;
    }

    private static string Require(IReadOnlyDictionary<string, string> metadata, string key, string path) =>
        metadata.TryGetValue(key, out string? value) ? value : throw new FormatException($"Checkpoint {path} lacks '{key}' in its metadata.");

    /// <summary>A generator state as six comma-separated fields.</summary>
    public static string Format(RandomGeneratorState state) => string.Join(',',
        state.S0.ToString(CultureInfo.InvariantCulture), state.S1.ToString(CultureInfo.InvariantCulture),
        state.S2.ToString(CultureInfo.InvariantCulture), state.S3.ToString(CultureInfo.InvariantCulture),
        state.HasSpareNormal ? "1" : "0", BitConverter.SingleToInt32Bits(state.SpareNormal).ToString(CultureInfo.InvariantCulture));

    /// <summary>Reads a generator state written by <see cref="Format"/>.</summary>
    public static RandomGeneratorState Parse(string text)
    {
        string[] parts = text.Split(',');
        if (parts.Length != 6) throw new FormatException($"A random generator state has six fields; got '{text}'.");
        return new RandomGeneratorState(
            ulong.Parse(parts[0], CultureInfo.InvariantCulture), ulong.Parse(parts[1], CultureInfo.InvariantCulture),
            ulong.Parse(parts[2], CultureInfo.InvariantCulture), ulong.Parse(parts[3], CultureInfo.InvariantCulture),
            parts[4] == "1", BitConverter.Int32BitsToSingle(int.Parse(parts[5], CultureInfo.InvariantCulture)));
    }
}
