using Dendrite.NN;
using Dendrite.Tensors;

namespace Dendrite.Optim.FullBatch;

/// <summary>
/// Damped Newton's method with the exact Hessian, for networks of at most a few thousand weights:
/// the Hessian by central differences of the analytic gradient, one column per parameter; μI
/// added until it is positive definite; a strong-Wolfe line search starting from the full step.
/// </summary>
/// <remarks>
/// <para>Hessian: H[:, j] = (∇f(x + h_j·e_j) − ∇f(x − h_j·e_j)) / (2h_j) with
/// h_j = hessianStep·max(1, |x_j|) (5·10⁻³ by default, about the cube root of float32's
/// precision, which balances truncation error ∝ h² against rounding error ∝ 1/h), then H ← (H + Hᵀ)/2. That costs 2n closure calls per
/// iteration (double backward, for Hessian-vector products, is not available). Central
/// differences of a linear gradient are exact, so on a quadratic H is exact up to rounding.</para>
/// <para>Direction: solve (H + μI)·d = −g by Cholesky. μ = 0 when H is positive definite;
/// otherwise μ starts at 10⁻³·mean|H_jj| (at least 10⁻⁸) and grows tenfold until the
/// factorisation succeeds (the seeds' "add μI"); after 30 failures, or when d is not a descent
/// direction, the step falls back to steepest descent d = −g. Then x ← x + t·d with t from the
/// line search, first trial α (1: the pure Newton step). On a quadratic, one iteration lands on the
/// minimum.</para>
/// </remarks>
public sealed class Newton : FullBatchOptimizer
{
    /// <summary>The largest n accepted (an n×n double matrix of 800 MB and n³/3 flops per iteration).</summary>
    public const int MaxParameters = 10_000;

    private readonly LineSearch _lineSearch;
    private double[] _hessian = [];
    private double[] _factor = [];
    private long _iterations;

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters (at least one; at most <see cref="MaxParameters"/> elements in all).</param>
    /// <param name="learningRate">α: the first trial step (1, the Newton step).</param>
    /// <param name="maxIterations">Iterations per <c>Step</c> (≥ 1).</param>
    /// <param name="hessianStep">The relative finite-difference step (&gt; 0).</param>
    /// <param name="toleranceGrad">Stop when max|g| is at most this.</param>
    /// <param name="toleranceChange">Stop when the step or the change in loss is below this.</param>
    /// <param name="lineSearch">The line search; null for strong Wolfe with c1 = 10⁻⁴, c2 = 0.9.</param>
    public Newton(IEnumerable<Parameter> parameters, float learningRate = 1f, int maxIterations = 1, float hessianStep = 5e-3f,
        float toleranceGrad = 1e-7f, float toleranceChange = 1e-9f, LineSearch? lineSearch = null)
        : base(parameters, learningRate)
    {
        if (ParameterCount > MaxParameters)
            throw new ArgumentException($"Newton: {ParameterCount} parameters would need a {ParameterCount}×{ParameterCount} Hessian ({8.0 * ParameterCount * ParameterCount / 1e9:F1} GB) and {2 * ParameterCount} evaluations per iteration; the limit is {MaxParameters}. Use Lbfgs for larger networks.", nameof(parameters));
        MaxIterations = CheckAtLeast(maxIterations, 1, nameof(maxIterations));
        HessianStep = CheckPositive(hessianStep, nameof(hessianStep));
        ToleranceGrad = CheckNonNegative(toleranceGrad, nameof(toleranceGrad));
        ToleranceChange = CheckNonNegative(toleranceChange, nameof(toleranceChange));
        _lineSearch = lineSearch ?? new LineSearch();
    }

    /// <summary>Iterations per step.</summary>
    public int MaxIterations { get; }

    /// <summary>The relative finite-difference step.</summary>
    public float HessianStep { get; }

    /// <summary>Gradient tolerance.</summary>
    public float ToleranceGrad { get; }

    /// <summary>Change tolerance.</summary>
    public float ToleranceChange { get; }

    /// <summary>Iterations over all steps.</summary>
    public long Iterations => _iterations;

    /// <summary>μ of the last iteration (0 when the Hessian was positive definite; NaN after a gradient fallback).</summary>
    public double LastDamping { get; private set; }

    /// <summary>Iterations that fell back to steepest descent.</summary>
    public long GradientFallbacks { get; private set; }

    /// <summary>The last finite-difference Hessian (n×n, row-major, symmetrised).</summary>
    public ReadOnlySpan<double> Hessian => _hessian;

    /// <inheritdoc/>
    public override float Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        int n = ParameterCount;
        var g = new float[n];
        var start = new float[n];
        var d = new float[n];
        float originalLoss = Evaluate(closure, g);
        double loss = originalLoss;
        StepCount++;

        for (int iteration = 0; iteration < MaxIterations; iteration++)
        {
            if (MaxAbs(g) <= ToleranceGrad) break;
            _iterations++;
            ComputeHessian(closure);
            if (!NewtonDirection(g, d))
            {
                TensorPrimitives.Negate(g, d);
                GradientFallbacks++;
                LastDamping = double.NaN;
            }
            double gtd = Dot(g, d);
            if (!(gtd < 0))
            {
                TensorPrimitives.Negate(g, d);
                gtd = Dot(g, d);
                GradientFallbacks++;
                LastDamping = double.NaN;
            }
            if (gtd > -ToleranceChange) break;

            g.CopyTo(start, 0);
            double previousLoss = loss;
            LineSearchResult result = _lineSearch.StrongWolfe(DirectionalObjective(closure, d), d, CurrentLearningRate, loss, start, gtd, g);
            AddToParameters((float)result.Step, d);
            loss = result.Loss;

            if (MaxAbs(d) * Math.Abs(result.Step) <= ToleranceChange) break;
            if (Math.Abs(loss - previousLoss) < ToleranceChange) break;
        }
        ApplyConstraints();
        return originalLoss;
    }

    /// <summary>Fills <see cref="_hessian"/> by central differences of the gradient, column by column.</summary>
    private void ComputeHessian(Func<Tensor> closure)
    {
        int n = ParameterCount;
        if (_hessian.Length != (long)n * n)
        {
            _hessian = new double[(long)n * n];
            _factor = new double[(long)n * n];
        }
        var plus = new float[n];
        var minus = new float[n];
        for (int j = 0; j < n; j++)
        {
            var (parameter, offset) = Locate(j);
            Span<float> data = parameter.Data;
            float original = data[offset];
            float h = HessianStep * Math.Max(1f, Math.Abs(original));
            float up = original + h, down = original - h;
            data[offset] = up;
            Evaluate(closure, plus);
            data = parameter.Data;
            data[offset] = down;
            Evaluate(closure, minus);
            parameter.Data[offset] = original;
            double width = (double)up - down;   // the step actually taken, after rounding to float
            for (int i = 0; i < n; i++) _hessian[(long)i * n + j] = (plus[i] - (double)minus[i]) / width;
        }
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                double mean = 0.5 * (_hessian[(long)i * n + j] + _hessian[(long)j * n + i]);
                _hessian[(long)i * n + j] = mean;
                _hessian[(long)j * n + i] = mean;
            }
        }
    }

    /// <summary>d = −(H + μI)⁻¹·g with the smallest μ of the sequence for which Cholesky succeeds; false when none does.</summary>
    private bool NewtonDirection(float[] g, float[] d)
    {
        int n = ParameterCount;
        double meanDiagonal = 0;
        for (int i = 0; i < n; i++) meanDiagonal += Math.Abs(_hessian[(long)i * n + i]);
        meanDiagonal /= n;
        double mu = 0;
        double nextMu = Math.Max(1e-3 * meanDiagonal, 1e-8);
        for (int attempt = 0; attempt <= 30; attempt++)
        {
            if (Cholesky(_hessian, _factor, n, mu))
            {
                var x = new double[n];
                for (int i = 0; i < n; i++) x[i] = -g[i];
                SolveInPlace(_factor, n, x);
                for (int i = 0; i < n; i++) d[i] = (float)x[i];
                LastDamping = mu;
                return true;
            }
            mu = nextMu;
            nextMu *= 10;
        }
        return false;
    }

    /// <summary>L with L·Lᵀ = A + μI into <paramref name="l"/> (lower triangle); false when A + μI is not positive definite.</summary>
    internal static bool Cholesky(ReadOnlySpan<double> a, Span<double> l, int n, double mu)
    {
        for (int j = 0; j < n; j++)
        {
            long rowJ = (long)j * n;
            double diagonal = a[(int)(rowJ + j)] + mu;
            for (int k = 0; k < j; k++) diagonal -= l[(int)(rowJ + k)] * l[(int)(rowJ + k)];
            if (!(diagonal > 0)) return false;
            double pivot = Math.Sqrt(diagonal);
            l[(int)(rowJ + j)] = pivot;
            for (int i = j + 1; i < n; i++)
            {
                long rowI = (long)i * n;
                double sum = a[(int)(rowI + j)];
                for (int k = 0; k < j; k++) sum -= l[(int)(rowI + k)] * l[(int)(rowJ + k)];
                l[(int)(rowI + j)] = sum / pivot;
            }
        }
        return true;
    }

    /// <summary>Solves L·Lᵀ·x = b in place (b in <paramref name="x"/>).</summary>
    internal static void SolveInPlace(ReadOnlySpan<double> l, int n, Span<double> x)
    {
        for (int i = 0; i < n; i++)
        {
            double sum = x[i];
            for (int k = 0; k < i; k++) sum -= l[i * n + k] * x[k];
            x[i] = sum / l[i * n + i];
        }
        for (int i = n - 1; i >= 0; i--)
        {
            double sum = x[i];
            for (int k = i + 1; k < n; k++) sum -= l[k * n + i] * x[k];
            x[i] = sum / l[i * n + i];
        }
    }

    /// <inheritdoc/>
    protected override void WriteState(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata)
    {
        metadata["n_iter"] = OptimizerState.Format(_iterations);
        metadata["func_evals"] = OptimizerState.Format(Evaluations);
        metadata["gradient_fallbacks"] = OptimizerState.Format(GradientFallbacks);
    }

    /// <inheritdoc/>
    protected override void ReadState(OptimizerState state)
    {
        foreach (string key in state.Tensors.Keys) throw new FormatException($"Newton.LoadState: unexpected tensor '{key}'; Newton keeps no buffers.");
        _iterations = state.RequireLong(Name, "n_iter");
        Evaluations = state.RequireLong(Name, "func_evals");
        GradientFallbacks = state.RequireLong(Name, "gradient_fallbacks");
    }
}
