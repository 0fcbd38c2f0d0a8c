using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dendrite.Parity.Generator.Optim;

/// <summary>
/// torch.optim.LBFGS transcribed line by line from torch/optim/lbfgs.py (torch 2.x), with its strong-Wolfe
/// line search, because TorchSharp's LBFGS (libtorch's C++ one) takes no line_search_fn. Scalars that
/// Python keeps as 0-d float32 tensors (ys, rho, H_diag, al, be_i, gtd) are floats here; losses and step
/// lengths are doubles as in Python. With lineSearchFn null it follows the same path as libtorch's LBFGS.
/// </summary>
sealed class PythonLbfgs(Parameter[] parameters, double lr, int maxIter, int maxEval, double toleranceGrad,
    double toleranceChange, int historySize, string? lineSearchFn)
{
    // Global state, kept across steps as Python keeps it in state[params[0]].
    int funcEvals;
    int nIter;
    Tensor? d;
    double t;
    List<Tensor> oldDirs = [];
    List<Tensor> oldStps = [];
    List<float> ro = [];
    float hDiag = 1;
    Tensor? prevFlatGrad;
    double prevLoss;
    float[]? al;

    public int FunctionEvaluations => funcEvals;
    public int Iterations => nIter;

    Tensor GatherFlatGrad() =>
        cat(parameters.Select(p => p.grad is { } g ? g.reshape(-1) : zeros(p.numel())).ToList(), 0);

    void AddGrad(double stepSize, Tensor update)
    {
        long offset = 0;
        foreach (var p in parameters)
        {
            long numel = p.numel();
            p.add_(update.narrow(0, offset, numel).view_as(p), alpha: stepSize);
            offset += numel;
        }
    }

    Tensor[] CloneParam() => parameters.Select(p => p.detach().clone()).ToArray();

    void SetParam(Tensor[] data)
    {
        for (int i = 0; i < parameters.Length; i++)
            parameters[i].copy_(data[i]);
    }

    (double Loss, Tensor FlatGrad) DirectionalEvaluate(Func<Tensor> closure, Tensor[] x, double step, Tensor direction)
    {
        AddGrad(step, direction);
        double loss;
        using (enable_grad())
            loss = closure().ToSingle();
        Tensor flatGrad = GatherFlatGrad();
        SetParam(x);
        return (loss, flatGrad);
    }

    /// <summary>One optimizer.step(closure); returns the closure's first loss (orig_loss).</summary>
    public Tensor Step(Func<Tensor> closure)
    {
        using var _ = no_grad();
        Tensor origLoss;
        using (enable_grad())
            origLoss = closure();
        double loss = origLoss.ToSingle();
        int currentEvals = 1;
        funcEvals += 1;

        Tensor flatGrad = GatherFlatGrad();
        bool optCond = flatGrad.abs().max().ToSingle() <= toleranceGrad;
        if (optCond)
            return origLoss;

        int n = 0;
        while (n < maxIter)
        {
            n += 1;
            nIter += 1;

            // compute gradient descent direction
            if (nIter == 1)
            {
                d = flatGrad.neg();
                oldDirs = [];
                oldStps = [];
                ro = [];
                hDiag = 1;
            }
            else
            {
                Tensor y = flatGrad.sub(prevFlatGrad!);
                Tensor s = d!.mul(t);
                float ys = y.dot(s).ToSingle();
                if (ys > 1e-10)
                {
                    if (oldDirs.Count == historySize)
                    {
                        oldDirs.RemoveAt(0);
                        oldStps.RemoveAt(0);
                        ro.RemoveAt(0);
                    }
                    oldDirs.Add(y);
                    oldStps.Add(s);
                    ro.Add(1f / ys);
                    hDiag = ys / y.dot(y).ToSingle();
                }

                int numOld = oldDirs.Count;
                al ??= new float[historySize];
                Tensor q = flatGrad.neg();
                for (int i = numOld - 1; i >= 0; i--)
                {
                    al[i] = oldStps[i].dot(q).ToSingle() * ro[i];
                    q.add_(oldDirs[i], alpha: -al[i]);
                }
                Tensor r = q.mul(hDiag);
                d = r;
                for (int i = 0; i < numOld; i++)
                {
                    float beI = oldDirs[i].dot(r).ToSingle() * ro[i];
                    r.add_(oldStps[i], alpha: al[i] - beI);
                }
            }

            if (prevFlatGrad is null)
                prevFlatGrad = flatGrad.clone();
            else
                prevFlatGrad.copy_(flatGrad);
            prevLoss = loss;

            // compute step length: min(1, 1 / |g|_1) * lr on the very first iteration, lr afterwards
            if (nIter == 1)
            {
                float inverse = 1f / flatGrad.abs().sum().ToSingle();
                t = 1.0 <= inverse ? 1.0 * lr : (float)(inverse * lr);
            }
            else
            {
                t = lr;
            }

            float gtd = flatGrad.dot(d!).ToSingle();
            if (gtd > -toleranceChange)
                break;

            int lsFuncEvals = 0;
            if (lineSearchFn is not null)
            {
                if (lineSearchFn != "strong_wolfe")
                    throw new InvalidOperationException("only 'strong_wolfe' is supported");
                Tensor[] xInit = CloneParam();
                (loss, flatGrad, t, lsFuncEvals) = StrongWolfe((x, step, direction) => DirectionalEvaluate(closure, x, step, direction),
                    xInit, t, d!, loss, flatGrad, gtd);
                AddGrad(t, d!);
                optCond = flatGrad.abs().max().ToSingle() <= toleranceGrad;
            }
            else
            {
                AddGrad(t, d!);
                if (n != maxIter)
                {
                    using (enable_grad())
                        loss = closure().ToSingle();
                    flatGrad = GatherFlatGrad();
                    optCond = flatGrad.abs().max().ToSingle() <= toleranceGrad;
                    lsFuncEvals = 1;
                }
            }

            currentEvals += lsFuncEvals;
            funcEvals += lsFuncEvals;

            // check conditions
            if (n == maxIter)
                break;
            if (currentEvals >= maxEval)
                break;
            if (optCond)
                break;
            if (d!.mul(t).abs().max().ToSingle() <= toleranceChange)
                break;
            if (Math.Abs(loss - prevLoss) < toleranceChange)
                break;
        }
        return origLoss;
    }

    static double CubicInterpolate(double x1, double f1, double g1, double x2, double f2, double g2, (double Min, double Max)? bounds = null)
    {
        var (xminBound, xmaxBound) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1));
        double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
        double d2Square = d1 * d1 - g1 * g2;
        if (d2Square >= 0)
        {
            double d2 = Math.Sqrt(d2Square);
            double minPos = x1 <= x2
                ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
            return PyMin(PyMax(minPos, xminBound), xmaxBound);
        }
        return (xminBound + xmaxBound) / 2.0;
    }

    // Python's min/max return the first argument on ties and compare with < (NaN-free here).
    static double PyMin(double a, double b) => b < a ? b : a;
    static double PyMax(double a, double b) => b > a ? b : a;

    static (double F, Tensor G, double T, int Evals) StrongWolfe(Func<Tensor[], double, Tensor, (double, Tensor)> objFunc,
        Tensor[] x, double t, Tensor d, double f, Tensor g, double gtd,
        double c1 = 1e-4, double c2 = 0.9, double toleranceChange = 1e-9, int maxLs = 25)
    {
        double dNorm = d.abs().max().ToSingle();
        g = g.clone();
        var (fNew, gNew) = objFunc(x, t, d);
        int lsFuncEvals = 1;
        double gtdNew = gNew.dot(d).ToSingle();

        // bracket an interval containing a point satisfying the Wolfe criteria
        double tPrev = 0, fPrev = f, gtdPrev = gtd;
        Tensor gPrev = g;
        bool done = false;
        int lsIter = 0;
        List<double> bracket = [], bracketF = [];
        List<Tensor> bracketG = [];
        List<double>? bracketGtd = null;
        while (lsIter < maxLs)
        {
            if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev))
            {
                bracket = [tPrev, t];
                bracketF = [fPrev, fNew];
                bracketG = [gPrev, gNew.clone()];
                bracketGtd = [gtdPrev, gtdNew];
                break;
            }
            if (Math.Abs(gtdNew) <= -c2 * gtd)
            {
                bracket = [t];
                bracketF = [fNew];
                bracketG = [gNew];
                done = true;
                break;
            }
            if (gtdNew >= 0)
            {
                bracket = [tPrev, t];
                bracketF = [fPrev, fNew];
                bracketG = [gPrev, gNew.clone()];
                bracketGtd = [gtdPrev, gtdNew];
                break;
            }

            // interpolate
            double minStep = t + 0.01 * (t - tPrev);
            double maxStep = t * 10;
            double tmp = t;
            t = CubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, (minStep, maxStep));

            // next step
            tPrev = tmp;
            fPrev = fNew;
            gPrev = gNew.clone();
            gtdPrev = gtdNew;
            (fNew, gNew) = objFunc(x, t, d);
            lsFuncEvals += 1;
            gtdNew = gNew.dot(d).ToSingle();
            lsIter += 1;
        }

        // reached max number of iterations?
        if (lsIter == maxLs)
        {
            bracket = [0, t];
            bracketF = [f, fNew];
            bracketG = [g, gNew];
        }

        // zoom phase
        bool insufProgress = false;
        var (lowPos, highPos) = bracketF[0] <= bracketF[^1] ? (0, 1) : (1, 0);
        while (!done && lsIter < maxLs)
        {
            if (bracketGtd is null)
                throw new InvalidOperationException("strong_wolfe: zoom without bracket_gtd (Python would fail here too)");
            // line-search bracket is so small
            if (Math.Abs(bracket[1] - bracket[0]) * dNorm < toleranceChange)
                break;

            // compute new trial value
            t = CubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1]);

            // test that we are making sufficient progress
            double bMax = PyMax(bracket[0], bracket[1]), bMin = PyMin(bracket[0], bracket[1]);
            double eps = 0.1 * (bMax - bMin);
            if (PyMin(bMax - t, t - bMin) < eps)
            {
                if (insufProgress || t >= bMax || t <= bMin)
                {
                    t = Math.Abs(t - bMax) < Math.Abs(t - bMin) ? bMax - eps : bMin + eps;
                    insufProgress = false;
                }
                else
                {
                    insufProgress = true;
                }
            }
            else
            {
                insufProgress = false;
            }

            // Evaluate new point
            (fNew, gNew) = objFunc(x, t, d);
            lsFuncEvals += 1;
            gtdNew = gNew.dot(d).ToSingle();
            lsIter += 1;

            if (fNew > f + c1 * t * gtd || fNew >= bracketF[lowPos])
            {
                // Armijo condition not satisfied or not lower than lowest point
                bracket[highPos] = t;
                bracketF[highPos] = fNew;
                bracketG[highPos] = gNew.clone();
                bracketGtd[highPos] = gtdNew;
                (lowPos, highPos) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0);
            }
            else
            {
                if (Math.Abs(gtdNew) <= -c2 * gtd)
                {
                    // Wolfe conditions satisfied
                    done = true;
                }
                else if (gtdNew * (bracket[highPos] - bracket[lowPos]) >= 0)
                {
                    // old high becomes new low
                    bracket[highPos] = bracket[lowPos];
                    bracketF[highPos] = bracketF[lowPos];
                    bracketG[highPos] = bracketG[lowPos];
                    bracketGtd[highPos] = bracketGtd[lowPos];
                }

                // new point becomes new low
                bracket[lowPos] = t;
                bracketF[lowPos] = fNew;
                bracketG[lowPos] = gNew.clone();
                bracketGtd[lowPos] = gtdNew;
            }
        }

        // return stuff
        return (bracketF[lowPos], bracketG[lowPos], bracket[lowPos], lsFuncEvals);
    }
}
