using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Optim.FullBatch;

namespace Dendrite.Tests.Optim;

/// <summary>Bad hyper-parameters throw at construction, naming the optimiser, the argument and the value.</summary>
public class ValidationTests
{
    private static Parameter[] P() => [new Parameter(Tensor.Zeros([2]))];

    public static TheoryData<string, Func<Optimizer>, string, string> BadArguments() => new()
    {
        { "Sgd", () => new Sgd(P(), learningRate: -0.1f), "learningRate", "-0.1" },
        { "Sgd", () => new Sgd(P(), momentum: 1f), "momentum", "1" },
        { "Sgd", () => new Sgd(P(), momentum: -0.5f), "momentum", "-0.5" },
        { "Sgd", () => new Sgd(P(), weightDecay: -1f), "weightDecay", "-1" },
        { "Sgd", () => new Sgd(P(), nesterov: true), "nesterov", "momentum 0" },
        { "AdaGrad", () => new AdaGrad(P(), epsilon: 0f), "epsilon", "0" },
        { "RmsProp", () => new RmsProp(P(), rho: 1.5f), "rho", "1.5" },
        { "AdaDelta", () => new AdaDelta(P(), rho: -0.1f), "rho", "-0.1" },
        { "Adam", () => new Adam(P(), learningRate: -1e-3f), "learningRate", "-0.001" },
        { "Adam", () => new Adam(P(), beta1: 1f), "beta1", "1" },
        { "Adam", () => new Adam(P(), beta2: -0.1f), "beta2", "-0.1" },
        { "Adam", () => new Adam(P(), epsilon: -1e-8f), "epsilon", "-1E-08" },
        { "AdamW", () => new AdamW(P(), beta2: 1.01f), "beta2", "1.01" },
        { "NAdam", () => new NAdam(P(), beta1: float.NaN), "beta1", "NaN" },
        { "Rprop", () => new Rprop(P(), etaPlus: 0.9f), "etaPlus", "0.9" },
        { "Rprop", () => new Rprop(P(), etaMinus: 1.5f), "etaMinus", "1.5" },
        { "DeltaBarDelta", () => new DeltaBarDelta(P(), phi: 1f), "phi", "1" },
        { "DeltaBarDelta", () => new DeltaBarDelta(P(), kappa: -1f), "kappa", "-1" },
        { "Lbfgs", () => new Lbfgs(P(), learningRate: -1f), "learningRate", "-1" },
        { "Lbfgs", () => new Lbfgs(P(), historySize: 0), "historySize", "0" },
        { "ConjugateGradient", () => new ConjugateGradient(P(), restartInterval: 0), "restartInterval", "0" },
        { "Bfgs", () => new Bfgs(P(), maxIterations: 0), "maxIterations", "0" },
        { "Newton", () => new Newton(P(), hessianStep: 0f), "hessianStep", "0" },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void BadHyperParametersThrowAtConstruction(string optimizer, Func<Optimizer> create, string argument, string value)
    {
        var error = Assert.ThrowsAny<ArgumentException>(create);
        Assert.Contains(optimizer, error.Message);
        Assert.Contains(argument, error.Message);
        Assert.Contains(value, error.Message);
    }

    public static TheoryData<string, Func<Parameter[], Optimizer>> AllOptimizers() => new()
    {
        { "Sgd", p => new Sgd(p) }, { "AdaGrad", p => new AdaGrad(p) }, { "RmsProp", p => new RmsProp(p) },
        { "AdaDelta", p => new AdaDelta(p) }, { "Adam", p => new Adam(p) }, { "AdamW", p => new AdamW(p) },
        { "NAdam", p => new NAdam(p) }, { "Rprop", p => new Rprop(p) }, { "DeltaBarDelta", p => new DeltaBarDelta(p) },
        { "Lbfgs", p => new Lbfgs(p) }, { "ConjugateGradient", p => new ConjugateGradient(p) }, { "Bfgs", p => new Bfgs(p) },
        { "Newton", p => new Newton(p) },
    };

    [Theory]
    [MemberData(nameof(AllOptimizers))]
    public void AnEmptyParameterListThrows(string name, Func<Parameter[], Optimizer> create)
    {
        var error = Assert.Throws<ArgumentException>(() => create([]));
        Assert.Contains(name, error.Message);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void GroupOverridesAreChecked()
    {
        var adam = new Adam(P());
        var unknown = Assert.Throws<ArgumentException>(() => adam.AddParameterGroup(new ParameterGroup(P()) { ["momentum"] = 0.9f }));
        Assert.Contains("Adam has no hyper-parameter 'momentum'", unknown.Message);
        Assert.Contains("beta1", unknown.Message);
        var outOfRange = Assert.Throws<ArgumentOutOfRangeException>(() => adam.AddParameterGroup(new ParameterGroup(P()) { ["beta2"] = 1f }));
        Assert.Contains("beta2", outOfRange.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParameterGroup(P()) { LearningRate = -1f });
        Parameter[] shared = P();
        var sgd = new Sgd(shared);
        var twice = Assert.Throws<ArgumentException>(() => sgd.AddParameterGroup(new ParameterGroup(shared)));
        Assert.Contains("appears twice", twice.Message);
        Assert.Throws<NotSupportedException>(() => new Lbfgs(P()).AddParameterGroup(new ParameterGroup(P())));
    }

    [Fact]
    public void FullBatchMethodsNeedAClosure()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new Lbfgs(P()).Step());
        Assert.Contains("closure", error.Message);
    }

    [Fact]
    public void ClippingOptionsAreChecked()
    {
        var sgd = new Sgd(P());
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.ClipNorm = 0f);
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.ClipValue = -1f);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByNorm(P(), -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradientNoise(-0.1f));
    }
}
