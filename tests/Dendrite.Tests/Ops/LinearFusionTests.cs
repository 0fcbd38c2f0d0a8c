using Dendrite.NN;
using Dendrite.NN.Layers;

namespace Dendrite.Tests.Ops;

/// <summary>
/// The fused <c>Linear(weight, bias, FusedActivation.Relu)</c> against the separate ops it replaces,
/// <c>Linear(weight, bias).Relu()</c>: the same bits forward and backward, on small shapes and on the
/// shapes of the 784-500-500-10 MLP, and Dense routing its ReLU to it.
/// </summary>
public sealed class LinearFusionTests
{
    public static TheoryData<int[], int, bool> Shapes() => new()
    {
        // input shape, out features, bias
        { [4, 3], 5, true },
        { [4, 3], 5, false },
        { [2, 3, 7], 6, true },
        { [128, 784], 500, true },
        { [128, 500], 500, true },
        { [1, 1], 1, true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FusedRelu_GivesTheBitsOfLinearThenRelu_ForwardAndBackward(int[] inputShape, int outFeatures, bool withBias)
    {
        var generator = new RandomGenerator(17);
        int inFeatures = inputShape[^1];
        Tensor x0 = Tensor.Randn(inputShape, generator);
        Tensor w0 = Tensor.Randn([outFeatures, inFeatures], generator) * 0.3f;
        Tensor b0 = Tensor.Randn([outFeatures], generator) * 0.5f;
        Tensor upstream = Tensor.Randn([.. inputShape[..^1], outFeatures], generator);

        (float[] Output, float[] Dx, float[] Dw, float[]? Db) Run(bool fused)
        {
            Tensor x = x0.Clone(), w = w0.Clone(), b = b0.Clone();
            x.RequiresGrad = w.RequiresGrad = b.RequiresGrad = true;
            Tensor y = fused ? x.Linear(w, withBias ? b : null, FusedActivation.Relu) : x.Linear(w, withBias ? b : null).Relu();
            float[] output = y.ToArray();
            // Twice, so the second pass accumulates into every gradient.
            (y * upstream).Sum().Backward(retainGraph: true);
            (y * upstream).Sum().Backward();
            return (output, x.Grad!.ToArray(), w.Grad!.ToArray(), withBias ? b.Grad!.ToArray() : null);
        }

        var separate = Run(fused: false);
        var fused = Run(fused: true);
        AssertBits(separate.Output, fused.Output, "output");
        AssertBits(separate.Dx, fused.Dx, "dx");
        AssertBits(separate.Dw, fused.Dw, "dW");
        if (withBias) AssertBits(separate.Db!, fused.Db!, "db");
    }

    [Fact]
    public void FusedRelu_PassesAGradientCheck()
    {
        var generator = new RandomGenerator(5);
        Tensor x = Tensor.Uniform([5, 7], -2f, 2f, generator);
        Tensor w = Tensor.Uniform([6, 7], -1f, 1f, generator);
        Tensor b = Tensor.Uniform([6], -1f, 1f, generator);
        // Keep every pre-activation away from the kink at 0, where finite differences are undefined.
        using (new NoGrad())
        {
            Span<float> z = x.Linear(w, b).Data;
            Span<float> bias = b.Data;
            for (int i = 0; i < z.Length; i++)
                if (MathF.Abs(z[i]) < 0.05f) bias[i % 6] += 0.2f;
        }
        var result = GradCheck.Run(() => x.Linear(w, b, FusedActivation.Relu), [x, w, b]);
        Assert.True(result.Passed, result.ToString());
        var noBias = GradCheck.Run(() => x.Linear(w, null, FusedActivation.Relu), [x, w]);
        Assert.True(noBias.Passed, noBias.ToString());
    }

    [Fact]
    public void RetainedOutputGradient_IsNotMasked()
    {
        var generator = new RandomGenerator(3);
        Tensor x = Tensor.Randn([4, 3], generator), w = Tensor.Randn([5, 3], generator);
        w.RequiresGrad = true;
        Tensor y = x.Linear(w, null, FusedActivation.Relu);
        y.RetainGrad();
        Tensor upstream = Tensor.Randn([4, 5], generator);
        (y * upstream).Sum().Backward();
        // d(sum(y * u))/dy = u everywhere, including where the ReLU is off.
        Assert.Equal(upstream.ToArray(), y.Grad!.ToArray());
    }

    [Fact]
    public void DenseWithRelu_RecordsOneFusedNode_AndMatchesTheUnfusedLayer()
    {
        var dense = new Dense(6, 4, new Relu(), generator: new RandomGenerator(9));
        Tensor x = Tensor.Randn([3, 6], new RandomGenerator(10));
        x.RequiresGrad = true;
        Tensor y = dense.Forward(x);
        Assert.Equal("LinearRelu", y.OperationName);
        Tensor expected = x.Linear(dense.Weight, dense.Bias).Relu();
        AssertBits(expected.ToArray(), y.ToArray(), "Dense(relu) output");
    }

    [Fact]
    public void Summary_StillListsTheActivation()
    {
        var model = new Sequential(new Dense(4, 3, new Relu()), new Dense(3, 2));
        string summary = ModelSummary.Create(model, new Shape(4)).ToString();
        Assert.Contains("relu", summary, StringComparison.Ordinal);
    }

    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}[{i}]: {expected[i]:R} separate vs {actual[i]:R} fused");
    }
}
