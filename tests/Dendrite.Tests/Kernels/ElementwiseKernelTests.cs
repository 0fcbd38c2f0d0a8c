using Dendrite.Kernels;
using Dendrite.Tests.Support;

namespace Dendrite.Tests.Kernels;

/// <summary>Every operator struct's SIMD paths against its own scalar form, for every length 0..70 (all tails).</summary>
public class ElementwiseKernelTests
{
    private static float[] Values(int n, int seed, float low = -6f, float high = 6f)
    {
        var generator = new RandomGenerator(seed);
        var values = new float[n];
        generator.FillUniform(values, low, high);
        return values;
    }

    private static void CheckUnary<T>(T op, double tolerance = 2e-6) where T : struct, IUnaryOperator
    {
        for (int n = 0; n <= 70; n++)
        {
            float[] x = Values(n, n);
            var actual = new float[n];
            Elementwise.Map(op, x, actual);
            var expected = x.Select(op.Invoke).ToArray();
            Assertions.AllClose(expected, actual, rtol: tolerance, atol: tolerance, what: $"{typeof(T).Name} n={n}");
        }
    }

    private static void CheckBinary<T>(T op, double tolerance = 2e-6, float low = -6f, float high = 6f) where T : struct, IBinaryOperator
    {
        for (int n = 0; n <= 70; n++)
        {
            float[] x = Values(n, n, low, high), y = Values(n, n + 100);
            var actual = new float[n];
            Elementwise.Map(op, x, y, actual);
            Assertions.AllClose(x.Zip(y, op.Invoke).ToArray(), actual, rtol: tolerance, atol: tolerance, what: $"{typeof(T).Name} n={n}");

            // Scalar second and first operands, and the accumulating form.
            Elementwise.Map(op, x, 0.75f, actual);
            Assertions.AllClose(x.Select(v => op.Invoke(v, 0.75f)).ToArray(), actual, rtol: tolerance, atol: tolerance, what: $"{typeof(T).Name}(x, s) n={n}");
            Elementwise.Map(op, -0.5f, y, actual);
            Assertions.AllClose(y.Select(v => op.Invoke(-0.5f, v)).ToArray(), actual, rtol: tolerance, atol: tolerance, what: $"{typeof(T).Name}(s, y) n={n}");
            var accumulated = Enumerable.Repeat(1f, n).ToArray();
            Elementwise.MapAdd(op, x, y, accumulated);
            Assertions.AllClose(x.Zip(y, (a, b) => 1f + op.Invoke(a, b)).ToArray(), accumulated, rtol: tolerance, atol: tolerance, what: $"{typeof(T).Name} accumulate n={n}");
        }
    }

    [Fact] public void Relu() => CheckUnary(new ReluOperator());
    [Fact] public void LeakyRelu() => CheckUnary(new LeakyReluOperator(0.1f));
    [Fact] public void Elu() => CheckUnary(new EluOperator(0.7f));
    [Fact] public void Softplus() => CheckUnary(new SoftplusOperator());
    [Fact] public void Sigmoid() => CheckUnary(new SigmoidOperator());
    [Fact] public void Silu() => CheckUnary(new SiluOperator());
    [Fact] public void Erf() => CheckUnary(new ErfOperator());
    [Fact] public void Gelu() => CheckUnary(new GeluOperator());
    [Fact] public void Arithmetic()
    {
        CheckBinary(new AddOperator());
        CheckBinary(new SubtractOperator());
        CheckBinary(new MultiplyOperator());
        CheckBinary(new DivideOperator(), low: 0.5f, high: 3f);
        CheckBinary(new MaximumOperator());
        CheckBinary(new MinimumOperator());
        CheckBinary(new GreaterOperator());
        CheckBinary(new GreaterOrEqualOperator());
        CheckBinary(new EqualOperator());
    }
    [Fact] public void Derivatives()
    {
        CheckBinary(new ReluGradOperator());
        CheckBinary(new LeakyReluGradOperator(0.2f));
        CheckBinary(new EluGradOperator(1.3f));
        CheckBinary(new SoftplusGradOperator());
        CheckBinary(new SigmoidGradOperator());
        CheckBinary(new TanhGradOperator());
        CheckBinary(new LecunTanhGradOperator());
        CheckBinary(new SiluGradOperator());
        CheckBinary(new GeluGradOperator());
    }

    [Fact]
    public void ErfMatchesAKnownTable()
    {
        // erf values to 7 digits (Abramowitz & Stegun table 7.1).
        (float x, float erf)[] table = [(0f, 0f), (0.1f, 0.1124629f), (0.5f, 0.5204999f), (1f, 0.8427008f), (2f, 0.9953223f), (-1.5f, -0.9661051f), (4f, 1f)];
        foreach (var (x, erf) in table) Assert.Equal(erf, new ErfOperator().Invoke(x), 6);
    }

    [Fact]
    public void ActivationsHaveTheirTextbookValues()
    {
        Assert.Equal(0.5f, new SigmoidOperator().Invoke(0f));
        Assert.Equal(1f, new SigmoidOperator().Invoke(100f));
        Assert.Equal(0f, new SigmoidOperator().Invoke(-100f));
        Assert.Equal(MathF.Log(2f), new SoftplusOperator().Invoke(0f), 6);
        Assert.Equal(50f, new SoftplusOperator().Invoke(50f), 5);
        Assert.Equal(MathF.Exp(-30f), new SoftplusOperator().Invoke(-30f), 12);
        Assert.Equal(0f, new ReluGradOperator().Invoke(0f, 1f)); // PyTorch: gradient 0 at 0
        // LeCun's tanh maps ±1 to ±1 (to 4 digits).
        Assert.Equal(1f, (Tensor.From(1f).LecunTanh()).Item(), 3);
        Assert.Equal(0.8413447f, new GeluOperator().Invoke(1f), 5);
    }

    [Fact]
    public void MismatchedLengthsThrowInsteadOfReadingPastTheEnd()
    {
        var error = Assert.Throws<ArgumentException>(() => Elementwise.Map(new ReluOperator(), new float[5], new float[4]));
        Assert.Contains("5", error.Message);
    }
}
