namespace Dendrite.Optim.Schedules;

/// <summary>
/// Polynomial decay to a final rate over a fixed number of steps (PyTorch's <c>PolynomialLR</c>
/// when the final rate is 0; Keras's <c>PolynomialDecay</c>); constant afterwards.
/// </summary>
/// <remarks>α_t = (α₀ − α_end) · (1 − min(t, T)/T)^power + α_end. Power 1 is a linear decay.</remarks>
public sealed class PolynomialDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="initialLearningRate">α₀.</param>
    /// <param name="totalSteps">T, the steps over which the rate decays (≥ 1).</param>
    /// <param name="power">The exponent (&gt; 0; 1 is linear).</param>
    /// <param name="endLearningRate">α_end, reached at step T and kept.</param>
    public PolynomialDecay(float initialLearningRate, long totalSteps, float power = 1f, float endLearningRate = 0f) : base(initialLearningRate)
    {
        TotalSteps = ScheduleChecks.Positive(nameof(PolynomialDecay), nameof(totalSteps), totalSteps);
        Power = ScheduleChecks.Positive(nameof(PolynomialDecay), nameof(power), power);
        EndLearningRate = ScheduleChecks.NonNegative(nameof(PolynomialDecay), nameof(endLearningRate), endLearningRate);
        _power = ScheduleChecks.Exact(power);
        _end = ScheduleChecks.Exact(endLearningRate);
    }

    private readonly double _power, _end;

    /// <summary>T.</summary>
    public long TotalSteps { get; }

    /// <summary>The exponent.</summary>
    public float Power { get; }

    /// <summary>α_end.</summary>
    public float EndLearningRate { get; }

    /// <inheritdoc/>
    public override float LearningRate(long step)
    {
        CheckStep(step);
        double remaining = 1.0 - Math.Min(step, TotalSteps) / (double)TotalSteps;
        return (float)((Initial - _end) * Math.Pow(remaining, _power) + _end);
    }
}
