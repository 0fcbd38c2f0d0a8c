using System.Globalization;
using System.Text;
using Dendrite.NN;

namespace Dendrite.Techniques.Pruning;

/// <summary>Whether a sparsity target applies to all masked weights together or to each parameter separately.</summary>
public enum PruningScope
{
    /// <summary>One threshold over every masked weight: layers with many small weights lose more.</summary>
    Global,

    /// <summary>Each masked parameter reaches the target sparsity on its own.</summary>
    PerLayer,
}

/// <summary>
/// Magnitude pruning of connections: the weights with the smallest |w| are removed (set to zero and
/// marked in a <see cref="PruningMask"/>), one-shot or in rounds with retraining between them
/// (Han et al. 2015; the seeds' "prune, retrain, repeat").
/// </summary>
public static class MagnitudePruning
{
    /// <summary>
    /// Prunes the smallest-magnitude weights until <paramref name="sparsity"/> of the masked weights are
    /// pruned (already-pruned weights count towards it and stay pruned). Returns the number newly pruned.
    /// </summary>
    /// <param name="mask">The mask to extend; its parameters are the candidates.</param>
    /// <param name="sparsity">Target pruned share in [0, 1].</param>
    /// <param name="scope">One global threshold or one per parameter.</param>
    public static long Prune(PruningMask mask, double sparsity, PruningScope scope = PruningScope.Global)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (!(sparsity >= 0 && sparsity <= 1)) throw new ArgumentOutOfRangeException(nameof(sparsity), $"MagnitudePruning: sparsity must be in [0, 1]; got {sparsity}.");
        long before = mask.PrunedCount;
        if (scope == PruningScope.PerLayer)
        {
            foreach (Parameter p in mask.Parameters) PruneGroup(mask, [p], sparsity);
        }
        else
        {
            PruneGroup(mask, mask.Parameters, sparsity);
        }
        mask.Apply();
        return mask.PrunedCount - before;
    }

    private static void PruneGroup(PruningMask mask, IReadOnlyList<Parameter> parameters, double sparsity)
    {
        long total = parameters.Sum(p => (long)p.Count);
        long target = (long)Math.Round(sparsity * total);
        // Candidates ordered by |w|, already-pruned ones first (they count towards the target).
        var candidates = new List<(float Magnitude, int Parameter, int Index)>((int)Math.Min(total, int.MaxValue));
        for (int pi = 0; pi < parameters.Count; pi++)
        {
            Span<float> keep = mask.KeepMask(parameters[pi]);
            ReadOnlySpan<float> w = parameters[pi].Data;
            for (int i = 0; i < w.Length; i++) candidates.Add((keep[i] == 0f ? -1f : MathF.Abs(w[i]), pi, i));
        }
        candidates.Sort((a, b) => a.Magnitude != b.Magnitude ? a.Magnitude.CompareTo(b.Magnitude)
            : a.Parameter != b.Parameter ? a.Parameter.CompareTo(b.Parameter) : a.Index.CompareTo(b.Index));
        for (int i = 0; i < target && i < candidates.Count; i++)
            mask.Prune(parameters[candidates[i].Parameter], candidates[i].Index);
    }

    /// <summary>
    /// Iterative pruning with retraining: for each sparsity in <paramref name="schedule"/> (increasing),
    /// prunes to it, evaluates (the one-shot effect), calls <paramref name="retrain"/> (which must keep
    /// the mask applied, e.g. by passing <see cref="PruningMask.AsCallback"/> to <c>Trainer.Fit</c>) and
    /// evaluates again. Row 0 of the report is the dense network.
    /// </summary>
    /// <param name="mask">The mask to extend.</param>
    /// <param name="schedule">Target sparsities, e.g. [0.5, 0.75, 0.9].</param>
    /// <param name="evaluate">Returns the metric to report (e.g. test accuracy).</param>
    /// <param name="retrain">Retrains the pruned network; given the round (1-based).</param>
    /// <param name="scope">Global or per-layer thresholds.</param>
    public static PruningReport Iterative(PruningMask mask, IEnumerable<double> schedule, Func<double> evaluate, Action<int>? retrain, PruningScope scope = PruningScope.Global)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(evaluate);
        var report = new PruningReport();
        double dense = evaluate();
        report.Add(new PruningReportRow(0, mask.Sparsity, mask.TotalCount - mask.PrunedCount, dense, dense));
        int round = 0;
        foreach (double sparsity in schedule)
        {
            round++;
            Prune(mask, sparsity, scope);
            double oneShot = evaluate();
            double retrained = oneShot;
            if (retrain is not null)
            {
                retrain(round);
                mask.Apply();
                retrained = evaluate();
            }
            report.Add(new PruningReportRow(round, mask.Sparsity, mask.TotalCount - mask.PrunedCount, oneShot, retrained));
        }
        return report;
    }
}

/// <summary>One round of a pruning run: the sparsity reached, the weights left, the metric right after pruning and after retraining.</summary>
public sealed record PruningReportRow(int Round, double Sparsity, long RemainingWeights, double AfterPruning, double AfterRetraining);

/// <summary>
/// The metric against sparsity over a pruning run: where pruning still improves or keeps the
/// network ("improving performance") and where it starts to degrade it.
/// </summary>
public sealed class PruningReport
{
    private readonly List<PruningReportRow> _rows = [];

    /// <summary>The rows in order; row 0 is the dense network.</summary>
    public IReadOnlyList<PruningReportRow> Rows => _rows;

    /// <summary>Appends a row.</summary>
    public void Add(PruningReportRow row) => _rows.Add(row ?? throw new ArgumentNullException(nameof(row)));

    /// <summary>The metric of the dense network (row 0).</summary>
    public double Baseline => _rows.Count == 0 ? double.NaN : _rows[0].AfterRetraining;

    /// <summary>
    /// A text table: round, sparsity, weights left, the metric after pruning and after retraining, the
    /// change from the dense network, and whether the round improved or degraded it beyond <paramref name="tolerance"/>.
    /// </summary>
    public string ToTable(string metricName = "accuracy", double tolerance = 0.01)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"round  sparsity  weights left  {metricName + " pruned",18}  {metricName + " retrained",20}  change vs dense  verdict");
        foreach (var row in _rows)
        {
            double change = row.AfterRetraining - Baseline;
            string verdict = row.Round == 0 ? "dense" : change >= 0 ? "improving" : change >= -tolerance ? "holding" : "degrading";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{row.Round,5}  {row.Sparsity,8:P1}  {row.RemainingWeights,12:N0}  {row.AfterPruning,18:F4}  {row.AfterRetraining,20:F4}  {change,15:+0.0000;-0.0000;0.0000}  {verdict}");
        }
        return text.ToString();
    }
}
