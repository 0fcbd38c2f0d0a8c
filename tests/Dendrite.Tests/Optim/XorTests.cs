using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Optim.FullBatch;
using Xunit.Abstractions;

namespace Dendrite.Tests.Optim;

/// <summary>
/// Every optimiser trains the seeds' XOR network (2-4-1, tanh hidden units, sigmoid output, MSE)
/// from the same fixed seed, full batch, until every output is on the right side of ½ and the
/// mean squared error is below 0.01; the step counts are printed. Conjugate gradient, L-BFGS
/// and Newton work through the loss closure.
/// </summary>
public class XorTests(ITestOutputHelper output)
{
    private const long Seed = 3;

    public sealed record Case(string Name, Func<Parameter[], Optimizer> Create, int MaxSteps)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> Cases() => new()
    {
        new("SGD (α 2)", p => new Sgd(p, 2f), 300),
        new("SGD momentum 0.9 (α 0.5)", p => new Sgd(p, 0.5f, momentum: 0.9f), 300),
        new("SGD Nesterov 0.9 (α 0.5)", p => new Sgd(p, 0.5f, momentum: 0.9f, nesterov: true), 300),
        new("seeds' dampened momentum (α 2, η 0.9)", p => Sgd.Dampened(p, 2f, 0.9f), 300),
        new("AdaGrad (α 0.5)", p => new AdaGrad(p, 0.5f), 300),
        new("RMSProp (α 0.01)", p => new RmsProp(p, 0.01f), 500),
        new("RMSProp centred (α 0.01)", p => new RmsProp(p, 0.01f, centered: true), 500),
        new("AdaDelta (α 1)", p => new AdaDelta(p, 1f), 1_000),
        new("Adam (α 0.05)", p => new Adam(p, 0.05f), 300),
        new("Adam AMSGrad (α 0.05)", p => new Adam(p, 0.05f, amsgrad: true), 300),
        new("AdamW (α 0.05)", p => new AdamW(p, 0.05f), 300),
        new("NAdam (α 0.05)", p => new NAdam(p, 0.05f), 300),
        new("Rprop (Δ₀ 0.05)", p => new Rprop(p, 0.05f), 300),
        new("delta-bar-delta (ε₀ 0.5, κ 0.05, φ 0.2)", p => new DeltaBarDelta(p, 0.5f, kappa: 0.05f, phi: 0.2f), 300),
        new("conjugate gradient PR+", p => new ConjugateGradient(p), 50),
        new("conjugate gradient FR", p => new ConjugateGradient(p, formula: ConjugateGradientFormula.FletcherReeves), 50),
        new("BFGS", p => new Bfgs(p), 50),
        new("L-BFGS (torch defaults: 20 iterations per step)", p => new Lbfgs(p), 10),
        new("L-BFGS strong Wolfe (1 iteration per step)", p => new Lbfgs(p, maxIterations: 1, lineSearch: LbfgsLineSearch.StrongWolfe), 50),
        new("Newton", p => new Newton(p), 30),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainsXorToFullAccuracy(Case c)
    {
        var (inputs, targets) = OptimProblems.XorData();
        Sequential model = OptimProblems.XorNetwork(Seed);
        Optimizer optimizer = c.Create([.. model.Parameters()]);
        Func<Tensor> loss = () => (model.Forward(inputs) - targets).Square().Mean();
        int steps = 0;
        while (!(Accuracy(model, inputs) == 1.0 && Evaluate(loss) < 0.01f))
        {
            Assert.True(steps < c.MaxSteps, $"{c.Name}: not trained after {c.MaxSteps} steps (loss {Evaluate(loss)}, accuracy {Accuracy(model, inputs):P0}).");
            OptimProblems.TakeStep(optimizer, loss);
            steps++;
        }
        output.WriteLine($"XOR 2-4-1 from seed {Seed}, {c.Name}: 100% accuracy and MSE < 0.01 after {steps} steps (limit {c.MaxSteps}).");
    }

    private static float Evaluate(Func<Tensor> loss)
    {
        using var _ = new NoGrad();
        return loss().Item();
    }

    private static double Accuracy(Sequential model, Tensor inputs)
    {
        using var _ = new NoGrad();
        float[] y = model.Forward(inputs).ToArray();
        float[] expected = [0, 1, 1, 0];
        return y.Zip(expected, (output, target) => (output > 0.5f) == (target > 0.5f) ? 1.0 : 0.0).Average();
    }
}
