using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Optim;
using Xunit.Abstractions;

namespace Dendrite.Tests.Optim;

/// <summary>
/// QuickProp: three hand-computed steps on a parabola (the third lands on the minimum), XOR to full
/// accuracy and a small regression to a stated loss, full batch, from fixed seeds.
/// </summary>
public class QuickPropTests(ITestOutputHelper output)
{
    /// <summary>
    /// E(w) = (w − 3)² from w = 0 with ε = 0.4, μ = 1.75 (shrink = 0.636):
    /// step 1: S = −6, Δ = −ε·S = 2.4, w = 2.4.
    /// step 2: S = −1.2 (still negative after a positive step, so the gradient term 0.48 is added);
    /// the jump 2.4·(−1.2)/(−6 + 1.2) = 0.6 is within μ·2.4; Δ = 1.08, w = 3.48.
    /// step 3: S = 0.96, the jump 1.08·0.96/(−1.2 − 0.96) = −0.48 and no gradient term (S has turned); w = 3.
    /// </summary>
    [Fact]
    public void ThreeHandComputedStepsOnAParabolaEndAtTheMinimum()
    {
        var w = new Parameter(Tensor.From(0f));
        var optimizer = new QuickProp([w], learningRate: 0.4f, maxGrowthFactor: 1.75f);
        float[] expected = [2.4f, 3.48f, 3f];
        foreach (float value in expected)
        {
            optimizer.ZeroGrad();
            (w - 3f).Square().Sum().Backward();
            optimizer.Step();
            Assert.Equal(value, w.Item(), 5);
        }
    }

    [Fact]
    public void TheStepIsCappedAtTheMaximumGrowthFactor()
    {
        // E = (w − 3)², ε = 0.1: step 1 is 0.6; the parabola's jump would be 2.4 = 4× the last step, so
        // the step is μ·0.6 = 1.05 plus the gradient term 0.48.
        var w = new Parameter(Tensor.From(0f));
        var optimizer = new QuickProp([w], learningRate: 0.1f, maxGrowthFactor: 1.75f);
        for (int i = 0; i < 2; i++)
        {
            optimizer.ZeroGrad();
            (w - 3f).Square().Sum().Backward();
            optimizer.Step();
        }
        Assert.Equal(0.6f + 1.05f + 0.48f, w.Item(), 5);
    }

    [Fact]
    public void TrainsXorToFullAccuracyAndMseBelow001()
    {
        var inputs = Tensor.FromArray([0, 0, 0, 1, 1, 0, 1, 1], new Shape(4, 2));
        var targets = Tensor.FromArray([0, 1, 1, 0], new Shape(4, 1));
        var model = new Sequential(new Dense(2, 4, new Tanh(), generator: new RandomGenerator(3)),
            new Dense(4, 1, new Sigmoid(), generator: new RandomGenerator(1003)));
        var optimizer = new QuickProp(model.Parameters(), learningRate: 2f);
        int steps = TrainUntil(model, optimizer, inputs, targets, mse: 0.01f, maxSteps: 300, extra: () => Accuracy(model, inputs) == 1.0);
        output.WriteLine($"QuickProp (ε 2, μ 1.75), XOR 2-4-1 from seed 3: 100% accuracy and MSE < 0.01 after {steps} full-batch steps.");
    }

    [Fact]
    public void FitsASineToMseBelow0005()
    {
        // y = sin(πx) on 40 points of [−1, 1], a 1-8-1 tanh network, full batch.
        Tensor x = Tensor.Linspace(-1f, 1f, 40).Reshape(40, 1);
        Tensor y = Tensor.FromArray(x.ToArray().Select(v => MathF.Sin(MathF.PI * v)).ToArray(), new Shape(40, 1));
        var model = Models.Mlp([1, 8, 1], () => new Tanh(), generator: new RandomGenerator(11));
        var optimizer = new QuickProp(model.Parameters(), learningRate: 0.2f);
        int steps = TrainUntil(model, optimizer, x, y, mse: 0.005f, maxSteps: 1_500);
        output.WriteLine($"QuickProp (ε 0.2, μ 1.75), sin(πx) with a 1-8-1 tanh network: MSE < 0.005 after {steps} full-batch steps.");
    }

    private static int TrainUntil(Module model, Optimizer optimizer, Tensor inputs, Tensor targets, float mse, int maxSteps, Func<bool>? extra = null)
    {
        for (int step = 0; ; step++)
        {
            optimizer.ZeroGrad();
            Tensor loss = (model.Forward(inputs) - targets).Square().Mean();
            float value = loss.Item();
            Assert.True(float.IsFinite(value), $"QuickProp diverged at step {step}.");
            if (value < mse && (extra?.Invoke() ?? true)) return step;
            Assert.True(step < maxSteps, $"QuickProp: MSE {value} after {maxSteps} steps; expected below {mse}.");
            loss.Backward();
            optimizer.Step();
        }
    }

    private static double Accuracy(Module model, Tensor inputs)
    {
        using var _ = new NoGrad();
        float[] y = model.Forward(inputs).ToArray();
        float[] expected = [0, 1, 1, 0];
        return y.Zip(expected, (o, t) => (o > 0.5f) == (t > 0.5f) ? 1.0 : 0.0).Average();
    }
}
