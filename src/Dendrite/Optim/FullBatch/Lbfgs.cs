using Dendrite.NN;
using Dendrite.Tensors;

namespace Dendrite.Optim.FullBatch;

/// <summary>The line search of <see cref="Lbfgs"/> (PyTorch's <c>line_search_fn</c>).</summary>
public enum LbfgsLineSearch
{
    /// <summary>No search: a fixed step of the learning rate (PyTorch's default, <c>None</c>).</summary>
    None,

    /// <summary>A step satisfying the strong Wolfe conditions (<see cref="LineSearch"/>; PyTorch's <c>"strong_wolfe"</c>).</summary>
    StrongWolfe,
}

/// <summary>
/// Limited-memory BFGS (Liu and Nocedal 1989) with a history of m correction pairs, as
/// <c>torch.optim.LBFGS</c> (same algorithm, defaults and stopping rules, so trajectories can be
/// compared with libtorch's): the quasi-Newton direction in O(m·n) memory, for networks too large
/// for <see cref="Bfgs"/>'s n×n matrix.
/// </summary>
/// <remarks>
/// <para>One <c>Step(closure)</c> runs up to <c>maxIterations</c> iterations (and at most
/// <c>maxEvaluations</c> closure calls). Each iteration: with s = x_{k+1} − x_k and
/// y = g_{k+1} − g_k, the pair is kept when yᵀs &gt; 10⁻¹⁰ (the oldest dropped beyond m), and
/// H₀ = (yᵀs / yᵀy)·I; the direction d = −H·g comes from the two-loop recursion
/// (Nocedal and Wright, Algorithm 7.4): q ← −g; for i = newest..oldest: aᵢ = ρᵢ·sᵢᵀq, q ← q − aᵢ·yᵢ;
/// r ← H₀·q; for i = oldest..newest: bᵢ = ρᵢ·yᵢᵀr, r ← r + (aᵢ − bᵢ)·sᵢ; d = r, with ρᵢ = 1/yᵢᵀsᵢ.
/// The first iteration takes d = −g with step min(1, 1/‖g‖₁)·α; later ones start from α.</para>
/// <para>Stops when max|g| ≤ toleranceGrad, when gᵀd &gt; −toleranceChange, when max|t·d| or the
/// change in loss falls below toleranceChange, or when the budgets run out.</para>
/// <para>Vectors are float32 like PyTorch's; dot products are accumulated in double, so the last
/// bits differ from libtorch's and the differences can grow over many iterations.</para>
/// </remarks>
public sealed class Lbfgs : FullBatchOptimizer
{
    private readonly LineSearch _lineSearch = new();
    private readonly List<float[]> _directions = [];   // y (PyTorch's old_dirs)
    private readonly List<float[]> _steps = [];        // s (old_stps)
    private readonly List<float> _rho = [];            // ρ = 1/yᵀs
    private readonly float[] _alphas;
    private float[]? _d;
    private float[]? _previousGradient;
    private float[]? _y, _s;
    private double _t;
    private float _hDiagonal = 1f;
    private double _previousLoss;
    private long _iterations;

    /// <summary>Creates the optimiser (PyTorch's defaults).</summary>
    /// <param name="parameters">The parameters (at least one).</param>
    /// <param name="learningRate">α: the step (or the line search's first trial).</param>
    /// <param name="maxIterations">Iterations per <c>Step</c> (≥ 1).</param>
    /// <param name="maxEvaluations">Closure calls per <c>Step</c>; null for maxIterations·5/4.</param>
    /// <param name="toleranceGrad">Stop when max|g| is at most this.</param>
    /// <param name="toleranceChange">Stop when the step or the change in loss is below this.</param>
    /// <param name="historySize">m, the number of (s, y) pairs kept (≥ 1).</param>
    /// <param name="lineSearch">None (fixed steps) or strong Wolfe.</param>
    public Lbfgs(IEnumerable<Parameter> parameters, float learningRate = 1f, int maxIterations = 20, int? maxEvaluations = null,
        float toleranceGrad = 1e-7f, float toleranceChange = 1e-9f, int historySize = 100, LbfgsLineSearch lineSearch = LbfgsLineSearch.None)
        : base(parameters, learningRate)
    {
        MaxIterations = CheckAtLeast(maxIterations, 1, nameof(maxIterations));
        MaxEvaluations = CheckAtLeast(maxEvaluations ?? maxIterations * 5 / 4, 1, nameof(maxEvaluations));
        ToleranceGrad = CheckNonNegative(toleranceGrad, nameof(toleranceGrad));
        ToleranceChange = CheckNonNegative(toleranceChange, nameof(toleranceChange));
        HistorySize = CheckAtLeast(historySize, 1, nameof(historySize));
        if (!Enum.IsDefined(lineSearch)) throw new ArgumentOutOfRangeException(nameof(lineSearch), lineSearch, $"Lbfgs: unknown line search {lineSearch}.");
        LineSearchKind = lineSearch;
        _alphas = new float[historySize];
    }

    /// <summary>Iterations per step.</summary>
    public int MaxIterations { get; }

    /// <summary>Closure calls per step.</summary>
    public int MaxEvaluations { get; }

    /// <summary>Gradient tolerance.</summary>
    public float ToleranceGrad { get; }

    /// <summary>Change tolerance.</summary>
    public float ToleranceChange { get; }

    /// <summary>m.</summary>
    public int HistorySize { get; }

    /// <summary>The line search used.</summary>
    public LbfgsLineSearch LineSearchKind { get; }

    /// <summary>Iterations over all steps (PyTorch's <c>n_iter</c>).</summary>
    public long Iterations => _iterations;

    /// <inheritdoc/>
    public override float Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        int n = ParameterCount;
        float lr = CurrentLearningRate;
        var flatGradient = new float[n];
        float originalLoss = Evaluate(closure, flatGradient);
        double loss = originalLoss;
        int currentEvaluations = 1;
        StepCount++;
        if (MaxAbs(flatGradient) <= ToleranceGrad) return originalLoss;

        _d ??= new float[n];
        float[] d = _d;
        var q = new float[n];
        int iteration = 0;
        while (iteration < MaxIterations)
        {
            iteration++;
            _iterations++;

            // ---- direction ----
            if (_iterations == 1)
            {
                TensorPrimitives.Negate(flatGradient, d);
                _directions.Clear();
                _steps.Clear();
                _rho.Clear();
                _hDiagonal = 1f;
            }
            else
            {
                UpdateHistory(flatGradient, d);
                TwoLoop(flatGradient, q, d);
            }
            _previousGradient ??= new float[n];
            flatGradient.CopyTo(_previousGradient, 0);
            _previousLoss = loss;

            // ---- step length ----
            double t = _iterations == 1 ? Math.Min(1f, 1f / (float)SumAbs(flatGradient)) * (double)lr : lr;
            double gtd = (float)Dot(flatGradient, d);
            if (gtd > -ToleranceChange) break;

            int lineSearchEvaluations = 0;
            bool optimal;
            if (LineSearchKind == LbfgsLineSearch.StrongWolfe)
            {
                LineSearchResult result = _lineSearch.StrongWolfe(DirectionalObjective(closure, d), d, t, loss, flatGradient, gtd, flatGradient);
                loss = result.Loss;
                t = result.Step;
                lineSearchEvaluations = result.Evaluations;
                AddToParameters((float)t, d);
                optimal = MaxAbs(flatGradient) <= ToleranceGrad;
            }
            else
            {
                AddToParameters((float)t, d);
                optimal = false;
                if (iteration != MaxIterations)
                {
                    // Re-evaluate only when another iteration follows (as torch: in a stochastic
                    // setting the last evaluation would be wasted).
                    loss = Evaluate(closure, flatGradient);
                    optimal = MaxAbs(flatGradient) <= ToleranceGrad;
                    lineSearchEvaluations = 1;
                }
            }
            _t = t;
            currentEvaluations += lineSearchEvaluations;

            // ---- stopping ----
            if (iteration == MaxIterations) break;
            if (currentEvaluations >= MaxEvaluations) break;
            if (optimal) break;
            if (MaxAbs(d) * Math.Abs(t) <= ToleranceChange) break;
            if (Math.Abs(loss - _previousLoss) < ToleranceChange) break;
        }
        ApplyConstraints();
        return originalLoss;
    }

    /// <summary>Adds the pair (y, s) = (g − g_prev, t·d) when yᵀs &gt; 10⁻¹⁰ (dropping the oldest beyond m), and rescales H₀.</summary>
    private void UpdateHistory(float[] flatGradient, float[] d)
    {
        int n = flatGradient.Length;
        _y ??= new float[n];
        _s ??= new float[n];
        TensorPrimitives.Subtract(flatGradient, _previousGradient!, _y);
        TensorPrimitives.Multiply(d, (float)_t, _s);
        float ys = (float)Dot(_y, _s);
        if (!(ys > 1e-10f)) return;
        float[]? freeY = null, freeS = null;
        if (_directions.Count == HistorySize)
        {
            // The oldest pair's arrays become the next scratch: no allocation once the history is full.
            freeY = _directions[0];
            freeS = _steps[0];
            _directions.RemoveAt(0);
            _steps.RemoveAt(0);
            _rho.RemoveAt(0);
        }
        _directions.Add(_y);
        _steps.Add(_s);
        _rho.Add(1f / ys);
        _hDiagonal = ys / (float)Dot(_y, _y);
        _y = freeY ?? new float[n];
        _s = freeS ?? new float[n];
    }

    /// <summary>d = −H·g by the two-loop recursion, with q as scratch.</summary>
    private void TwoLoop(float[] flatGradient, float[] q, float[] d)
    {
        int count = _directions.Count;
        TensorPrimitives.Negate(flatGradient, q);
        for (int i = count - 1; i >= 0; i--)
        {
            _alphas[i] = (float)Dot(_steps[i], q) * _rho[i];
            TensorPrimitives.MultiplyAdd(_directions[i], -_alphas[i], q, q);
        }
        TensorPrimitives.Multiply(q, _hDiagonal, d);
        for (int i = 0; i < count; i++)
        {
            float beta = (float)Dot(_directions[i], d) * _rho[i];
            TensorPrimitives.MultiplyAdd(_steps[i], _alphas[i] - beta, d, d);
        }
    }

    /// <inheritdoc/>
    protected override void WriteState(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata)
    {
        metadata["n_iter"] = OptimizerState.Format(_iterations);
        metadata["func_evals"] = OptimizerState.Format(Evaluations);
        metadata["t"] = OptimizerState.Format(_t);
        metadata["h_diag"] = OptimizerState.Format(_hDiagonal);
        metadata["prev_loss"] = OptimizerState.Format(_previousLoss);
        metadata["history"] = OptimizerState.Format(_directions.Count);
        if (_d is not null) tensors["d"] = Vector(_d);
        if (_previousGradient is not null) tensors["prev_flat_grad"] = Vector(_previousGradient);
        for (int i = 0; i < _directions.Count; i++)
        {
            tensors[$"old_dirs.{i}"] = Vector(_directions[i]);
            tensors[$"old_stps.{i}"] = Vector(_steps[i]);
        }
        if (_rho.Count > 0) tensors["ro"] = Vector(_rho.ToArray());
    }

    /// <inheritdoc/>
    protected override void ReadState(OptimizerState state)
    {
        int n = ParameterCount;
        long history = state.RequireLong(Name, "history");
        if (history < 0 || history > HistorySize)
            throw new FormatException($"Lbfgs.LoadState: the state holds {history} history pairs but this optimiser keeps at most {HistorySize}; use the same historySize.");
        int count = (int)history;
        var directions = new List<float[]>(count);
        var steps = new List<float[]>(count);
        for (int i = 0; i < count; i++)
        {
            directions.Add(ReadVector(state, $"old_dirs.{i}", n));
            steps.Add(ReadVector(state, $"old_stps.{i}", n));
        }
        float[] rho = count > 0 ? ReadVector(state, "ro", count) : [];
        float[]? d = state.Tensors.ContainsKey("d") ? ReadVector(state, "d", n) : null;
        float[]? previous = state.Tensors.ContainsKey("prev_flat_grad") ? ReadVector(state, "prev_flat_grad", n) : null;
        var known = new HashSet<string>(StringComparer.Ordinal) { "d", "prev_flat_grad", "ro" };
        for (int i = 0; i < count; i++)
        {
            known.Add($"old_dirs.{i}");
            known.Add($"old_stps.{i}");
        }
        foreach (string key in state.Tensors.Keys)
            if (!known.Contains(key)) throw new FormatException($"Lbfgs.LoadState: unexpected tensor '{key}'.");

        _iterations = state.RequireLong(Name, "n_iter");
        Evaluations = state.RequireLong(Name, "func_evals");
        _t = state.RequireDouble(Name, "t");
        _hDiagonal = state.RequireFloat(Name, "h_diag");
        _previousLoss = state.RequireDouble(Name, "prev_loss");
        _directions.Clear();
        _directions.AddRange(directions);
        _steps.Clear();
        _steps.AddRange(steps);
        _rho.Clear();
        _rho.AddRange(rho);
        _d = d;
        _previousGradient = previous;
    }
}
