namespace Dendrite.Optim.Schedules;

/// <summary>
/// A linear warm-up in front of another schedule: the rate climbs from a fraction of the inner
/// schedule's initial rate to the full rate over the warm-up steps, then the inner schedule runs
/// from its own step 0. Around a <see cref="ConstantSchedule"/> it is PyTorch's <c>LinearLR</c>
/// with <c>end_factor = 1</c>.
/// </summary>
/// <remarks>
/// α_t = α_inner(0)·(f₀ + (1 − f₀)·t/W) for t &lt; W; α_t = α_inner(t − W) afterwards,
/// with f₀ the start factor and W the warm-up steps.
/// </remarks>
public sealed class LinearWarmup : LearningRateSchedule
{
    /// <summary>Creates the warm-up.</summary>
    /// <param name="inner">The schedule that follows the warm-up (its own counter is not used).</param>
    /// <param name="warmupSteps">W (≥ 1).</param>
    /// <param name="startFactor">f₀ in [0, 1]: the fraction of the rate at step 0.</param>
    public LinearWarmup(LearningRateSchedule inner, long warmupSteps, float startFactor = 0f)
        : base((inner ?? throw new ArgumentNullException(nameof(inner))).InitialLearningRate)
    {
        Inner = inner;
        WarmupSteps = ScheduleChecks.Positive(nameof(LinearWarmup), nameof(warmupSteps), warmupSteps);
        StartFactor = ScheduleChecks.Fraction(nameof(LinearWarmup), nameof(startFactor), startFactor, excludeOne: false);
        _startFactor = ScheduleChecks.Exact(startFactor);
        _innerStart = ScheduleChecks.Exact(inner.LearningRate(0));
    }

    private readonly double _startFactor, _innerStart;

    /// <summary>The schedule after the warm-up.</summary>
    public LearningRateSchedule Inner { get; }

    /// <summary>W.</summary>
    public long WarmupSteps { get; }

    /// <summary>f₀.</summary>
    public float StartFactor { get; }

    /// <inheritdoc/>
    public override float LearningRate(long step)
    {
        CheckStep(step);
        if (step >= WarmupSteps) return Inner.LearningRate(step - WarmupSteps);
        double factor = _startFactor + (1.0 - _startFactor) * step / WarmupSteps;
        return (float)(_innerStart * factor);
    }
}
