using Dendrite.NN;
using Dendrite.Tensors;

namespace Dendrite.Optim.FullBatch;

/// <summary>How <see cref="ConjugateGradient"/> computes β, the weight of the previous direction.</summary>
public enum ConjugateGradientFormula
{
    /// <summary>Fletcher-Reeves: β = gᵀg / g_prevᵀg_prev.</summary>
    FletcherReeves,

    /// <summary>Polak-Ribière with restarts when negative ("PR+"): β = max(0, gᵀ(g − g_prev) / g_prevᵀg_prev).</summary>
    PolakRibiere,
}

/// <summary>
/// Nonlinear conjugate gradient (Fletcher-Reeves or Polak-Ribière) with a strong-Wolfe line search
/// and restarts to steepest descent: on a quadratic in n variables with exact line searches it
/// reaches the minimum in at most n iterations, and it needs only a few vectors of memory.
/// </summary>
/// <remarks>
/// <para>d₀ = −g₀; d_k = −g_k + β_k·d_{k−1}; x_{k+1} = x_k + t_k·d_k with t_k from the line search
/// (strong Wolfe, c2 = 0.1 by default: conjugate gradient needs c2 &lt; ½ for its directions to
/// stay descent directions). β is Fletcher-Reeves or Polak-Ribière (see
/// <see cref="ConjugateGradientFormula"/>).</para>
/// <para>Restart (d = −g) every <c>restartInterval</c> iterations (n by default), when PR's β is
/// negative, and whenever d is not a descent direction. The first trial step is
/// min(1, 1/‖g‖₁)·α on the first iteration, then t_{k−1}·(g_{k−1}ᵀd_{k−1})/(g_kᵀd_k)
/// (Nocedal and Wright, eq. 3.60).</para>
/// </remarks>
public sealed class ConjugateGradient : FullBatchOptimizer
{
    private readonly LineSearch _lineSearch;
    private float[]? _d;
    private float[]? _previousGradient;
    private double _t;
    private double _previousDirectionalDerivative;
    private double _previousLoss;
    private long _iterations;
    private long _sinceRestart;

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters (at least one).</param>
    /// <param name="learningRate">α: scales the first trial step.</param>
    /// <param name="formula">Fletcher-Reeves or Polak-Ribière (PR+).</param>
    /// <param name="restartInterval">Restart every this many iterations (≥ 1); null for n, the number of parameters.</param>
    /// <param name="maxIterations">Iterations per <c>Step</c> (≥ 1).</param>
    /// <param name="toleranceGrad">Stop when max|g| is at most this.</param>
    /// <param name="toleranceChange">Stop when the step or the change in loss is below this.</param>
    /// <param name="lineSearch">The line search; null for strong Wolfe with c1 = 10⁻⁴, c2 = 0.1.</param>
    public ConjugateGradient(IEnumerable<Parameter> parameters, float learningRate = 1f, ConjugateGradientFormula formula = ConjugateGradientFormula.PolakRibiere,
        int? restartInterval = null, int maxIterations = 1, float toleranceGrad = 1e-7f, float toleranceChange = 1e-9f, LineSearch? lineSearch = null)
        : base(parameters, learningRate)
    {
        if (!Enum.IsDefined(formula)) throw new ArgumentOutOfRangeException(nameof(formula), formula, $"ConjugateGradient: unknown formula {formula}.");
        Formula = formula;
        RestartInterval = CheckAtLeast(restartInterval ?? ParameterCount, 1, nameof(restartInterval));
        MaxIterations = CheckAtLeast(maxIterations, 1, nameof(maxIterations));
        ToleranceGrad = CheckNonNegative(toleranceGrad, nameof(toleranceGrad));
        ToleranceChange = CheckNonNegative(toleranceChange, nameof(toleranceChange));
        _lineSearch = lineSearch ?? new LineSearch(c1: 1e-4, c2: 0.1);
    }

    /// <summary>The β formula.</summary>
    public ConjugateGradientFormula Formula { get; }

    /// <summary>Iterations between forced restarts.</summary>
    public int RestartInterval { get; }

    /// <summary>Iterations per step.</summary>
    public int MaxIterations { get; }

    /// <summary>Gradient tolerance.</summary>
    public float ToleranceGrad { get; }

    /// <summary>Change tolerance.</summary>
    public float ToleranceChange { get; }

    /// <summary>Iterations over all steps.</summary>
    public long Iterations => _iterations;

    /// <summary>Restarts to steepest descent after the first iteration (forced, β &lt; 0, or not a descent direction).</summary>
    public long Restarts { get; private set; }

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
            bool first = _iterations == 1;
            bool restart = first || _sinceRestart >= RestartInterval;
            double beta = 0;
            if (!restart)
            {
                double previousSquare = Dot(_previousGradient, _previousGradient);
                double square = Dot(g, g);
                beta = Formula == ConjugateGradientFormula.FletcherReeves
                    ? square / previousSquare
                    : (square - Dot(g, _previousGradient)) / previousSquare;
                if (!(beta >= 0)) restart = true;   // PR+ (and a NaN from a zero previous gradient)
            }
            if (restart)
            {
                TensorPrimitives.Negate(g, d);
            }
            else
            {
                // d ← −g + β·d
                TensorPrimitives.Multiply(d, (float)beta, d);
                TensorPrimitives.Subtract(d, g, d);
            }
            double gtd = Dot(g, d);
            if (!restart && !(gtd < 0))
            {
                TensorPrimitives.Negate(g, d);
                gtd = Dot(g, d);
                restart = true;
            }
            if (restart)
            {
                _sinceRestart = 0;
                if (!first) Restarts++;
            }
            _sinceRestart++;
            if (gtd > -ToleranceChange) break;

            double t0 = first
                ? Math.Min(1f, 1f / (float)SumAbs(g)) * (double)CurrentLearningRate
                : _t * _previousDirectionalDerivative / gtd;
            if (!(t0 > 0) || !double.IsFinite(t0)) t0 = CurrentLearningRate;

            g.CopyTo(_previousGradient, 0);
            _previousLoss = loss;
            _previousDirectionalDerivative = gtd;
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

    /// <inheritdoc/>
    protected override void WriteState(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata)
    {
        metadata["n_iter"] = OptimizerState.Format(_iterations);
        metadata["since_restart"] = OptimizerState.Format(_sinceRestart);
        metadata["restarts"] = OptimizerState.Format(Restarts);
        metadata["func_evals"] = OptimizerState.Format(Evaluations);
        metadata["t"] = OptimizerState.Format(_t);
        metadata["prev_gtd"] = OptimizerState.Format(_previousDirectionalDerivative);
        metadata["prev_loss"] = OptimizerState.Format(_previousLoss);
        if (_d is not null) tensors["d"] = Vector(_d);
        if (_previousGradient is not null) tensors["prev_flat_grad"] = Vector(_previousGradient);
    }

    /// <inheritdoc/>
    protected override void ReadState(OptimizerState state)
    {
        int n = ParameterCount;
        foreach (string key in state.Tensors.Keys)
            if (key is not ("d" or "prev_flat_grad")) throw new FormatException($"ConjugateGradient.LoadState: unexpected tensor '{key}'.");
        float[]? d = state.Tensors.ContainsKey("d") ? ReadVector(state, "d", n) : null;
        float[]? previous = state.Tensors.ContainsKey("prev_flat_grad") ? ReadVector(state, "prev_flat_grad", n) : null;
        _iterations = state.RequireLong(Name, "n_iter");
        _sinceRestart = state.RequireLong(Name, "since_restart");
        Restarts = state.RequireLong(Name, "restarts");
        Evaluations = state.RequireLong(Name, "func_evals");
        _t = state.RequireDouble(Name, "t");
        _previousDirectionalDerivative = state.RequireDouble(Name, "prev_gtd");
        _previousLoss = state.RequireDouble(Name, "prev_loss");
        _d = d;
        _previousGradient = previous;
    }
}
