using System.Globalization;

namespace Dendrite.Optim.Schedules;

/// <summary>Whether <see cref="ReduceOnPlateau"/> watches a metric that should fall (a loss) or rise (an accuracy).</summary>
public enum PlateauMode
{
    /// <summary>Lower is better (a loss).</summary>
    Min,

    /// <summary>Higher is better (an accuracy).</summary>
    Max,
}

/// <summary>How <see cref="ReduceOnPlateau"/> decides that a metric improved.</summary>
public enum ThresholdMode
{
    /// <summary>Relative: better than best·(1 − threshold) (min) or best·(1 + threshold) (max).</summary>
    Relative,

    /// <summary>Absolute: better than best − threshold (min) or best + threshold (max).</summary>
    Absolute,
}

/// <summary>
/// Reduces the learning rate when a watched metric (usually the validation loss) stops improving,
/// as PyTorch's <c>ReduceLROnPlateau</c>: after more than <c>patience</c> reports without
/// improvement the rate is multiplied by <c>factor</c> (not below <c>minLearningRate</c>), then
/// <c>cooldown</c> reports pass before bad reports count again.
/// </summary>
/// <remarks>
/// Per <see cref="Step(double)"/>: if the metric beats the best so far by the threshold, it becomes the
/// best and the count of bad reports resets, else the count grows; during cooldown the count stays 0;
/// when the count exceeds the patience, α ← max(α·factor, α_min) (changed only when that moves α
/// by more than ε), the cooldown starts and the count resets.
/// </remarks>
public sealed class ReduceOnPlateau : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="initialLearningRate">α₀.</param>
    /// <param name="mode">Whether the metric should fall or rise.</param>
    /// <param name="factor">The reduction factor, in [0, 1).</param>
    /// <param name="patience">Reports without improvement tolerated before reducing (≥ 0).</param>
    /// <param name="threshold">The least improvement that counts (≥ 0).</param>
    /// <param name="thresholdMode">Relative (torch's default "rel") or absolute improvement.</param>
    /// <param name="cooldown">Reports to wait after a reduction before counting again (≥ 0).</param>
    /// <param name="minLearningRate">The lowest rate (≥ 0).</param>
    /// <param name="epsilon">Reductions smaller than this are skipped.</param>
    public ReduceOnPlateau(float initialLearningRate, PlateauMode mode = PlateauMode.Min, float factor = 0.1f, int patience = 10,
        float threshold = 1e-4f, ThresholdMode thresholdMode = ThresholdMode.Relative, int cooldown = 0, float minLearningRate = 0f, float epsilon = 1e-8f)
    {
        const string Name = nameof(ReduceOnPlateau);
        InitialLearningRate = ScheduleChecks.NonNegative(Name, nameof(initialLearningRate), initialLearningRate);
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, $"{Name}: unknown mode {mode}.");
        if (!Enum.IsDefined(thresholdMode)) throw new ArgumentOutOfRangeException(nameof(thresholdMode), thresholdMode, $"{Name}: unknown threshold mode {thresholdMode}.");
        Factor = ScheduleChecks.Fraction(Name, nameof(factor), factor, excludeOne: true);
        Patience = (int)ScheduleChecks.NonNegative(Name, nameof(patience), patience);
        Threshold = ScheduleChecks.NonNegative(Name, nameof(threshold), threshold);
        Cooldown = (int)ScheduleChecks.NonNegative(Name, nameof(cooldown), cooldown);
        MinLearningRate = ScheduleChecks.NonNegative(Name, nameof(minLearningRate), minLearningRate);
        Epsilon = ScheduleChecks.NonNegative(Name, nameof(epsilon), epsilon);
        Mode = mode;
        ThresholdKind = thresholdMode;
        CurrentLearningRate = initialLearningRate;
        Best = mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <inheritdoc/>
    public float InitialLearningRate { get; }

    /// <inheritdoc/>
    public float CurrentLearningRate { get; private set; }

    /// <summary>Whether the metric should fall or rise.</summary>
    public PlateauMode Mode { get; }

    /// <summary>The reduction factor.</summary>
    public float Factor { get; }

    /// <summary>Reports without improvement tolerated.</summary>
    public int Patience { get; }

    /// <summary>The least improvement that counts.</summary>
    public float Threshold { get; }

    /// <summary>Relative or absolute threshold.</summary>
    public ThresholdMode ThresholdKind { get; }

    /// <summary>Reports to wait after a reduction.</summary>
    public int Cooldown { get; }

    /// <summary>The lowest rate.</summary>
    public float MinLearningRate { get; }

    /// <summary>Smallest reduction applied.</summary>
    public float Epsilon { get; }

    /// <summary>The best metric so far (±∞ before the first report).</summary>
    public double Best { get; private set; }

    /// <summary>Reports since the last improvement (0 during cooldown).</summary>
    public int BadReports { get; private set; }

    /// <summary>Reports left before bad reports count again.</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>Number of reports so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>Reports the metric (once per epoch, usually); returns the rate to use from now on.</summary>
    public float Step(double metric)
    {
        StepCount++;
        if (IsBetter(metric))
        {
            Best = metric;
            BadReports = 0;
        }
        else
        {
            BadReports++;
        }
        if (CooldownCounter > 0)
        {
            CooldownCounter--;
            BadReports = 0;
        }
        if (BadReports > Patience)
        {
            float reduced = Math.Max(CurrentLearningRate * Factor, MinLearningRate);
            if (CurrentLearningRate - reduced > Epsilon) CurrentLearningRate = reduced;
            CooldownCounter = Cooldown;
            BadReports = 0;
        }
        return CurrentLearningRate;
    }

    private bool IsBetter(double metric) => (Mode, ThresholdKind) switch
    {
        (PlateauMode.Min, ThresholdMode.Relative) => metric < Best * (1.0 - Threshold),
        (PlateauMode.Min, ThresholdMode.Absolute) => metric < Best - Threshold,
        (PlateauMode.Max, ThresholdMode.Relative) => metric > Best * (1.0 + Threshold),
        _ => metric > Best + Threshold,
    };

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> GetState() => new Dictionary<string, string>
    {
        ["schedule"] = nameof(ReduceOnPlateau),
        ["learning_rate"] = CurrentLearningRate.ToString("R", CultureInfo.InvariantCulture),
        ["best"] = Best.ToString("R", CultureInfo.InvariantCulture),
        ["bad_reports"] = BadReports.ToString(CultureInfo.InvariantCulture),
        ["cooldown_counter"] = CooldownCounter.ToString(CultureInfo.InvariantCulture),
        ["step"] = StepCount.ToString(CultureInfo.InvariantCulture),
    };

    /// <inheritdoc/>
    public void LoadState(IReadOnlyDictionary<string, string> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ScheduleChecks.RequireKind(nameof(ReduceOnPlateau), state);
        string Get(string key) => state.TryGetValue(key, out string? v) ? v : throw new FormatException($"ReduceOnPlateau.LoadState: the state has no '{key}'.");
        CurrentLearningRate = float.Parse(Get("learning_rate"), NumberStyles.Float, CultureInfo.InvariantCulture);
        Best = double.Parse(Get("best"), NumberStyles.Float, CultureInfo.InvariantCulture);
        BadReports = int.Parse(Get("bad_reports"), CultureInfo.InvariantCulture);
        CooldownCounter = int.Parse(Get("cooldown_counter"), CultureInfo.InvariantCulture);
        StepCount = long.Parse(Get("step"), CultureInfo.InvariantCulture);
    }
}
