using System.Runtime.Intrinsics;
using Dendrite.Autograd;
using Dendrite.Kernels;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// Unary element-wise functions, forward beside backward. Each backward rule is an operator struct
// taking (saved value, upstream gradient g), where the saved value is the input x or the output y:
//   exp:   dx = g·y            log:  dx = g / x          sqrt: dx = g / (2y)
//   abs:   dx = g·sign(x)      sign: dx = 0              square: dx = 2x·g
//   reciprocal: dx = −g·y²     clamp: dx = g inside [min, max], else 0

public static partial class TensorOps
{
    extension(Tensor x)
    {
        /// <summary>e^x element-wise.</summary>
        public Tensor Exp() => Unary(x, new ExpFunction(), new MultiplyOperator(), "Exp", savesOutput: true);

        /// <summary>Natural logarithm element-wise (−∞ at 0, NaN below).</summary>
        public Tensor Log() => Unary(x, new LogFunction(), new DivideOperator(), "Log", savesOutput: false, gradientFirst: true);

        /// <summary>Square root element-wise.</summary>
        public Tensor Sqrt() => Unary(x, new SqrtFunction(), new SqrtGradOperator(), "Sqrt", savesOutput: true);

        /// <summary>|x| element-wise (gradient 0 at 0, as PyTorch).</summary>
        public Tensor Abs() => Unary(x, new AbsFunction(), new AbsGradOperator(), "Abs", savesOutput: false);

        /// <summary>−1, 0 or 1 by the sign of each element; its gradient is zero everywhere.</summary>
        public Tensor Sign() => Unary(x, new SignFunction(), new ZeroGradOperator(), "Sign", savesOutput: false);

        /// <summary>x² element-wise.</summary>
        public Tensor Square() => Unary(x, new SquareFunction(), new SquareGradOperator(), "Square", savesOutput: false);

        /// <summary>1/x element-wise.</summary>
        public Tensor Reciprocal() => Unary(x, new ReciprocalFunction(), new ReciprocalGradOperator(), "Reciprocal", savesOutput: true);

        /// <summary>−x element-wise.</summary>
        public Tensor Negate() => Scalar(x, ScalarKind.Multiply, -1f);

        /// <summary>Limits every element to [<paramref name="min"/>, <paramref name="max"/>]; the gradient passes only where the input was inside.</summary>
        public Tensor Clamp(float min = float.NegativeInfinity, float max = float.PositiveInfinity)
        {
            if (min > max) throw new ArgumentException($"Clamp: min ({min}) must not exceed max ({max}).");
            return Unary(x, new ClampFunction(min, max), new ClampGradOperator(min, max), "Clamp", savesOutput: false);
        }
    }

    /// <summary>A forward function over whole spans (TensorPrimitives where it has the function).</summary>
    internal interface ISpanFunction
    {
        void Invoke(ReadOnlySpan<float> x, Span<float> y);
    }

    /// <summary>
    /// y = f(x) element-wise; records a node whose backward is dx = grad(saved, g), with saved the
    /// output y when <paramref name="savesOutput"/>, else the input x. When
    /// <paramref name="gradientFirst"/> the operator is called as grad(g, saved) instead.
    /// </summary>
    internal static Tensor Unary<TFunction, TGradient>(Tensor x, TFunction function, TGradient gradient, string name, bool savesOutput, bool gradientFirst = false)
        where TFunction : struct, ISpanFunction
        where TGradient : struct, IBinaryOperator
    {
        x = x.Contiguous();
        Tensor y = Tensor.Uninitialized(x.Shape);
        function.Invoke(x.Span, y.Span);
        if (GradMode.ShouldRecord(x))
        {
            var node = UnaryNode<TGradient>.Rent();
            node.Input0 = x;
            node.Gradient = gradient;
            node.Name = name;
            node.SavesOutput = savesOutput;
            node.GradientFirst = gradientFirst;
            GradMode.Attach(y, node);
        }
        return y;
    }

    private sealed class UnaryNode<TGradient> : Node<UnaryNode<TGradient>>
        where TGradient : struct, IBinaryOperator
    {
        public TGradient Gradient;
        public string Name = "";
        public bool SavesOutput;
        public bool GradientFirst;

        public override string OperationName => Name;

        public override void Backward(Tensor output)
        {
            Tensor x = Input0;
            if (!Wants(x)) return;
            ReadOnlySpan<float> saved = SavesOutput ? output.Span : x.Span;
            ReadOnlySpan<float> g = output.GradientSpan;
            Span<float> target = x.GradientTarget(out bool accumulate);
            if (GradientFirst) Elementwise.Map(Gradient, g, saved, target, accumulate);
            else Elementwise.Map(Gradient, saved, g, target, accumulate);
        }
    }

    /// <summary>Applies an <see cref="IUnaryOperator"/> through the SIMD driver.</summary>
    internal readonly struct Mapped<TOperator>(TOperator op) : ISpanFunction where TOperator : struct, IUnaryOperator
    {
        public void Invoke(ReadOnlySpan<float> x, Span<float> y) => Elementwise.Map(op, x, y);
    }

    private readonly struct ExpFunction : ISpanFunction
    {
        public void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Exp(x, y);
    }

    private readonly struct LogFunction : ISpanFunction
    {
        public void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Log(x, y);
    }

    private readonly struct SqrtFunction : ISpanFunction
    {
        public void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sqrt(x, y);
    }

    private readonly struct AbsFunction : ISpanFunction
    {
        public void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Abs(x, y);
    }

    private readonly struct SquareFunction : ISpanFunction
    {
        public void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Multiply(x, x, y);
    }

    private readonly struct ReciprocalFunction : ISpanFunction
    {
        public void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Divide(1f, x, y);
    }

    private readonly struct SignFunction : ISpanFunction
    {
        public void Invoke(ReadOnlySpan<float> x, Span<float> y)
        {
            for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0f ? 1f : x[i] < 0f ? -1f : x[i];
        }
    }

    private readonly struct ClampFunction(float min, float max) : ISpanFunction
    {
        public void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Clamp(x, min, max, y);
    }

    /// <summary>d√x = g / (2y).</summary>
    private readonly struct SqrtGradOperator : IBinaryOperator
    {
        public float Invoke(float y, float g) => g / (2f * y);
        public Vector512<float> Invoke(Vector512<float> y, Vector512<float> g) => g / (y + y);
        public Vector256<float> Invoke(Vector256<float> y, Vector256<float> g) => g / (y + y);
    }

    /// <summary>d|x| = g·sign(x), 0 at 0.</summary>
    private readonly struct AbsGradOperator : IBinaryOperator
    {
        public float Invoke(float x, float g) => x > 0f ? g : x < 0f ? -g : 0f;
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) =>
            (Vector512.GreaterThan(x, Vector512<float>.Zero) & g) - (Vector512.LessThan(x, Vector512<float>.Zero) & g);
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) =>
            (Vector256.GreaterThan(x, Vector256<float>.Zero) & g) - (Vector256.LessThan(x, Vector256<float>.Zero) & g);
    }

    /// <summary>A gradient of zero (sign, comparisons).</summary>
    private readonly struct ZeroGradOperator : IBinaryOperator
    {
        public float Invoke(float x, float g) => 0f;
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => Vector512<float>.Zero;
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => Vector256<float>.Zero;
    }

    /// <summary>d(x²) = 2x·g.</summary>
    private readonly struct SquareGradOperator : IBinaryOperator
    {
        public float Invoke(float x, float g) => 2f * x * g;
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => (x + x) * g;
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => (x + x) * g;
    }

    /// <summary>d(1/x) = −g·y².</summary>
    private readonly struct ReciprocalGradOperator : IBinaryOperator
    {
        public float Invoke(float y, float g) => -g * y * y;
        public Vector512<float> Invoke(Vector512<float> y, Vector512<float> g) => -g * y * y;
        public Vector256<float> Invoke(Vector256<float> y, Vector256<float> g) => -g * y * y;
    }

    /// <summary>Clamp passes g where min ≤ x ≤ max (PyTorch includes the bounds).</summary>
    private readonly struct ClampGradOperator(float min, float max) : IBinaryOperator
    {
        public float Invoke(float x, float g) => x >= min && x <= max ? g : 0f;
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) =>
            Vector512.GreaterThanOrEqual(x, Vector512.Create(min)) & Vector512.LessThanOrEqual(x, Vector512.Create(max)) & g;
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) =>
            Vector256.GreaterThanOrEqual(x, Vector256.Create(min)) & Vector256.LessThanOrEqual(x, Vector256.Create(max)) & g;
    }
}
