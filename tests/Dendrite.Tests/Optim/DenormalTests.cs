using Dendrite.NN;
using Dendrite.Optim;

namespace Dendrite.Tests.Optim;

/// <summary>
/// Optimiser state never holds denormal floats: .NET cannot set flush-to-zero, so the update
/// kernels flush |x| &lt; 2^−126 to 0 themselves. With zero gradients after a first real one,
/// every decaying buffer passes through the denormal range on its way to 0; the test checks every
/// value after every step.
/// </summary>
public class DenormalTests
{
    public sealed record Case(string Name, Func<Parameter[], FirstOrderOptimizer> Create, int Steps)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> Cases() => new()
    {
        // β1 = 0.9 takes m from ~1 to 1e-38 in ~830 steps; β2 = 0.99 takes v (~0.01 after step 1) there in ~8,300.
        new("Adam", p => new Adam(p, 1e-3f, beta2: 0.99f), 12_000),
        new("Adam AMSGrad", p => new Adam(p, 1e-3f, beta2: 0.99f, amsgrad: true), 12_000),
        new("NAdam", p => new NAdam(p, 1e-3f, beta2: 0.99f), 12_000),
        new("SGD momentum", p => new Sgd(p, 0.1f, momentum: 0.9f), 1_000),
        new("RMSProp centred with momentum", p => new RmsProp(p, 1e-3f, rho: 0.9f, momentum: 0.9f, centered: true), 1_500),
        new("AdaDelta", p => new AdaDelta(p, rho: 0.9f), 1_500),
        new("delta-bar-delta", p => new DeltaBarDelta(p, 0.01f, theta: 0.9f), 1_000),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void StateNeverHoldsDenormals(Case c)
    {
        // 37 elements: 4 full 8-wide vectors and a scalar tail of 5, so both code paths are checked.
        var p = new Parameter(Tensor.Linspace(-1f, 1f, 37));
        FirstOrderOptimizer optimizer = c.Create([p]);
        p.Square().Sum().Backward();
        optimizer.Step();
        p.ZeroGrad();
        (p * 0f).Sum().Backward();   // from now on the gradient is exactly 0
        ParameterState state = optimizer.State(p);
        int nonZeroAfterFirstStep = state.Buffers.Sum(b => b.Value.Count(v => v != 0f));
        for (int step = 0; step < c.Steps; step++)
        {
            optimizer.Step();
            foreach (var (name, buffer) in state.Buffers)
                Assert.True(Denormals.NoneDenormal(buffer), $"{c.Name}, step {step + 2}: '{name}' holds a denormal value.");
        }
        // Values did decay all the way to 0 (so they crossed the denormal range on the way).
        int nonZeroAtEnd = state.Buffers.Sum(b => b.Value.Count(v => v != 0f));
        Assert.True(nonZeroAtEnd < nonZeroAfterFirstStep, $"{c.Name}: no state value decayed to 0 within {c.Steps} steps; the test would prove nothing.");
    }

    [Fact]
    public void WithoutFlushingTheMomentsWouldBeDenormal()
    {
        // The same decay in plain float arithmetic: 0.9^k·m lands on denormals before it reaches 0.
        float m = 1f;
        int denormalSteps = 0;
        for (int k = 0; k < 1_000; k++)
        {
            m *= 0.9f;
            if (m != 0f && m < Denormals.MinNormal) denormalSteps++;
        }
        Assert.True(denormalSteps > 10);
    }

    [Fact]
    public void FlushKeepsNormalsInfinitiesAndNaN()
    {
        float[] values = [0f, -0f, 1e-39f, -1e-40f, float.Epsilon, Denormals.MinNormal, -Denormals.MinNormal, 1f, float.PositiveInfinity, float.NaN, -3e38f];
        float[] flushed = (float[])values.Clone();
        Denormals.Flush(flushed);
        float[] scalar = values.Select(Denormals.Flush).ToArray();
        Assert.Equal(scalar, flushed);
        Assert.Equal(new[] { 0f, -0f, 0f, 0f, 0f, Denormals.MinNormal, -Denormals.MinNormal, 1f, float.PositiveInfinity, float.NaN, -3e38f }, flushed);
    }
}
