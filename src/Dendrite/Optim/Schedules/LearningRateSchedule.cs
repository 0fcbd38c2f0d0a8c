using System.Globalization;

namespace Dendrite.Optim.Schedules;

/// <summary>
/// Anything an optimiser can take its learning rate from (<see cref="Optimizer.LearningRateSchedule"/>):
/// a step-based <see cref="LearningRateSchedule"/> or the metric-driven <see cref="ReduceOnPlateau"/>.
/// The optimiser only reads <see cref="CurrentLearningRate"/>; whoever drives training (the trainer,
/// a callback, your loop) advances the schedule per batch or per epoch.
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>The rate at the start (step 0).</summary>
    float InitialLearningRate { get; }

    /// <summary>The rate to use now.</summary>
    float CurrentLearningRate { get; }

    /// <summary>The schedule's state as strings (its type under <c>schedule</c>), for checkpoints.</summary>
    IReadOnlyDictionary<string, string> GetState();

    /// <summary>Restores a state written by <see cref="GetState"/> of the same kind of schedule.</summary>
    void LoadState(IReadOnlyDictionary<string, string> state);
}

/// <summary>
/// A learning rate as a function of the step count: <see cref="LearningRate(long)"/> is pure (the rate
/// at any step), and <see cref="Step"/> advances the schedule's own counter, whose rate is
/// <see cref="CurrentLearningRate"/>. Whether a step is a batch or an epoch is the caller's choice.
/// </summary>
/// <remarks>
/// Step counting follows PyTorch's schedulers: a fresh schedule is at step 0 and gives the initial
/// rate; each <see cref="Step"/> (torch's <c>scheduler.step()</c>) moves to the next step.
/// </remarks>
public abstract class LearningRateSchedule : ILearningRateSchedule
{
    /// <summary>Checks and stores the initial learning rate.</summary>
    protected LearningRateSchedule(float initialLearningRate)
    {
        InitialLearningRate = ScheduleChecks.NonNegative(GetType().Name, nameof(initialLearningRate), initialLearningRate);
        Initial = ScheduleChecks.Exact(initialLearningRate);
    }

    /// <summary>The initial rate as the double it was written as (see the schedules' arithmetic, done in double as PyTorch's).</summary>
    protected double Initial { get; }

    /// <inheritdoc/>
    public float InitialLearningRate { get; }

    /// <summary>Steps taken so far (0 for a fresh schedule).</summary>
    public long StepCount { get; private set; }

    /// <summary>The learning rate at <paramref name="step"/> (≥ 0); depends on nothing else.</summary>
    public abstract float LearningRate(long step);

    /// <summary>The learning rate at <see cref="StepCount"/>.</summary>
    public float CurrentLearningRate => LearningRate(StepCount);

    /// <summary>Advances one step (a batch or an epoch, as the caller decides); returns the new current rate.</summary>
    public float Step()
    {
        StepCount++;
        return CurrentLearningRate;
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> GetState() => new Dictionary<string, string>
    {
        ["schedule"] = GetType().Name,
        ["step"] = StepCount.ToString(CultureInfo.InvariantCulture),
    };

    /// <inheritdoc/>
    public void LoadState(IReadOnlyDictionary<string, string> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ScheduleChecks.RequireKind(GetType().Name, state);
        if (!state.TryGetValue("step", out string? text) || !long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long step) || step < 0)
            throw new FormatException($"{GetType().Name}.LoadState: the state needs a non-negative whole 'step'.");
        StepCount = step;
    }

    /// <summary>Checks a step argument.</summary>
    protected void CheckStep(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, $"{GetType().Name}.LearningRate: the step must be non-negative; got {step}.");
    }
}

/// <summary>Argument checks shared by the schedules; messages name the schedule, the argument and the value.</summary>
internal static class ScheduleChecks
{
    public static float NonNegative(string owner, string name, float value)
    {
        if (!(value >= 0f) || !float.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"{owner}: {name} must be finite and non-negative; got {F(value)}.");
        return value;
    }

    public static float Positive(string owner, string name, float value)
    {
        if (!(value > 0f) || !float.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"{owner}: {name} must be finite and positive; got {F(value)}.");
        return value;
    }

    public static long Positive(string owner, string name, long value)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"{owner}: {name} must be at least 1; got {value}.");
        return value;
    }

    public static long NonNegative(string owner, string name, long value)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(name, value, $"{owner}: {name} must be non-negative; got {value}.");
        return value;
    }

    /// <summary>A value in [0, 1] (or [0, 1) when <paramref name="excludeOne"/>).</summary>
    public static float Fraction(string owner, string name, float value, bool excludeOne)
    {
        bool ok = value >= 0f && (excludeOne ? value < 1f : value <= 1f);
        if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{owner}: {name} must be in [0, 1{(excludeOne ? ")" : "]")}; got {F(value)}.");
        return value;
    }

    public static void RequireKind(string owner, IReadOnlyDictionary<string, string> state)
    {
        if (!state.TryGetValue("schedule", out string? kind) || kind != owner)
            throw new FormatException($"{owner}.LoadState: the state belongs to a '{kind ?? "(unnamed)"}' schedule, not {owner}.");
    }

    public static string F(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// The decimal a float argument was most likely written as, as a double: 0.998f is
    /// 0.99800002574..., whose 1000th power is 2.6e-5 away (relative) from 0.998^1000. Parsing the
    /// float's shortest round-trip text gives 0.998 exactly as PyTorch's Python floats hold it.
    /// </summary>
    public static double Exact(float value) => double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
