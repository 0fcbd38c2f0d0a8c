namespace Dendrite.Optim.Schedules;

/// <summary>
/// The one-cycle policy (Smith and Topin 2018, "Super-Convergence"), as PyTorch's
/// <c>OneCycleLR</c> with cosine annealing and two phases: the rate rises from max/divFactor to
/// the maximum over the first <c>pctStart</c> of the run, then falls to
/// max/(divFactor·finalDivFactor) at the last step.
/// </summary>
/// <remarks>
/// With T the total steps, the phases end at steps e₁ = pctStart·T − 1 and e₂ = T − 1; within a
/// phase from a to b over [s, e], α_t = b + (a − b)·(1 + cos(π·(t − s)/(e − s)))/2. Steps past T − 1
/// continue the last phase's formula, as torch's does not allow them; keep to T steps.
/// </remarks>
public sealed class OneCycle : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="maxLearningRate">The peak rate.</param>
    /// <param name="totalSteps">T (≥ 2).</param>
    /// <param name="pctStart">The fraction of T spent rising, in (0, 1).</param>
    /// <param name="divFactor">initial rate = max / divFactor (&gt; 0).</param>
    /// <param name="finalDivFactor">final rate = initial / finalDivFactor (&gt; 0).</param>
    public OneCycle(float maxLearningRate, long totalSteps, float pctStart = 0.3f, float divFactor = 25f, float finalDivFactor = 1e4f)
        : base(maxLearningRate / ScheduleChecks.Positive(nameof(OneCycle), nameof(divFactor), divFactor))
    {
        MaxLearningRate = ScheduleChecks.NonNegative(nameof(OneCycle), nameof(maxLearningRate), maxLearningRate);
        if (totalSteps < 2) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"OneCycle: totalSteps must be at least 2; got {totalSteps}.");
        if (!(pctStart > 0f && pctStart < 1f)) throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, $"OneCycle: pctStart must be in (0, 1); got {ScheduleChecks.F(pctStart)}.");
        TotalSteps = totalSteps;
        PctStart = pctStart;
        DivFactor = divFactor;
        FinalDivFactor = ScheduleChecks.Positive(nameof(OneCycle), nameof(finalDivFactor), finalDivFactor);
        (_max, _divFactor, _finalDivFactor, _pctStart) = (ScheduleChecks.Exact(maxLearningRate), ScheduleChecks.Exact(divFactor),
            ScheduleChecks.Exact(finalDivFactor), ScheduleChecks.Exact(pctStart));
    }

    private readonly double _max, _divFactor, _finalDivFactor, _pctStart;

    /// <summary>The peak rate.</summary>
    public float MaxLearningRate { get; }

    /// <summary>T.</summary>
    public long TotalSteps { get; }

    /// <summary>The rising fraction.</summary>
    public float PctStart { get; }

    /// <summary>max / initial.</summary>
    public float DivFactor { get; }

    /// <summary>initial / final.</summary>
    public float FinalDivFactor { get; }

    /// <inheritdoc/>
    public override float LearningRate(long step)
    {
        CheckStep(step);
        // As torch: the arithmetic in double.
        double max = _max, initial = max / _divFactor, final = initial / _finalDivFactor;
        double firstEnd = _pctStart * TotalSteps - 1, lastEnd = TotalSteps - 1;
        return step <= firstEnd
            ? (float)Cosine(initial, max, step / firstEnd)
            : (float)Cosine(max, final, (step - firstEnd) / (lastEnd - firstEnd));
    }

    private static double Cosine(double start, double end, double fraction) => end + (start - end) / 2.0 * (Math.Cos(Math.PI * fraction) + 1);
}
