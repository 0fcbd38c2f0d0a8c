using System.Globalization;

namespace Dendrite.Optim.Schedules;

/// <summary>
/// A momentum that rises linearly and then stays (Hinton et al. 2012, "Improving neural networks by
/// preventing co-adaptation of feature detectors": 0.5 rising to 0.99 over the first 500 epochs).
/// A plain object like the learning-rate schedules: advance it per step or epoch and give its value
/// to the optimiser (<c>sgd.Momentum = schedule.Step()</c>).
/// </summary>
/// <remarks>β_t = β₀ + (β_end − β₀)·min(t, T)/T.</remarks>
public sealed class MomentumSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="rampSteps">T, the steps over which momentum rises (≥ 1).</param>
    /// <param name="initialMomentum">β₀ in [0, 1).</param>
    /// <param name="finalMomentum">β_end in [0, 1).</param>
    public MomentumSchedule(long rampSteps, float initialMomentum = 0.5f, float finalMomentum = 0.99f)
    {
        RampSteps = ScheduleChecks.Positive(nameof(MomentumSchedule), nameof(rampSteps), rampSteps);
        InitialMomentum = ScheduleChecks.Fraction(nameof(MomentumSchedule), nameof(initialMomentum), initialMomentum, excludeOne: true);
        FinalMomentum = ScheduleChecks.Fraction(nameof(MomentumSchedule), nameof(finalMomentum), finalMomentum, excludeOne: true);
    }

    /// <summary>T.</summary>
    public long RampSteps { get; }

    /// <summary>β₀.</summary>
    public float InitialMomentum { get; }

    /// <summary>β_end.</summary>
    public float FinalMomentum { get; }

    /// <summary>Steps taken so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>The momentum at <paramref name="step"/> (pure).</summary>
    public float Momentum(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, $"MomentumSchedule.Momentum: the step must be non-negative; got {step}.");
        return (float)(InitialMomentum + (FinalMomentum - (double)InitialMomentum) * Math.Min(step, RampSteps) / RampSteps);
    }

    /// <summary>The momentum at <see cref="StepCount"/>.</summary>
    public float CurrentMomentum => Momentum(StepCount);

    /// <summary>Advances one step; returns the new current momentum.</summary>
    public float Step()
    {
        StepCount++;
        return CurrentMomentum;
    }

    /// <summary>The state as strings, for checkpoints.</summary>
    public IReadOnlyDictionary<string, string> GetState() => new Dictionary<string, string>
    {
        ["schedule"] = nameof(MomentumSchedule),
        ["step"] = StepCount.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Restores a state written by <see cref="GetState"/>.</summary>
    public void LoadState(IReadOnlyDictionary<string, string> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ScheduleChecks.RequireKind(nameof(MomentumSchedule), state);
        if (!state.TryGetValue("step", out string? text) || !long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long step) || step < 0)
            throw new FormatException("MomentumSchedule.LoadState: the state needs a non-negative whole 'step'.");
        StepCount = step;
    }
}
