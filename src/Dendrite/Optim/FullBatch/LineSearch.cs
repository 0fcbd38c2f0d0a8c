namespace Dendrite.Optim.FullBatch;

/// <summary>
/// A line search along a descent direction d that returns a step t satisfying the strong Wolfe
/// conditions, for the full-batch methods (and for your own): bracketing by cubic extrapolation,
/// then zooming by cubic interpolation. It is PyTorch's <c>_strong_wolfe</c> (itself a port of
/// minFunc's <c>WolfeLineSearch</c>), so L-BFGS with <c>strong_wolfe</c> follows libtorch.
/// </summary>
/// <remarks>
/// <para>With φ(t) = f(x + t·d): sufficient decrease (Armijo) φ(t) ≤ φ(0) + c1·t·φ′(0), and the
/// strong curvature condition |φ′(t)| ≤ c2·|φ′(0)|, with 0 &lt; c1 &lt; c2 &lt; 1 (Nocedal and Wright,
/// Numerical Optimization, §3.1). c2 = 0.9 suits quasi-Newton methods; conjugate gradient needs
/// c2 &lt; ½ (0.1 is usual); a tiny c2 approaches an exact line search.</para>
/// <para>The cubic through two points with values and slopes is exact for a quadratic φ, so on a
/// quadratic function the search lands on the exact minimiser along d after one interpolation.</para>
/// </remarks>
public sealed class LineSearch
{
    private float[] _initialGradient = [], _previousGradient = [], _newGradient = [], _bracketGradient0 = [], _bracketGradient1 = [];

    /// <summary>φ(t) and ∇f(x + t·d): evaluates at step <paramref name="step"/>, writes the gradient (length n) into <paramref name="gradient"/>, returns the loss.</summary>
    public delegate double Objective(double step, Span<float> gradient);

    /// <summary>Creates the search with its constants.</summary>
    /// <param name="c1">The sufficient-decrease constant, in (0, 1).</param>
    /// <param name="c2">The curvature constant, in (c1, 1).</param>
    /// <param name="toleranceChange">Stop when the bracket, times max|d|, is narrower than this.</param>
    /// <param name="maxIterations">At most this many evaluations after the first.</param>
    public LineSearch(double c1 = 1e-4, double c2 = 0.9, double toleranceChange = 1e-9, int maxIterations = 25)
    {
        if (!(c1 > 0 && c1 < 1)) throw new ArgumentOutOfRangeException(nameof(c1), c1, $"LineSearch: c1 must be in (0, 1); got {c1}.");
        if (!(c2 > c1 && c2 < 1)) throw new ArgumentOutOfRangeException(nameof(c2), c2, $"LineSearch: c2 must be in (c1, 1) = ({c1}, 1); got {c2}.");
        if (!(toleranceChange >= 0)) throw new ArgumentOutOfRangeException(nameof(toleranceChange), toleranceChange, $"LineSearch: toleranceChange must be non-negative; got {toleranceChange}.");
        if (maxIterations < 1) throw new ArgumentOutOfRangeException(nameof(maxIterations), maxIterations, $"LineSearch: maxIterations must be at least 1; got {maxIterations}.");
        C1 = c1;
        C2 = c2;
        ToleranceChange = toleranceChange;
        MaxIterations = maxIterations;
    }

    /// <summary>c1.</summary>
    public double C1 { get; }

    /// <summary>c2.</summary>
    public double C2 { get; }

    /// <summary>The bracket-width tolerance.</summary>
    public double ToleranceChange { get; }

    /// <summary>The evaluation budget.</summary>
    public int MaxIterations { get; }

    /// <summary>
    /// Searches along <paramref name="direction"/> from step <paramref name="initialStep"/>; writes the
    /// gradient at the accepted point into <paramref name="gradientOut"/>. Nothing is moved: the
    /// caller steps to x + t·d afterwards.
    /// </summary>
    /// <param name="objective">φ and its gradient.</param>
    /// <param name="direction">d (length n), a descent direction.</param>
    /// <param name="initialStep">The first trial step.</param>
    /// <param name="loss">φ(0).</param>
    /// <param name="gradient">∇f(x) (length n).</param>
    /// <param name="directionalDerivative">φ′(0) = ∇f(x)·d, negative.</param>
    /// <param name="gradientOut">Receives ∇f(x + t·d) (length n).</param>
    public LineSearchResult StrongWolfe(Objective objective, ReadOnlySpan<float> direction, double initialStep, double loss,
        ReadOnlySpan<float> gradient, double directionalDerivative, Span<float> gradientOut)
    {
        ArgumentNullException.ThrowIfNull(objective);
        int n = direction.Length;
        EnsureCapacity(n);
        float[] g0 = _initialGradient, gPrev = _previousGradient, gNew = _newGradient;
        float[][] bracketG = [_bracketGradient0, _bracketGradient1];
        gradient.CopyTo(g0);

        double f = loss, gtd = directionalDerivative, t = initialStep;
        double dNorm = FullBatchOptimizer.MaxAbs(direction);
        double fNew = objective(t, gNew);
        int evaluations = 1;
        double gtdNew = FullBatchOptimizer.Dot(gNew, direction);

        // Bracketing: find an interval that contains a point satisfying the conditions.
        double tPrev = 0, fPrev = f, gtdPrev = gtd;
        g0.CopyTo(gPrev, 0);
        bool done = false, bracketed = false;
        int iteration = 0;
        double[] bracketT = new double[2], bracketF = new double[2], bracketGtd = new double[2];
        int bracketSize = 0;
        while (iteration < MaxIterations)
        {
            if (fNew > f + C1 * t * gtd || (iteration > 1 && fNew >= fPrev))
            {
                SetBracket(tPrev, fPrev, gPrev, gtdPrev, t, fNew, gNew, gtdNew);
                break;
            }
            if (Math.Abs(gtdNew) <= -C2 * gtd)
            {
                bracketT[0] = t;
                bracketF[0] = fNew;
                gNew.CopyTo(bracketG[0], 0);
                bracketSize = 1;
                done = bracketed = true;
                break;
            }
            if (gtdNew >= 0)
            {
                SetBracket(tPrev, fPrev, gPrev, gtdPrev, t, fNew, gNew, gtdNew);
                break;
            }
            // Extrapolate by cubic interpolation, at least 1% further and at most 10 times as far.
            double minStep = t + 0.01 * (t - tPrev), maxStep = t * 10;
            double previous = t;
            t = CubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, minStep, maxStep);
            tPrev = previous;
            fPrev = fNew;
            (gPrev, gNew) = (gNew, gPrev);
            gtdPrev = gtdNew;
            fNew = objective(t, gNew);
            evaluations++;
            gtdNew = FullBatchOptimizer.Dot(gNew, direction);
            iteration++;
        }
        if (!bracketed)
        {
            // The budget ran out while extrapolating: keep the better of the start and the last point.
            SetBracket(0, f, g0, gtd, t, fNew, gNew, double.NaN);
        }

        // Zoom: shrink the bracket until a point satisfies both conditions.
        bool insufficientProgress = false;
        int low = bracketF[0] <= bracketF[bracketSize - 1] ? 0 : 1, high = 1 - low;
        while (!done && iteration < MaxIterations)
        {
            if (Math.Abs(bracketT[1] - bracketT[0]) * dNorm < ToleranceChange) break;
            t = CubicInterpolate(bracketT[0], bracketF[0], bracketGtd[0], bracketT[1], bracketF[1], bracketGtd[1]);

            // A trial too close to an end of the bracket makes little progress: after one such
            // trial, or one outside the bracket, move it to 10% of the width from the nearer end.
            double top = Math.Max(bracketT[0], bracketT[1]), bottom = Math.Min(bracketT[0], bracketT[1]);
            double margin = 0.1 * (top - bottom);
            if (Math.Min(top - t, t - bottom) < margin)
            {
                if (insufficientProgress || t >= top || t <= bottom)
                {
                    t = Math.Abs(t - top) < Math.Abs(t - bottom) ? top - margin : bottom + margin;
                    insufficientProgress = false;
                }
                else
                {
                    insufficientProgress = true;
                }
            }
            else
            {
                insufficientProgress = false;
            }

            fNew = objective(t, gNew);
            evaluations++;
            gtdNew = FullBatchOptimizer.Dot(gNew, direction);
            iteration++;

            if (fNew > f + C1 * t * gtd || fNew >= bracketF[low])
            {
                // Not enough decrease, or no lower than the low end: the trial becomes the high end.
                bracketT[high] = t;
                bracketF[high] = fNew;
                gNew.CopyTo(bracketG[high], 0);
                bracketGtd[high] = gtdNew;
                (low, high) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0);
            }
            else
            {
                if (Math.Abs(gtdNew) <= -C2 * gtd)
                {
                    done = true;
                }
                else if (gtdNew * (bracketT[high] - bracketT[low]) >= 0)
                {
                    // The old low end becomes the high end.
                    bracketT[high] = bracketT[low];
                    bracketF[high] = bracketF[low];
                    (bracketG[high], bracketG[low]) = (bracketG[low], bracketG[high]);
                    bracketGtd[high] = bracketGtd[low];
                }
                bracketT[low] = t;
                bracketF[low] = fNew;
                gNew.CopyTo(bracketG[low], 0);
                bracketGtd[low] = gtdNew;
            }
        }

        bracketG[low].AsSpan(0, n).CopyTo(gradientOut);
        return new LineSearchResult(bracketT[low], bracketF[low], evaluations, done);

        void SetBracket(double t0, double f0, float[] grad0, double gtd0, double t1, double f1, float[] grad1, double gtd1)
        {
            bracketT[0] = t0;
            bracketF[0] = f0;
            grad0.AsSpan(0, n).CopyTo(bracketG[0]);
            bracketGtd[0] = gtd0;
            bracketT[1] = t1;
            bracketF[1] = f1;
            grad1.AsSpan(0, n).CopyTo(bracketG[1]);
            bracketGtd[1] = gtd1;
            bracketSize = 2;
            bracketed = true;
        }
    }

    /// <summary>
    /// The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
    /// [lower, upper] (the points' own interval when not given); the interval's middle when the
    /// cubic has no minimum.
    /// </summary>
    /// <remarks>d1 = g1 + g2 − 3(f1 − f2)/(x1 − x2); d2 = √(d1² − g1·g2);
    /// x = x2 − (x2 − x1)·(g2 + d2 − d1)/(g2 − g1 + 2·d2) for x1 ≤ x2 (mirrored otherwise).</remarks>
    public static double CubicInterpolate(double x1, double f1, double g1, double x2, double f2, double g2, double? lower = null, double? upper = null)
    {
        double xMin = lower ?? Math.Min(x1, x2), xMax = upper ?? Math.Max(x1, x2);
        double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
        double d2Square = d1 * d1 - g1 * g2;
        if (d2Square >= 0)
        {
            double d2 = Math.Sqrt(d2Square);
            double minimum = x1 <= x2
                ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
            return Math.Min(Math.Max(minimum, xMin), xMax);
        }
        return (xMin + xMax) / 2;
    }

    private void EnsureCapacity(int n)
    {
        if (_initialGradient.Length == n) return;
        _initialGradient = new float[n];
        _previousGradient = new float[n];
        _newGradient = new float[n];
        _bracketGradient0 = new float[n];
        _bracketGradient1 = new float[n];
    }
}

/// <summary>What a line search found: the step t, φ(t), the number of evaluations, and whether both Wolfe conditions hold there.</summary>
public readonly record struct LineSearchResult(double Step, double Loss, int Evaluations, bool WolfeSatisfied);
