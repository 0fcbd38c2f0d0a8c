using System.Globalization;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Optim.FullBatch;
using Dendrite.Optim.Schedules;
using Xunit.Abstractions;

namespace Dendrite.Tests.Optim;

/// <summary>
/// Every optimiser reaches the minimum of Rosenbrock's function and of a convex quadratic with
/// condition number 100 within a stated number of steps (‖x − x*‖ &lt; 10⁻³); the counts are
/// printed. The limits are the measured counts plus about 10%, so a slower optimiser fails.
/// </summary>
/// <remarks>
/// A step is one <c>Step()</c>: one gradient for the first-order methods, one iteration (with its
/// line search) for conjugate gradient, BFGS and L-BFGS (<c>maxIterations: 1</c>), one Hessian and
/// line search for Newton. The adaptive methods with a constant rate hover around the minimum at a
/// distance proportional to the rate; where that distance exceeds 10⁻³ they get a decaying schedule
/// (which is what schedules are for). AdaDelta's effective rate drifts towards α (the fixed point of
/// √(u + ε)/√(v + ε) is 1), so α must respect the curvature as SGD's rate does; a larger ε
/// shortens its slow start.
/// </remarks>
public class ConvergenceTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-3f;

    public sealed record Case(string Name, Func<Parameter[], Optimizer> Create, int MaxSteps)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> RosenbrockCases() => new()
    {
        new("SGD (α 1.5e-3)", p => new Sgd(p, 1.5e-3f), 12_500),
        new("SGD momentum 0.9 (α 2e-4)", p => new Sgd(p, 2e-4f, momentum: 0.9f), 9_300),
        new("SGD Nesterov 0.9 (α 2e-4)", p => new Sgd(p, 2e-4f, momentum: 0.9f, nesterov: true), 9_300),
        new("seeds' dampened momentum (α 1e-3, η 0.9)", p => Sgd.Dampened(p, 1e-3f, 0.9f), 18_700),
        new("AdaGrad (α 0.5)", p => new AdaGrad(p, 0.5f), 9_900),
        new("RMSProp (α 1e-3)", p => new RmsProp(p, 1e-3f), 9_200),
        new("RMSProp centred (α 1e-3)", p => new RmsProp(p, 1e-3f, centered: true), 8_000),
        new("AdaDelta (α 1e-3, ε 1e-2)", p => new AdaDelta(p, 1e-3f, 0.9f, 1e-2f), 20_000),
        new("Adam (α 2e-2, β2 0.99)", p => new Adam(p, 2e-2f, beta2: 0.99f), 1_100),
        new("Adam AMSGrad (α 5e-2, β2 0.99)", p => new Adam(p, 5e-2f, beta2: 0.99f, amsgrad: true), 7_100),
        new("AdamW (α 2e-2, β2 0.99, λ 1e-6)", p => new AdamW(p, 2e-2f, beta2: 0.99f, weightDecay: 1e-6f), 1_100),
        new("NAdam (α 5e-3)", p => new NAdam(p, 5e-3f), 7_100),
        new("Rprop", p => new Rprop(p, 0.01f), 2_900),
        new("delta-bar-delta (ε₀ 1e-3, κ 1e-4, φ 0.5)", p => new DeltaBarDelta(p, 1e-3f, kappa: 1e-4f, phi: 0.5f), 5_900),
        new("conjugate gradient PR+", p => new ConjugateGradient(p), 40),
        new("conjugate gradient FR", p => new ConjugateGradient(p, formula: ConjugateGradientFormula.FletcherReeves), 45),
        new("BFGS", p => new Bfgs(p), 45),
        new("L-BFGS strong Wolfe", p => new Lbfgs(p, maxIterations: 1, lineSearch: LbfgsLineSearch.StrongWolfe), 45),
        new("Newton", p => new Newton(p), 25),
    };

    public static TheoryData<Case> QuadraticCases() => new()
    {
        new("SGD (α 2/(λmin + λmax))", p => new Sgd(p, 2f / 101f), 350),
        new("SGD momentum 0.8 (α 0.01)", p => new Sgd(p, 0.01f, momentum: 0.8f), 100),
        new("SGD Nesterov 0.8 (α 0.01)", p => new Sgd(p, 0.01f, momentum: 0.8f, nesterov: true), 105),
        new("seeds' dampened momentum (α 0.0198, η 0.5)", p => Sgd.Dampened(p, 0.0198f, 0.5f), 320),
        new("AdaGrad (α 0.5)", p => new AdaGrad(p, 0.5f), 380),
        new("RMSProp (α 0.01/(1 + 0.01t))", p => new RmsProp(p, 1e-2f) { LearningRateSchedule = new InverseTimeDecay(0.01f, 0.01f) }, 1_000),
        new("RMSProp centred (α 0.01/(1 + 0.01t))", p => new RmsProp(p, 1e-2f, centered: true) { LearningRateSchedule = new InverseTimeDecay(0.01f, 0.01f) }, 1_000),
        new("AdaDelta (α 0.02, ε 1e-2)", p => new AdaDelta(p, 0.02f, 0.9f, 1e-2f), 560),
        new("Adam (α 0.05)", p => new Adam(p, 0.05f), 310),
        new("AdamW (α 0.05, λ 1e-6)", p => new AdamW(p, 0.05f, weightDecay: 1e-6f), 310),
        new("NAdam (α 0.05)", p => new NAdam(p, 0.05f), 380),
        new("Rprop", p => new Rprop(p, 0.01f), 250),
        new("delta-bar-delta (ε₀ 5e-3, κ 1e-3, φ 0.3)", p => new DeltaBarDelta(p, 5e-3f, kappa: 1e-3f, phi: 0.3f), 250),
        new("conjugate gradient PR+", p => new ConjugateGradient(p), 30),
        new("conjugate gradient FR", p => new ConjugateGradient(p, formula: ConjugateGradientFormula.FletcherReeves), 30),
        new("BFGS", p => new Bfgs(p), 45),
        new("L-BFGS strong Wolfe", p => new Lbfgs(p, maxIterations: 1, lineSearch: LbfgsLineSearch.StrongWolfe), 30),
        new("Newton", p => new Newton(p), 1),
    };

    [Theory]
    [MemberData(nameof(RosenbrockCases))]
    public void ReachesTheMinimumOfRosenbrock(Case c)
    {
        var problem = new OptimProblems.Rosenbrock();
        int steps = Run(c.Create(problem.Parameters), problem.Loss, () => problem.Distance, c.MaxSteps);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Rosenbrock from (−1.2, 1), {c.Name}: {steps} steps to ‖x − (1, 1)‖ < {Tolerance} (limit {c.MaxSteps})"));
        Assert.True(steps <= c.MaxSteps, $"{c.Name} did not reach (1, 1) within {c.MaxSteps} steps; x = ({problem.X.Item()}, {problem.Y.Item()}).");
    }

    [Theory]
    [MemberData(nameof(QuadraticCases))]
    public void ReachesTheMinimumOfAnIllConditionedQuadratic(Case c)
    {
        var problem = new OptimProblems.IllConditionedQuadratic();
        int steps = Run(c.Create([problem.W]), problem.Loss, () => problem.Distance, c.MaxSteps);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"10-D quadratic, condition number 100, {c.Name}: {steps} steps to ‖x − x*‖ < {Tolerance} (limit {c.MaxSteps})"));
        Assert.True(steps <= c.MaxSteps, $"{c.Name} did not reach the minimum within {c.MaxSteps} steps; distance {problem.Distance}.");
    }

    [Fact]
    public void ConjugateGradientAndBfgsNeedFarFewerStepsThanSgdAndNewtonOne()
    {
        int Steps(Func<Parameter[], Optimizer> create)
        {
            var problem = new OptimProblems.IllConditionedQuadratic();
            return Run(create([problem.W]), problem.Loss, () => problem.Distance, 10_000);
        }
        int sgd = Steps(p => new Sgd(p, 2f / 101f));   // the best constant rate for λ in [1, 100]
        int cg = Steps(p => new ConjugateGradient(p));
        int bfgs = Steps(p => new Bfgs(p));
        int newton = Steps(p => new Newton(p));
        output.WriteLine($"Quadratic, condition number 100: SGD {sgd}, conjugate gradient {cg}, BFGS {bfgs}, Newton {newton} steps.");
        Assert.True(cg * 10 <= sgd, $"conjugate gradient took {cg} steps, SGD {sgd}: expected at least ten times fewer.");
        Assert.True(bfgs * 5 <= sgd, $"BFGS took {bfgs} steps, SGD {sgd}: expected at least five times fewer.");
        Assert.Equal(1, newton);
    }

    /// <summary>Steps until the distance falls below the tolerance (maxSteps + 1 if it never does); advances any step-based schedule.</summary>
    private static int Run(Optimizer optimizer, Func<Tensor> loss, Func<float> distance, int maxSteps)
    {
        int steps = 0;
        while (distance() >= Tolerance)
        {
            if (steps > maxSteps || float.IsNaN(distance())) return maxSteps + 1;
            OptimProblems.TakeStep(optimizer, loss);
            (optimizer.LearningRateSchedule as LearningRateSchedule)?.Step();
            steps++;
        }
        return steps;
    }
}
