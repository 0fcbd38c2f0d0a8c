using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Optim.FullBatch;
using Dendrite.Tests.Support;

namespace Dendrite.Tests.Optim;

/// <summary>
/// Trajectories worked out by hand (each derivation in the comments) for the methods libtorch
/// lacks: delta-bar-delta, conjugate gradient, BFGS, Newton, the seeds' dampened momentum; and the
/// equivalences the doc comments claim (the seeds' momentum and Nesterov forms).
/// </summary>
public class HandDerivedTests
{
    // The 2-D quadratic f(x) = ½xᵀAx − bᵀx with A = [[3, 1], [1, 2]], b = (1, 1), from x₀ = 0;
    // ∇f = Ax − b, minimum A⁻¹b = (0.2, 0.4).
    private static readonly Tensor A = Tensor.FromArray(new float[,] { { 3, 1 }, { 1, 2 } });
    private static readonly Tensor B = Tensor.From(1f, 1f);

    private static Tensor Quadratic(Parameter x) => (x * x.Reshape(1, 2).MatMul(A).Reshape(2)).Sum() * 0.5f - (x * B).Sum();

    [Fact]
    public void DeltaBarDeltaRaisesRatesAdditivelyAndCutsThemOnASignChange()
    {
        // f(w) = ½(w₁² + 15·w₂²), w = (1, 1), ε₀ = 0.1, κ = 0.05, φ = 0.5, θ = 0.5; δ = (w₁, 15·w₂).
        // w₁ (gentle): δ = 1, δ̄ = 0 → ε 0.1, w 0.9, δ̄ 0.5; δ = 0.9 agrees → ε 0.15, w 0.765, δ̄ 0.7;
        //              δ = 0.765 → ε 0.2, w 0.612, δ̄ 0.7325; δ = 0.612 → ε 0.25, w 0.459.
        // w₂ (steep):  δ = 15 → w −0.5, δ̄ 7.5; δ = −7.5 disagrees → ε 0.05, w −0.125, δ̄ 0;
        //              δ = −1.875, δ̄ = 0: ε stays 0.05, w −0.03125, δ̄ −0.9375; δ = −0.46875 agrees → ε 0.1, w 0.015625.
        var w = new Parameter(Tensor.From(1f, 1f));
        var curvature = Tensor.From(1f, 15f);
        var optimizer = new DeltaBarDelta([w], learningRate: 0.1f, kappa: 0.05f, phi: 0.5f, theta: 0.5f);
        float[][] expected = [[0.9f, -0.5f], [0.765f, -0.125f], [0.612f, -0.03125f], [0.459f, 0.015625f]];
        foreach (float[] step in expected)
        {
            OptimProblems.TakeStep(optimizer, () => (w.Square() * curvature).Sum() * 0.5f);
            Assertions.AllClose(step, w.ToArray(), rtol: 1e-6, atol: 1e-7, what: "delta-bar-delta weights");
        }
        Assertions.AllClose([0.25f, 0.1f], optimizer.State(w).Buffer("rate"), rtol: 1e-6, what: "per-weight rates");
    }

    [Theory]
    [InlineData(ConjugateGradientFormula.FletcherReeves)]
    [InlineData(ConjugateGradientFormula.PolakRibiere)]
    public void ConjugateGradientSolvesA2DQuadraticInTwoSteps(ConjugateGradientFormula formula)
    {
        // g₀ = −b = (−1, −1), d₀ = (1, 1); exact step gᵀg/dᵀAd = 2/7 → x₁ = (2/7, 2/7), g₁ = (1/7, −1/7).
        // β_FR = |g₁|²/|g₀|² = (2/49)/2 = 1/49; β_PR = g₁ᵀ(g₁ − g₀)/|g₀|² = (8/49 − 6/49)/2 = 1/49 (equal on a quadratic).
        // d₁ = −g₁ + d₀/49 = (−6/49, 8/49); step −g₁ᵀd₁/d₁ᵀAd₁ = (2/49)/(20/343) = 0.7 → x₂ = (0.2, 0.4), the minimum.
        // The line search's cubic interpolation is exact on a quadratic, so it finds 2/7 and 0.7.
        var x = new Parameter(Tensor.Zeros([2]));
        var cg = new ConjugateGradient([x], formula: formula);
        OptimProblems.TakeStep(cg, () => Quadratic(x));
        Assertions.AllClose([2f / 7, 2f / 7], x.ToArray(), rtol: 1e-5, atol: 1e-6, what: "x₁");
        OptimProblems.TakeStep(cg, () => Quadratic(x));
        Assertions.AllClose([0.2f, 0.4f], x.ToArray(), rtol: 1e-5, atol: 1e-6, what: "x₂");
        Assert.Equal(2, cg.Iterations);
    }

    [Fact]
    public void BfgsBuildsTheHandComputedInverseHessian()
    {
        // With an (almost) exact line search BFGS takes the conjugate-gradient points on a quadratic.
        // Step 1: d₀ = −g₀ = (1, 1), t = 2/7 → x₁ = (2/7, 2/7); s = (2/7, 2/7), y = g₁ − g₀ = (8/7, 6/7),
        // yᵀs = 4/7, yᵀy = 100/49, so H₀ = (yᵀs/yᵀy)·I = 0.28·I; u = H₀y = (0.32, 0.24), ρ = 7/4, yᵀu = 4/7,
        // H₁ = H₀ − ρ(usᵀ + suᵀ) + (ρ²yᵀu + ρ)ssᵀ = [[43, 1], [1, 57]]/175 (and indeed H₁y = s).
        // Step 2: d₁ = −H₁g₁ = (−6, 8)/175 ∥ the CG direction; from t = 1 the search extrapolates to the
        // exact 2.5 → x₂ = (0.2, 0.4).
        var x = new Parameter(Tensor.Zeros([2]));
        var bfgs = new Bfgs([x], lineSearch: new LineSearch(c2: 1e-3));
        OptimProblems.TakeStep(bfgs, () => Quadratic(x));
        Assertions.AllClose([2f / 7, 2f / 7], x.ToArray(), rtol: 1e-5, atol: 1e-6, what: "x₁");
        OptimProblems.TakeStep(bfgs, () => Quadratic(x));
        Assertions.AllClose([43f / 175, 1f / 175, 1f / 175, 57f / 175], bfgs.InverseHessian.ToArray(), rtol: 1e-4, atol: 1e-6, what: "H₁");
        // The extrapolated step is interpolated from float32 gradients: exact to a few 1e-6.
        Assertions.AllClose([0.2f, 0.4f], x.ToArray(), rtol: 1e-5, atol: 1e-5, what: "x₂");
    }

    [Fact]
    public void NewtonTakesTheHandComputedSteps()
    {
        // f(x, y) = x⁴/4 + xy + y² from (1, 1): ∇f = (x³ + y, x + 2y) = (2, 3), H = [[3x², 1], [1, 2]] = [[3, 1], [1, 2]],
        // d = −H⁻¹∇f = −[[2, −1], [−1, 3]]/5·(2, 3) = (−0.2, −1.4); the full step meets both Wolfe conditions
        // (f: 2.25 → −0.0576; |∇f₁ᵀd| = 0.0224 ≤ 0.9·4.6), so x₁ = (0.8, −0.4).
        // At x₁: ∇f = (0.112, 0), H = [[1.92, 1], [1, 2]], det 2.84, d = −(2·0.112, −0.112)/2.84 → x₂ = (0.7211268, −0.3605634).
        // The minimum is (1/√2, −1/(2√2)) = (0.7071068, −0.3535534).
        var x = new Parameter(Tensor.From(1f));
        var y = new Parameter(Tensor.From(1f));
        Func<Tensor> f = () => (x.Pow(4f) * 0.25f + x * y + y.Square()).Sum();
        var newton = new Newton([x, y]);
        OptimProblems.TakeStep(newton, f);
        // The Hessian by central differences of float32 gradients: accurate to ~1e-4.
        Assertions.AllClose([3f, 1f, 1f, 2f], newton.Hessian.ToArray().Select(v => (float)v).ToArray(), rtol: 0, atol: 1e-3, what: "H at (1, 1)");
        Assertions.AllClose([0.8f, -0.4f], [x.Item(), y.Item()], rtol: 0, atol: 1e-3, what: "x₁");
        Assert.Equal(0, newton.LastDamping);
        OptimProblems.TakeStep(newton, f);
        Assertions.AllClose([0.7211268f, -0.3605634f], [x.Item(), y.Item()], rtol: 0, atol: 1e-3, what: "x₂");
        for (int i = 0; i < 3; i++) OptimProblems.TakeStep(newton, f);
        Assertions.AllClose([0.7071068f, -0.3535534f], [x.Item(), y.Item()], rtol: 0, atol: 1e-5, what: "minimum");
    }

    [Fact]
    public void NewtonAddsDampingWhenTheHessianIsIndefinite()
    {
        // f(x, y) = x² − y² + y⁴/4 at (1, 0.1): H = [[2, 0], [0, −2 + 3y²]] = [[2, 0], [0, −1.97]], not positive
        // definite. The pure Newton step would head for the saddle at y = 0; with μI added the direction
        // descends, and the iterates go to a minimum at y = ±√2.
        var x = new Parameter(Tensor.From(1f));
        var y = new Parameter(Tensor.From(0.1f));
        Func<Tensor> f = () => (x.Square() - y.Square() + y.Pow(4f) * 0.25f).Sum();
        var newton = new Newton([x, y]);
        float before = f().Item();
        OptimProblems.TakeStep(newton, f);
        Assert.True(newton.LastDamping > 1.97, $"μ = {newton.LastDamping} should exceed 1.97 to make H + μI positive definite.");
        Assert.True(f().Item() < before);
        for (int i = 0; i < 20; i++) OptimProblems.TakeStep(newton, f);
        Assertions.AllClose([0f, MathF.Sqrt(2f)], [x.Item(), y.Item()], rtol: 0, atol: 1e-4, what: "minimum");
    }

    [Fact]
    public void SeedsDampenedMomentumFollowsTheHandTrajectory()
    {
        // w ← w − α[(1 − η)·∇E + η·Δ], Δ the previous bracket (0 at first), on E = ½w², α = 0.1, η = 0.5, w₀ = 1:
        // Δ₁ = 0.5·1 = 0.5 → w₁ = 0.95; Δ₂ = 0.5·0.95 + 0.5·0.5 = 0.725 → w₂ = 0.8775;
        // Δ₃ = 0.5·0.8775 + 0.5·0.725 = 0.80125 → w₃ = 0.797375.
        var w = new Parameter(Tensor.From(1f));
        var sgd = Sgd.Dampened([w], learningRate: 0.1f, eta: 0.5f);
        float[] expected = [0.95f, 0.8775f, 0.797375f];
        foreach (float e in expected)
        {
            OptimProblems.TakeStep(sgd, () => w.Square().Sum() * 0.5f);
            Assert.Equal(e, w.Item(), 6);
        }
    }

    [Fact]
    public void SeedsMomentumFormIsTorchsFormWhileTheRateIsConstant()
    {
        // Seeds: v ← βv − α∇C; w ← w + v. Torch (implemented): b ← βb + g; w ← w − αb. With v = −αb they agree.
        var (w, loss) = IllConditioned2D(out Func<float[], float[]> gradient);
        var sgd = new Sgd([w], learningRate: 0.05f, momentum: 0.9f);
        float[] seeds = w.ToArray();
        float[] velocity = new float[2];
        for (int step = 0; step < 30; step++)
        {
            float[] g = gradient(seeds);
            for (int i = 0; i < 2; i++)
            {
                velocity[i] = 0.9f * velocity[i] - 0.05f * g[i];
                seeds[i] += velocity[i];
            }
            OptimProblems.TakeStep(sgd, loss);
            Assertions.AllClose(seeds, w.ToArray(), rtol: 1e-5, atol: 1e-6, what: $"step {step + 1}");
        }
        // When α changes, torch's form rescales the whole accumulated velocity, the seeds' only the new part.
        sgd.LearningRate = 0.01f;
        float[] g2 = gradient(seeds);
        for (int i = 0; i < 2; i++) seeds[i] += 0.9f * velocity[i] - 0.01f * g2[i];
        OptimProblems.TakeStep(sgd, loss);
        Assert.True(Math.Abs(seeds[1] - w.ToArray()[1]) > 1e-3, "after a change of rate the two forms part");
    }

    [Fact]
    public void NesterovReformulationTracksTheLookAheadPointsOfTheSeedsForm()
    {
        // Seeds: v ← βv − α∇f(w + βv); w ← w + v (gradient at the look-ahead point).
        // Implemented (torch): b ← βb + g; w ← w − α(g + βb), with g at the current parameters.
        // Substituting θ = w + βv shows θ follows the implemented rule: the implemented parameters
        // are the seeds' look-ahead points.
        var (theta, loss) = IllConditioned2D(out Func<float[], float[]> gradient);
        var sgd = new Sgd([theta], learningRate: 0.05f, momentum: 0.9f, nesterov: true);
        float[] w = theta.ToArray();
        float[] v = new float[2];
        for (int step = 0; step < 40; step++)
        {
            float[] ahead = [w[0] + 0.9f * v[0], w[1] + 0.9f * v[1]];
            float[] g = gradient(ahead);
            for (int i = 0; i < 2; i++)
            {
                v[i] = 0.9f * v[i] - 0.05f * g[i];
                w[i] += v[i];
            }
            OptimProblems.TakeStep(sgd, loss);
            float[] lookAhead = [w[0] + 0.9f * v[0], w[1] + 0.9f * v[1]];
            Assertions.AllClose(lookAhead, theta.ToArray(), rtol: 1e-5, atol: 1e-6, what: $"step {step + 1}");
        }
    }

    /// <summary>f(x, y) = ½(x² + 10y²) from (1, 1), with its gradient (x, 10y) for the hand-written loops.</summary>
    private static (Parameter W, Func<Tensor> Loss) IllConditioned2D(out Func<float[], float[]> gradient)
    {
        var w = new Parameter(Tensor.From(1f, 1f));
        var curvature = Tensor.From(1f, 10f);
        gradient = p => [p[0], 10f * p[1]];
        return (w, () => (w.Square() * curvature).Sum() * 0.5f);
    }
}
