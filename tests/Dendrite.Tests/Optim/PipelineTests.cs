using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Tests.Support;

namespace Dendrite.Tests.Optim;

/// <summary>What the base class does around every update rule: groups, scales, frozen parameters, clipping, noise, decoupled decay, no garbage.</summary>
public class PipelineTests
{
    [Fact]
    public void GroupsScalesAndFrozenParameters()
    {
        // Gradient 1 everywhere (loss = Σ of all elements): each parameter moves by −(its effective rate).
        var body = new Parameter(Tensor.From(0f, 0f));
        var head = new Parameter(Tensor.From(0f));
        var scaled = new Parameter(Tensor.From(0f)) { LearningRateScale = 0.5f };
        var frozen = new Parameter(Tensor.From(0f));
        var untouched = new Parameter(Tensor.From(0f));   // trainable, but no gradient
        var sgd = new Sgd([head, scaled, frozen, untouched], learningRate: 0.1f);
        sgd.AddParameterGroup(new ParameterGroup([body]) { LearningRate = 0.01f });
        (body.Sum() + head.Sum() + scaled.Sum() + frozen.Sum()).Backward();
        frozen.RequiresGrad = false;
        sgd.Step();
        Assert.Equal(new[] { -0.01f, -0.01f }, body.ToArray());
        Assert.Equal(-0.1f, head.Item());
        Assert.Equal(-0.05f, scaled.Item());
        Assert.Equal(0f, frozen.Item());
        Assert.Equal(0f, untouched.Item());
        Assert.Equal(0, sgd.State(frozen).Step);
        Assert.Equal(1, sgd.State(head).Step);
    }

    [Fact]
    public void GroupOverridesReachTheRule()
    {
        var a = new Parameter(Tensor.From(0f));
        var b = new Parameter(Tensor.From(0f));
        var sgd = new Sgd([a], learningRate: 1f, momentum: 0.9f);
        sgd.AddParameterGroup(new ParameterGroup([b]) { ["momentum"] = 0f });
        for (int k = 0; k < 2; k++)
        {
            sgd.ZeroGrad();
            (a.Sum() + b.Sum()).Backward();
            sgd.Step();
        }
        Assert.Equal(-1f - 1.9f, a.Item(), 6);   // b = 1, then 0.9 + 1
        Assert.Equal(-2f, b.Item());             // no momentum in its group
    }

    [Fact]
    public void ClippingLeavesTheParametersGradientsAlone()
    {
        var p = new Parameter(Tensor.From(0f, 0f));
        (p * Tensor.From(3f, 4f)).Sum().Backward();   // gradient (3, 4), norm 5
        var sgd = new Sgd([p], learningRate: 1f) { ClipNorm = 1f };
        sgd.Step();
        Assertions.AllClose([-0.6f, -0.8f], p.ToArray(), rtol: 1e-6, what: "clipped step");
        Assert.Equal(5f, sgd.LastGradientNorm);
        Assert.Equal(new[] { 3f, 4f }, p.Grad!.ToArray());

        var byValue = new Sgd([p], learningRate: 1f) { ClipValue = 3.5f };
        byValue.Step();
        Assertions.AllClose([-3.6f, -4.3f], p.ToArray(), rtol: 1e-6, what: "value-clipped step");

        float norm = GradientClipping.ClipByNorm([p], 2.5f);
        Assert.Equal(5f, norm);
        Assertions.AllClose([1.5f, 2f], p.Grad!.ToArray(), rtol: 1e-6, what: "clipped gradient");
        GradientClipping.ClipByValue([p], 1.6f);
        Assertions.AllClose([1.5f, 1.6f], p.Grad!.ToArray(), rtol: 1e-6, what: "value-clipped gradient");
        Assert.Equal(MathF.Sqrt(1.5f * 1.5f + 1.6f * 1.6f), GradientClipping.GlobalNorm([p]), 6);
    }

    [Fact]
    public void GradientNoiseIsAnnealedAndReproducible()
    {
        var noise = new GradientNoise(eta: 0.3f, gamma: 0.55f);
        Assert.Equal(Math.Sqrt(0.3), noise.StandardDeviation(0), 6);
        Assert.Equal(Math.Sqrt(0.3 / Math.Pow(100, 0.55)), noise.StandardDeviation(99), 6);

        float[] Run(long seed)
        {
            var p = new Parameter(Tensor.Zeros([1000]));
            (p * 0f).Sum().Backward();
            var sgd = new Sgd([p], learningRate: 1f) { GradientNoise = new GradientNoise(0.25f, seed: seed) };
            sgd.Step();
            return p.ToArray();
        }
        float[] first = Run(7);
        Assert.Equal(first, Run(7));
        Assert.NotEqual(first, Run(8));
        double variance = first.Average(v => (double)v * v);
        Assert.InRange(variance, 0.2, 0.3);   // σ² = η = 0.25 at step 0
    }

    [Fact]
    public void AdamWDecaysTheWeightsBeforeTheAdamStep()
    {
        var p = new Parameter(Tensor.From(2f));
        (p * 0f).Sum().Backward();   // zero gradient: only the decay moves p
        var adamw = new AdamW([p], learningRate: 0.1f, weightDecay: 0.5f);
        adamw.Step();
        Assert.Equal(2f * (1f - 0.05f), p.Item(), 6);
        var coupled = new Adam([p], learningRate: 0.1f, weightDecay: 0.5f);
        float before = p.Item();
        coupled.Step();
        // Coupled: the gradient becomes λw, and Adam's first step moves by about α whatever its size.
        Assert.Equal(before - 0.1f, p.Item(), 4);
    }

    public static TheoryData<string, Func<Parameter[], FirstOrderOptimizer>> Optimizers() => new()
    {
        { "SGD Nesterov, clipped, noisy, decayed", p => new Sgd(p, 0.01f, momentum: 0.9f, weightDecay: 1e-4f, nesterov: true) { ClipNorm = 1f, ClipValue = 0.5f, GradientNoise = new GradientNoise(0.01f) } },
        { "AdaGrad", p => new AdaGrad(p) },
        { "RMSProp centred with momentum", p => new RmsProp(p, centered: true, momentum: 0.9f) },
        { "AdaDelta", p => new AdaDelta(p) },
        { "Adam AMSGrad", p => new Adam(p, amsgrad: true) },
        { "AdamW", p => new AdamW(p) },
        { "NAdam", p => new NAdam(p) },
        { "Rprop", p => new Rprop(p) },
        { "delta-bar-delta", p => new DeltaBarDelta(p) },
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void AStepAllocatesNothingAfterTheFirst(string name, Func<Parameter[], FirstOrderOptimizer> create)
    {
        Parameter[] parameters = [new Parameter(Tensor.Randn([64, 33])), new Parameter(Tensor.Randn([33])), new Parameter(Tensor.Randn([5]))];
        Tensor loss = parameters[0].Square().Sum() + parameters[1].Square().Sum() + parameters[2].Square().Sum();
        loss.Backward();
        FirstOrderOptimizer optimizer = create(parameters);
        optimizer.Step();   // warm-up: state buffers and the scratch gradient are allocated here
        optimizer.Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) optimizer.Step();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{name}: 100 steps allocated {allocated} bytes.");
    }
}
