namespace Dendrite.Optim.Schedules;

/// <summary>
/// Exponential decay (PyTorch's <c>ExponentialLR</c>): the rate is multiplied by γ at every step, as
/// in the seeds' "decrease the learning rate by a factor of 0.998 each epoch".
/// </summary>
/// <remarks>α_t = α₀ · γ^t.</remarks>
public sealed class ExponentialDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="initialLearningRate">α₀.</param>
    /// <param name="gamma">The factor γ per step, in [0, 1] (0.998 in the seeds).</param>
    public ExponentialDecay(float initialLearningRate, float gamma) : base(initialLearningRate)
    {
        Gamma = ScheduleChecks.Fraction(nameof(ExponentialDecay), nameof(gamma), gamma, excludeOne: false);
        _gamma = ScheduleChecks.Exact(gamma);
    }

    private readonly double _gamma;

    /// <summary>The factor γ per step.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    public override float LearningRate(long step)
    {
        CheckStep(step);
        return (float)(Initial * Math.Pow(_gamma, step));
    }
}
