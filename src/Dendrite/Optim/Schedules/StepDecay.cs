namespace Dendrite.Optim.Schedules;

/// <summary>
/// Step decay (PyTorch's <c>StepLR</c>): the rate is multiplied by γ every <c>stepSize</c> steps.
/// </summary>
/// <remarks>α_t = α₀ · γ^⌊t / stepSize⌋. With stepSize = 30 epochs and γ = 0.1, the classic
/// "divide by ten every 30 epochs".</remarks>
public sealed class StepDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="initialLearningRate">α₀.</param>
    /// <param name="stepSize">Steps between decays (≥ 1).</param>
    /// <param name="gamma">The factor γ applied at each decay, in [0, 1].</param>
    public StepDecay(float initialLearningRate, long stepSize, float gamma = 0.1f) : base(initialLearningRate)
    {
        StepSize = ScheduleChecks.Positive(nameof(StepDecay), nameof(stepSize), stepSize);
        Gamma = ScheduleChecks.Fraction(nameof(StepDecay), nameof(gamma), gamma, excludeOne: false);
        _gamma = ScheduleChecks.Exact(gamma);
    }

    private readonly double _gamma;

    /// <summary>Steps between decays.</summary>
    public long StepSize { get; }

    /// <summary>The decay factor γ.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    public override float LearningRate(long step)
    {
        CheckStep(step);
        return (float)(Initial * Math.Pow(_gamma, step / StepSize));
    }
}
