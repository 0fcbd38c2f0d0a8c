namespace Dendrite.Optim.Schedules;

/// <summary>How <see cref="FixedThenDecay"/> decreases the rate after the fixed phase.</summary>
public enum DecayShape
{
    /// <summary>A straight line from α₀ to the final rate over the decay steps, then the final rate.</summary>
    Linear,

    /// <summary>α₀ / (1 + (t − k)/decaySteps): halved after decaySteps more steps, never below the final rate.</summary>
    InverseTime,
}

/// <summary>
/// The seeds' "keep the learning rate fixed, then decrease it steadily": α₀ for the first k steps,
/// then a linear or 1/t decrease towards a final rate.
/// </summary>
/// <remarks>
/// Linear (Goodfellow et al., Deep Learning §8.3.1): α_t = α₀ for t ≤ k;
/// α_t = α₀ + (α_end − α₀)·(t − k)/D for k &lt; t &lt; k + D; α_end afterwards.
/// Inverse time: α_t = max(α_end, α₀ / (1 + (t − k)/D)) for t &gt; k.
/// </remarks>
public sealed class FixedThenDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="initialLearningRate">α₀, kept for the first <paramref name="fixedSteps"/> steps.</param>
    /// <param name="fixedSteps">k (≥ 0).</param>
    /// <param name="decaySteps">D (≥ 1): the length of the linear decay, or the half-life unit of the 1/t decay.</param>
    /// <param name="finalLearningRate">α_end (≤ α₀).</param>
    /// <param name="shape">Linear or inverse-time decrease.</param>
    public FixedThenDecay(float initialLearningRate, long fixedSteps, long decaySteps, float finalLearningRate = 0f, DecayShape shape = DecayShape.Linear)
        : base(initialLearningRate)
    {
        FixedSteps = ScheduleChecks.NonNegative(nameof(FixedThenDecay), nameof(fixedSteps), fixedSteps);
        DecaySteps = ScheduleChecks.Positive(nameof(FixedThenDecay), nameof(decaySteps), decaySteps);
        FinalLearningRate = ScheduleChecks.NonNegative(nameof(FixedThenDecay), nameof(finalLearningRate), finalLearningRate);
        if (finalLearningRate > initialLearningRate)
            throw new ArgumentOutOfRangeException(nameof(finalLearningRate), finalLearningRate,
                $"FixedThenDecay: finalLearningRate ({ScheduleChecks.F(finalLearningRate)}) must not exceed initialLearningRate ({ScheduleChecks.F(initialLearningRate)}); use LinearWarmup to increase a rate.");
        if (!Enum.IsDefined(shape)) throw new ArgumentOutOfRangeException(nameof(shape), shape, $"FixedThenDecay: unknown decay shape {shape}.");
        Shape = shape;
        _final = ScheduleChecks.Exact(finalLearningRate);
    }

    private readonly double _final;

    /// <summary>k.</summary>
    public long FixedSteps { get; }

    /// <summary>D.</summary>
    public long DecaySteps { get; }

    /// <summary>α_end.</summary>
    public float FinalLearningRate { get; }

    /// <summary>Linear or inverse time.</summary>
    public DecayShape Shape { get; }

    /// <inheritdoc/>
    public override float LearningRate(long step)
    {
        CheckStep(step);
        if (step <= FixedSteps) return InitialLearningRate;
        double since = step - FixedSteps;
        if (Shape == DecayShape.Linear)
        {
            if (since >= DecaySteps) return FinalLearningRate;
            return (float)(Initial + (_final - Initial) * since / DecaySteps);
        }
        return (float)Math.Max(_final, Initial / (1.0 + since / DecaySteps));
    }
}
