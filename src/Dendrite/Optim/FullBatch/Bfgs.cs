using Dendrite.NN;
using Dendrite.Tensors;

namespace Dendrite.Optim.FullBatch;

/// <summary>
/// BFGS (Broyden, Fletcher, Goldfarb, Shanno 1970) with an explicit n×n approximation H of the
/// inverse Hessian and a strong-Wolfe line search: superlinear convergence near a minimum, for
/// small networks (n up to a few thousand; the matrix takes 4n² bytes). <see cref="Lbfgs"/> keeps
/// only m pairs instead.
/// </summary>
/// <remarks>
/// <para>d = −H·g; x ← x + t·d with t from the line search (first trial min(1, 1/‖g‖₁)·α, then α).
/// With s = x_{k+1} − x_k, y = g_{k+1} − g_k and ρ = 1/yᵀs, when yᵀs &gt; 10⁻¹⁰:
/// H ← (I − ρ·s·yᵀ)·H·(I − ρ·y·sᵀ) + ρ·s·sᵀ (Nocedal and Wright, eq. 6.17), computed as
/// H ← H − ρ(u·sᵀ + s·uᵀ) + (ρ²·yᵀu + ρ)·s·sᵀ with u = H·y. H starts as I and is rescaled to
/// (yᵀs/yᵀy)·I just before the first update (eq. 6.20).</para>
/// <para>On a quadratic with exact line searches BFGS produces the conjugate-gradient iterates and
/// ends with H equal to the inverse Hessian after n steps.</para>
/// </remarks>
public sealed class Bfgs : FullBatchOptimizer
{
    /// <summary>The largest n accepted (an n×n float matrix of 400 MB).</summary>
    public const int MaxParameters = 10_000;

    private readonly LineSearch _lineSearch;
    private float[]? _h;
    private float[]? _d;
    private float[]? _previousGradient;
    private double _t;
    private double _previousLoss;
    private long _iterations;
    private long _updates;

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters (at least one; at most <see cref="MaxParameters"/> elements in all).</param>
    /// <param name="learningRate">α: the line search's first trial step.</param>
    /// <param name="maxIterations">Iterations per <c>Step</c> (≥ 1).</param>
    /// <param name="toleranceGrad">Stop when max|g| is at most this.</param>
    /// <param name="toleranceChange">Stop when the step or the change in loss is below this.</param>
    /// <param name="lineSearch">The line search; null for strong Wolfe with c1 = 10⁻⁴, c2 = 0.9.</param>
    public Bfgs(IEnumerable<Parameter> parameters, float learningRate = 1f, int maxIterations = 1, float toleranceGrad = 1e-7f,
        float toleranceChange = 1e-9f, LineSearch? lineSearch = null)
        : base(parameters, learningRate)
    {
        if (ParameterCount > MaxParameters)
            throw new ArgumentException($"Bfgs: {ParameterCount} parameters would need a {ParameterCount}×{ParameterCount} matrix ({4.0 * ParameterCount * ParameterCount / 1e9:F1} GB); the limit is {MaxParameters}. Use Lbfgs for larger networks.", nameof(parameters));
        MaxIterations = CheckAtLeast(maxIterations, 1, nameof(maxIterations));
        ToleranceGrad = CheckNonNegative(toleranceGrad, nameof(toleranceGrad));
        ToleranceChange = CheckNonNegative(toleranceChange, nameof(toleranceChange));
        _lineSearch = lineSearch ?? new LineSearch();
    }

    /// <summary>Iterations per step.</summary>
    public int MaxIterations { get; }

    /// <summary>Gradient tolerance.</summary>
    public float ToleranceGrad { get; }

    /// <summary>Change tolerance.</summary>
    public float ToleranceChange { get; }

    /// <summary>Iterations over all steps.</summary>
    public long Iterations => _iterations;

    /// <summary>H, the current inverse-Hessian approximation (n×n, row-major), or null before the first step.</summary>
    public ReadOnlySpan<float> InverseHessian => _h;

    /// <inheritdoc/>
    public override float Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        int n = ParameterCount;
        var g = new float[n];
        float originalLoss = Evaluate(closure, g);
        double loss = originalLoss;
        StepCount++;
        _d ??= new float[n];
        _previousGradient ??= new float[n];
        float[] d = _d;

        for (int iteration = 0; iteration < MaxIterations; iteration++)
        {
            if (MaxAbs(g) <= ToleranceGrad) break;
            _iterations++;
            if (_h is null)
            {
                _h = new float[(long)n * n];
                SetIdentity(_h, n, 1f);
            }
            else
            {
                UpdateInverseHessian(g, d);
            }
            Multiply(_h, g, d, n, -1f);
            double gtd = Dot(g, d);
            if (!(gtd < -ToleranceChange))
            {
                // H lost positive definiteness to rounding: start again from the identity.
                SetIdentity(_h, n, 1f);
                _updates = 0;
                TensorPrimitives.Negate(g, d);
                gtd = Dot(g, d);
                if (gtd > -ToleranceChange) break;
            }

            double t0 = _iterations == 1 ? Math.Min(1f, 1f / (float)SumAbs(g)) * (double)CurrentLearningRate : CurrentLearningRate;
            g.CopyTo(_previousGradient, 0);
            _previousLoss = loss;
            LineSearchResult result = _lineSearch.StrongWolfe(DirectionalObjective(closure, d), d, t0, loss, _previousGradient, gtd, g);
            AddToParameters((float)result.Step, d);
            _t = result.Step;
            loss = result.Loss;

            if (MaxAbs(g) <= ToleranceGrad) break;
            if (MaxAbs(d) * Math.Abs(_t) <= ToleranceChange) break;
            if (Math.Abs(loss - _previousLoss) < ToleranceChange) break;
        }
        ApplyConstraints();
        return originalLoss;
    }

    /// <summary>The BFGS update of H from s = t·d and y = g − g_prev, skipped when yᵀs ≤ 10⁻¹⁰.</summary>
    private void UpdateInverseHessian(float[] g, float[] d)
    {
        int n = ParameterCount;
        float[] h = _h!;
        var s = new double[n];
        var y = new double[n];
        double ys = 0, yy = 0;
        for (int i = 0; i < n; i++)
        {
            s[i] = (float)_t * d[i];
            y[i] = (double)g[i] - _previousGradient![i];
            ys += y[i] * s[i];
            yy += y[i] * y[i];
        }
        if (!(ys > 1e-10)) return;
        if (_updates == 0) SetIdentity(h, n, (float)(ys / yy));
        var u = new double[n];
        double yu = 0;
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            long row = (long)i * n;
            for (int j = 0; j < n; j++) sum += h[row + j] * y[j];
            u[i] = sum;
            yu += y[i] * sum;
        }
        double rho = 1 / ys;
        double c = rho * rho * yu + rho;
        for (int i = 0; i < n; i++)
        {
            long row = (long)i * n;
            for (int j = 0; j < n; j++)
                h[row + j] = (float)(h[row + j] - rho * (u[i] * s[j] + s[i] * u[j]) + c * s[i] * s[j]);
        }
        _updates++;
    }

    private static void SetIdentity(float[] h, int n, float scale)
    {
        Array.Clear(h);
        for (int i = 0; i < n; i++) h[(long)i * n + i] = scale;
    }

    /// <summary>result = sign·H·v, accumulated in double.</summary>
    private static void Multiply(float[] h, float[] v, float[] result, int n, float sign)
    {
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            long row = (long)i * n;
            for (int j = 0; j < n; j++) sum += (double)h[row + j] * v[j];
            result[i] = (float)(sign * sum);
        }
    }

    /// <inheritdoc/>
    protected override void WriteState(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata)
    {
        int n = ParameterCount;
        metadata["n_iter"] = OptimizerState.Format(_iterations);
        metadata["updates"] = OptimizerState.Format(_updates);
        metadata["func_evals"] = OptimizerState.Format(Evaluations);
        metadata["t"] = OptimizerState.Format(_t);
        metadata["prev_loss"] = OptimizerState.Format(_previousLoss);
        if (_h is not null) tensors["inverse_hessian"] = Tensor.FromArray(_h, new Shape(n, n));
        if (_d is not null) tensors["d"] = Vector(_d);
        if (_previousGradient is not null) tensors["prev_flat_grad"] = Vector(_previousGradient);
    }

    /// <inheritdoc/>
    protected override void ReadState(OptimizerState state)
    {
        int n = ParameterCount;
        foreach (string key in state.Tensors.Keys)
            if (key is not ("inverse_hessian" or "d" or "prev_flat_grad")) throw new FormatException($"Bfgs.LoadState: unexpected tensor '{key}'.");
        float[]? h = state.Tensors.ContainsKey("inverse_hessian") ? state.RequireTensor(Name, "inverse_hessian", n * n).ToArray() : null;
        float[]? d = state.Tensors.ContainsKey("d") ? ReadVector(state, "d", n) : null;
        float[]? previous = state.Tensors.ContainsKey("prev_flat_grad") ? ReadVector(state, "prev_flat_grad", n) : null;
        _iterations = state.RequireLong(Name, "n_iter");
        _updates = state.RequireLong(Name, "updates");
        Evaluations = state.RequireLong(Name, "func_evals");
        _t = state.RequireDouble(Name, "t");
        _previousLoss = state.RequireDouble(Name, "prev_loss");
        _h = h;
        _d = d;
        _previousGradient = previous;
    }
}
