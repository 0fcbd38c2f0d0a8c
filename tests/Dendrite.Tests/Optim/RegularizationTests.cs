using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Regularizers;
using Dendrite.Optim;
using Dendrite.Optim.FullBatch;
using Xunit.Abstractions;

namespace Dendrite.Tests.Optim;

/// <summary>
/// Regularisers and constraints through the optimisers: L1 leaves most weights near zero, L2
/// shrinks them, weight decay matches L2 through the loss, and max-norm holds after every step.
/// </summary>
public class RegularizationTests(ITestOutputHelper output)
{
    // A regression that needs 2 of its 10 inputs: y = tanh(x₀ − 2x₁), on 64 samples.
    private static (Tensor X, Tensor Y) Data()
    {
        var generator = new RandomGenerator(11);
        Tensor x = Tensor.Randn([64, 10], generator);
        float[] xs = x.ToArray();
        var y = new float[64];
        for (int i = 0; i < 64; i++) y[i] = MathF.Tanh(xs[i * 10] - 2 * xs[i * 10 + 1]);
        return (x, Tensor.FromArray(y, new Shape(64, 1)));
    }

    private static Sequential Network(Regularizer? regularizer) =>
        new(new Dense(10, 8, new Tanh(), weightRegularizer: regularizer, generator: new RandomGenerator(5)),
            new Dense(8, 1, weightRegularizer: regularizer, generator: new RandomGenerator(6)));

    private static float[] TrainedWeights(Regularizer? regularizer)
    {
        var (x, y) = Data();
        Sequential model = Network(regularizer);
        var sgd = new Sgd(model.Parameters(), learningRate: 0.05f);
        for (int step = 0; step < 3000; step++)
        {
            sgd.ZeroGrad();
            Tensor loss = (model.Forward(x) - y).Square().Mean();
            if (model.RegularizationLoss() is Tensor penalty) loss = loss + penalty;
            loss.Backward();
            sgd.Step();
        }
        return model.NamedParameters().Where(p => p.Name.EndsWith("weight", StringComparison.Ordinal)).SelectMany(p => p.Parameter.ToArray()).ToArray();
    }

    [Fact]
    public void L1LeavesMostWeightsNearZeroAndL2ShrinksThem()
    {
        float[] plain = TrainedWeights(null);
        float[] l1 = TrainedWeights(Regularizer.L1(3e-3f));
        float[] l2 = TrainedWeights(Regularizer.L2(3e-2f));
        static int NearZero(float[] w) => w.Count(v => MathF.Abs(v) < 1e-2f);
        static double MeanAbs(float[] w) => w.Average(v => Math.Abs(v));
        output.WriteLine($"{plain.Length} weights; |w| < 0.01: none {NearZero(plain)}, L1 {NearZero(l1)}, L2 {NearZero(l2)}; " +
                         $"mean |w|: none {MeanAbs(plain):F4}, L1 {MeanAbs(l1):F4}, L2 {MeanAbs(l2):F4}.");
        Assert.True(NearZero(l1) > l1.Length / 2, $"L1: only {NearZero(l1)} of {l1.Length} weights are below 0.01 in magnitude.");
        Assert.True(NearZero(l1) > 3 * NearZero(plain));
        Assert.True(MeanAbs(l2) < 0.8 * MeanAbs(plain), $"L2: mean |w| {MeanAbs(l2)} is not clearly below {MeanAbs(plain)} without it.");
    }

    [Fact]
    public void CoupledWeightDecayIsL2ThroughTheGradient()
    {
        // λ/2·Σw² in the loss has gradient λw: SGD with weightDecay λ takes the same steps.
        var (x, y) = Data();
        Sequential withPenalty = Network(Regularizer.L2(0.1f));
        Sequential withDecay = Network(null);
        var viaLoss = new Sgd(withPenalty.Parameters(), 0.05f);
        // Decay the weights only, as the regulariser does: the biases in a group with weight decay 0.
        var biasFree = new Sgd(withDecay.NamedParameters().Where(p => p.Name.EndsWith("weight", StringComparison.Ordinal)).Select(p => p.Parameter), 0.05f, weightDecay: 0.1f);
        biasFree.AddParameterGroup(new ParameterGroup(withDecay.NamedParameters().Where(p => p.Name.EndsWith("bias", StringComparison.Ordinal)).Select(p => p.Parameter)) { WeightDecay = 0f });
        for (int step = 0; step < 20; step++)
        {
            viaLoss.ZeroGrad();
            ((withPenalty.Forward(x) - y).Square().Mean() + withPenalty.RegularizationLoss()!).Backward();
            viaLoss.Step();
            biasFree.ZeroGrad();
            (withDecay.Forward(x) - y).Square().Mean().Backward();
            biasFree.Step();
        }
        foreach (var ((name, a), (_, b)) in withPenalty.NamedParameters().Zip(withDecay.NamedParameters()))
            Dendrite.Tests.Support.Assertions.AllClose(a.ToArray(), b.ToArray(), rtol: 1e-4, atol: 1e-6, what: name);
    }

    public static TheoryData<string> ConstrainedOptimizers() => new() { "sgd", "adam", "lbfgs" };

    [Theory]
    [MemberData(nameof(ConstrainedOptimizers))]
    public void MaxNormHoldsAfterEveryStep(string kind)
    {
        const float C = 0.5f;
        var (x, y) = Data();
        var hidden = new Dense(10, 8, new Tanh(), weightConstraint: Constraint.MaxNorm(C), generator: new RandomGenerator(5));
        var model = new Sequential(hidden, new Dense(8, 1, generator: new RandomGenerator(6)));
        Parameter[] parameters = [.. model.Parameters()];
        Optimizer optimizer = kind switch
        {
            "sgd" => new Sgd(parameters, learningRate: 0.01f, momentum: 0.9f),
            "adam" => new Adam(parameters, learningRate: 0.05f),
            _ => new Lbfgs(parameters, maxIterations: 5),
        };
        float largest = 0f;
        for (int step = 0; step < 50; step++)
        {
            OptimProblems.TakeStep(optimizer, () => (model.Forward(x) - y).Square().Mean() * 10f);
            float[] w = hidden.Weight.ToArray();
            for (int row = 0; row < 8; row++)
            {
                float norm = MathF.Sqrt(w.Skip(row * 10).Take(10).Sum(v => v * v));
                largest = MathF.Max(largest, norm);
                Assert.True(norm <= C * (1 + 1e-5f), $"{kind}, step {step + 1}: row {row} has norm {norm} > {C}.");
            }
        }
        output.WriteLine($"{kind}: largest row norm over 50 steps {largest} (bound {C}).");
        Assert.True(largest > 0.99f * C, "the constraint was never active; the test would prove nothing");
    }
}
