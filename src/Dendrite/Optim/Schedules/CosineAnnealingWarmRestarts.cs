namespace Dendrite.Optim.Schedules;

/// <summary>
/// Cosine annealing with warm restarts (SGDR, Loshchilov and Hutter 2017; PyTorch's
/// <c>CosineAnnealingWarmRestarts</c>): the rate follows half a cosine from α₀ down to η_min over
/// a period, then jumps back to α₀; each period is T_mult times longer than the one before.
/// </summary>
/// <remarks>
/// α_t = η_min + (α₀ − η_min)·(1 + cos(π·T_cur/T_i))/2, where T_i is the current period
/// (T_0, T_0·T_mult, T_0·T_mult², ...) and T_cur the steps since the last restart.
/// With T_mult = 1 and a period as long as training, plain cosine annealing.
/// </remarks>
public sealed class CosineAnnealingWarmRestarts : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="initialLearningRate">α₀, the rate at each restart.</param>
    /// <param name="t0">T_0, the first period in steps (≥ 1).</param>
    /// <param name="tMult">T_mult, the growth of each period (≥ 1).</param>
    /// <param name="etaMin">η_min, the lowest rate.</param>
    public CosineAnnealingWarmRestarts(float initialLearningRate, long t0, long tMult = 1, float etaMin = 0f) : base(initialLearningRate)
    {
        T0 = ScheduleChecks.Positive(nameof(CosineAnnealingWarmRestarts), nameof(t0), t0);
        TMult = ScheduleChecks.Positive(nameof(CosineAnnealingWarmRestarts), nameof(tMult), tMult);
        EtaMin = ScheduleChecks.NonNegative(nameof(CosineAnnealingWarmRestarts), nameof(etaMin), etaMin);
        _etaMin = ScheduleChecks.Exact(etaMin);
    }

    private readonly double _etaMin;

    /// <summary>T_0.</summary>
    public long T0 { get; }

    /// <summary>T_mult.</summary>
    public long TMult { get; }

    /// <summary>η_min.</summary>
    public float EtaMin { get; }

    /// <summary>Where <paramref name="step"/> falls: steps since the last restart and the current period.</summary>
    public (long TCur, long TI) Position(long step)
    {
        CheckStep(step);
        // Whole periods are subtracted one by one (as torch's step() does), so no logarithm
        // rounds a boundary step into the wrong period.
        long tCur = step, tI = T0;
        while (tCur >= tI)
        {
            tCur -= tI;
            tI *= TMult;
        }
        return (tCur, tI);
    }

    /// <inheritdoc/>
    public override float LearningRate(long step)
    {
        var (tCur, tI) = Position(step);
        return (float)(_etaMin + (Initial - _etaMin) * (1.0 + Math.Cos(Math.PI * tCur / tI)) / 2.0);
    }
}
