namespace Dendrite.Optim.Schedules;

/// <summary>Inverse-time decay (Keras's <c>InverseTimeDecay</c>): the rate falls as 1/t.</summary>
/// <remarks>α_t = α₀ / (1 + decay · t / decaySteps), with ⌊t / decaySteps⌋ in place of
/// t / decaySteps when <c>staircase</c> is set.</remarks>
public sealed class InverseTimeDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="initialLearningRate">α₀.</param>
    /// <param name="decay">The decay rate (≥ 0); α halves after decaySteps/decay steps.</param>
    /// <param name="decaySteps">The unit of t (≥ 1).</param>
    /// <param name="staircase">Decay in whole units of decaySteps only.</param>
    public InverseTimeDecay(float initialLearningRate, float decay, long decaySteps = 1, bool staircase = false) : base(initialLearningRate)
    {
        Decay = ScheduleChecks.NonNegative(nameof(InverseTimeDecay), nameof(decay), decay);
        DecaySteps = ScheduleChecks.Positive(nameof(InverseTimeDecay), nameof(decaySteps), decaySteps);
        Staircase = staircase;
        _decay = ScheduleChecks.Exact(decay);
    }

    private readonly double _decay;

    /// <summary>The decay rate.</summary>
    public float Decay { get; }

    /// <summary>The unit of t.</summary>
    public long DecaySteps { get; }

    /// <summary>Whether t / decaySteps is rounded down.</summary>
    public bool Staircase { get; }

    /// <inheritdoc/>
    public override float LearningRate(long step)
    {
        CheckStep(step);
        double units = Staircase ? step / DecaySteps : step / (double)DecaySteps;
        return (float)(Initial / (1.0 + _decay * units));
    }
}
