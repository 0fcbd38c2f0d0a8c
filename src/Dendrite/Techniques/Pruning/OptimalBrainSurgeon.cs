using Dendrite.NN;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Pruning;

/// <summary>One weight removed by <see cref="OptimalBrainSurgeon"/> or <see cref="OptimalBrainDamage"/>: where it was, its value, and its saliency (the predicted increase of the error).</summary>
public sealed record RemovedWeight(Parameter Parameter, int Index, float Value, double Saliency);

/// <summary>
/// Optimal Brain Surgeon (Hassibi and Stork 1993), as the seeds give it, for small networks. With Q
/// an approximation of the Hessian of the error with respect to all weights θ (the outer-product /
/// Gauss-Newton form <see cref="Curvature.GaussNewton"/>, +μI when it is not positive definite),
/// the weight to remove is the one of least saliency
/// <code>J_i = w_i² / (2·[Q⁻¹]_ii)</code>
/// and the other weights are corrected by
/// <code>Δw = −w_i / [Q⁻¹]_ii · Q⁻¹·e_i</code>
/// (which sets w_i to zero and moves the rest to the minimum of the quadratic error model on that
/// constraint). Repeated removals keep the earlier ones at zero by working with the inverse
/// restricted to the remaining weights: Q⁻¹ ← Q⁻¹ − Q⁻¹e_i·e_iᵀQ⁻¹ / [Q⁻¹]_ii.
/// </summary>
public static class OptimalBrainSurgeon
{
    /// <summary>
    /// Removes <paramref name="count"/> weights from the parameters of <paramref name="mask"/>, with Q
    /// the Gauss-Newton Hessian of the sum-of-squares error on <paramref name="inputs"/> over all
    /// trainable parameters of <paramref name="model"/> (so biases are corrected too, but never removed).
    /// As in Hassibi and Stork's procedure, Q⁻¹ is recomputed at the corrected weights after every
    /// <paramref name="recomputeEvery"/> removals (1: after each), since the quadratic model only holds near
    /// the weights it was computed at.
    /// </summary>
    /// <param name="model">A trained network (a few thousand weights at most: Q is P×P).</param>
    /// <param name="inputs">[N, ...] training inputs for Q.</param>
    /// <param name="count">Number of weights to remove.</param>
    /// <param name="mask">Candidates and record of removals; pruned weights stay out.</param>
    /// <param name="damping">μ added to Q's diagonal; null adds it only when Q is not positive definite.</param>
    /// <param name="recomputeEvery">Removals between recomputations of Q.</param>
    /// <returns>The removed weights in order.</returns>
    public static IReadOnlyList<RemovedWeight> Prune(Module model, Tensor inputs, int count, PruningMask mask, double? damping = null, int recomputeEvery = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (recomputeEvery < 1) throw new ArgumentOutOfRangeException(nameof(recomputeEvery), $"OptimalBrainSurgeon: recomputeEvery must be at least 1; got {recomputeEvery}.");
        var parameters = ParameterVector.Trainable(model);
        var removed = new List<RemovedWeight>(count);
        while (removed.Count < count)
        {
            double[,] q = Curvature.GaussNewton(model, parameters, inputs);
            var step = Prune(parameters, q, Math.Min(recomputeEvery, count - removed.Count), mask, damping);
            if (step.Count == 0) break;
            removed.AddRange(step);
        }
        return removed;
    }

    /// <summary>Removes <paramref name="count"/> weights with a given Hessian approximation <paramref name="hessian"/> [P, P] over <paramref name="parameters"/>.</summary>
    public static IReadOnlyList<RemovedWeight> Prune(ParameterVector parameters, double[,] hessian, int count, PruningMask mask, double? damping = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(hessian);
        ArgumentNullException.ThrowIfNull(mask);
        int p = parameters.Count;
        if (hessian.GetLength(0) != p || hessian.GetLength(1) != p)
            throw new ShapeMismatchException($"OptimalBrainSurgeon: the Hessian is [{hessian.GetLength(0)}, {hessian.GetLength(1)}] but the parameters have {p} elements; it must be [{p}, {p}].");
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), $"OptimalBrainSurgeon: count must be non-negative; got {count}.");

        double[,] inverse = Linalg.InverseSpd(hessian, out _, damping ?? 0);
        double[] w = parameters.GetValues();
        bool[] candidate = new bool[p];
        bool[] removed = new bool[p];
        for (int i = 0; i < p; i++)
        {
            var (parameter, element) = parameters.Locate(i);
            if (!mask.Contains(parameter)) continue;
            if (mask.KeepMask(parameter)[element] == 0f) removed[i] = true; else candidate[i] = true;
        }
        // Weights pruned before take no part: restrict Q⁻¹ to the rest (and hold them at zero).
        for (int i = 0; i < p; i++)
            if (removed[i]) RemoveFromInverse(inverse, i);

        var result = new List<RemovedWeight>(count);
        for (int step = 0; step < count; step++)
        {
            int best = -1;
            double bestSaliency = double.PositiveInfinity;
            for (int i = 0; i < p; i++)
            {
                if (!candidate[i] || removed[i]) continue;
                double saliency = w[i] * w[i] / (2 * inverse[i, i]);   // J_i = w_i² / (2[Q⁻¹]_ii)
                if (saliency < bestSaliency) (best, bestSaliency) = (i, saliency);
            }
            if (best < 0) break;
            double scale = -w[best] / inverse[best, best];               // Δw = −w_q/[Q⁻¹]_qq · Q⁻¹e_q
            for (int i = 0; i < p; i++) if (!removed[i]) w[i] += scale * inverse[i, best];
            var (parameter, element) = parameters.Locate(best);
            result.Add(new RemovedWeight(parameter, element, parameter.Data[element], bestSaliency));
            w[best] = 0;
            removed[best] = true;
            RemoveFromInverse(inverse, best);
        }
        for (int i = 0; i < p; i++) if (removed[i]) w[i] = 0;
        parameters.SetValues(w);
        foreach (var r in result) mask.Prune(r.Parameter, r.Index);
        mask.Apply();
        return result;
    }

    /// <summary>Q⁻¹ ← Q⁻¹ − Q⁻¹e_q·e_qᵀQ⁻¹ / [Q⁻¹]_qq: the inverse of Q with weight q held at zero (row and column q become 0).</summary>
    private static void RemoveFromInverse(double[,] inverse, int q)
    {
        int p = inverse.GetLength(0);
        double pivot = inverse[q, q];
        if (pivot == 0) return;
        var column = new double[p];
        for (int i = 0; i < p; i++) column[i] = inverse[i, q];
        for (int i = 0; i < p; i++)
        {
            double ci = column[i] / pivot;
            if (ci == 0) continue;
            for (int j = 0; j < p; j++) inverse[i, j] -= ci * column[j];
        }
        for (int i = 0; i < p; i++) inverse[i, q] = inverse[q, i] = 0;
        inverse[q, q] = 0;
    }
}

/// <summary>
/// Optimal Brain Damage (LeCun, Denker and Solla 1990): saliency s_i = ½·h_ii·w_i² from the diagonal
/// of the Hessian (here the Gauss-Newton diagonal h_ii = (1/N)·Σ_n Σ_k (∂y_nk/∂w_i)²), removing the
/// weights of least saliency without correcting the others.
/// </summary>
public static class OptimalBrainDamage
{
    /// <summary>The saliencies ½·h_ii·w_i² of every element of <paramref name="parameters"/>, from inputs [N, ...].</summary>
    public static double[] Saliencies(Module model, ParameterVector parameters, Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(inputs);
        var diagonal = new double[parameters.Count];
        Curvature.ForEachOutputGradient(model, parameters, inputs, (_, _, _, _, g) =>
        {
            for (int i = 0; i < g.Length; i++) diagonal[i] += g[i] * g[i];
        });
        int n = Math.Max(1, inputs.Shape[0]);
        double[] w = parameters.GetValues();
        var saliency = new double[w.Length];
        for (int i = 0; i < w.Length; i++) saliency[i] = 0.5 * diagonal[i] / n * w[i] * w[i];
        return saliency;
    }

    /// <summary>Removes the <paramref name="count"/> masked weights of least saliency (one shot).</summary>
    public static IReadOnlyList<RemovedWeight> Prune(Module model, Tensor inputs, int count, PruningMask mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var parameters = ParameterVector.Trainable(model);
        double[] saliency = Saliencies(model, parameters, inputs);
        var candidates = new List<(double Saliency, int Index)>();
        for (int i = 0; i < saliency.Length; i++)
        {
            var (parameter, element) = parameters.Locate(i);
            if (mask.Contains(parameter) && mask.KeepMask(parameter)[element] != 0f) candidates.Add((saliency[i], i));
        }
        candidates.Sort((a, b) => a.Saliency != b.Saliency ? a.Saliency.CompareTo(b.Saliency) : a.Index.CompareTo(b.Index));
        var result = new List<RemovedWeight>();
        foreach (var (s, i) in candidates.Take(count))
        {
            var (parameter, element) = parameters.Locate(i);
            result.Add(new RemovedWeight(parameter, element, parameter.Data[element], s));
            mask.Prune(parameter, element);
        }
        mask.Apply();
        return result;
    }
}
