using System.Runtime.Intrinsics;
using Dendrite.Autograd;
using Dendrite.Kernels;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// Binary element-wise arithmetic with broadcasting. Gradients (g = d(loss)/d(out), summed back
// over broadcast dimensions by Broadcasting.SumTo):
//   a + b: da = g,          db = g
//   a − b: da = g,          db = −g
//   a · b: da = g·b,        db = g·a
//   a / b: da = g / b,      db = −g·out / b
//   max(a, b): da = g where a > b, g/2 where a = b (PyTorch splits ties), db likewise
//   a ^ b: da = g·b·a^(b−1), db = g·out·ln a

public static partial class TensorOps
{
    extension(Tensor a)
    {
        /// <summary>a + b, broadcasting. Result has the broadcast shape.</summary>
        public Tensor Add(Tensor b) => Binary(a, b, BinaryKind.Add);

        /// <summary>a − b, broadcasting.</summary>
        public Tensor Subtract(Tensor b) => Binary(a, b, BinaryKind.Subtract);

        /// <summary>a · b element-wise (Hadamard product), broadcasting.</summary>
        public Tensor Multiply(Tensor b) => Binary(a, b, BinaryKind.Multiply);

        /// <summary>a / b element-wise, broadcasting.</summary>
        public Tensor Divide(Tensor b) => Binary(a, b, BinaryKind.Divide);

        /// <summary>Element-wise maximum of a and b, broadcasting (as <c>torch.maximum</c>).</summary>
        public Tensor Maximum(Tensor b) => Binary(a, b, BinaryKind.Maximum);

        /// <summary>Element-wise minimum of a and b, broadcasting (as <c>torch.minimum</c>).</summary>
        public Tensor Minimum(Tensor b) => Binary(a, b, BinaryKind.Minimum);

        /// <summary>a raised to b element-wise, broadcasting; a should be positive where b is not an integer.</summary>
        public Tensor Pow(Tensor exponent) => Binary(a, exponent, BinaryKind.Power);

        /// <summary>a + s.</summary>
        public Tensor Add(float s) => Scalar(a, ScalarKind.Add, s);

        /// <summary>a · s.</summary>
        public Tensor Multiply(float s) => Scalar(a, ScalarKind.Multiply, s);

        /// <summary>a raised to a constant power p: a^p (for non-integer p, a should be positive).</summary>
        public Tensor Pow(float exponent) => Scalar(a, ScalarKind.Power, exponent);

        /// <summary>Element-wise sum; see <see cref="Add(Tensor, Tensor)"/>.</summary>
        public static Tensor operator +(Tensor left, Tensor right) => Binary(left, right, BinaryKind.Add);

        /// <summary>Element-wise difference, broadcasting.</summary>
        public static Tensor operator -(Tensor left, Tensor right) => Binary(left, right, BinaryKind.Subtract);

        /// <summary>Element-wise (Hadamard) product, broadcasting. Matrix product is <c>MatMul</c>.</summary>
        public static Tensor operator *(Tensor left, Tensor right) => Binary(left, right, BinaryKind.Multiply);

        /// <summary>Element-wise quotient, broadcasting.</summary>
        public static Tensor operator /(Tensor left, Tensor right) => Binary(left, right, BinaryKind.Divide);

        /// <summary>Adds a constant to every element.</summary>
        public static Tensor operator +(Tensor left, float right) => Scalar(left, ScalarKind.Add, right);

        /// <summary>Adds a constant to every element.</summary>
        public static Tensor operator +(float left, Tensor right) => Scalar(right, ScalarKind.Add, left);

        /// <summary>Subtracts a constant from every element.</summary>
        public static Tensor operator -(Tensor left, float right) => Scalar(left, ScalarKind.Add, -right);

        /// <summary>A constant minus every element.</summary>
        public static Tensor operator -(float left, Tensor right) => Scalar(right, ScalarKind.ReverseSubtract, left);

        /// <summary>Multiplies every element by a constant.</summary>
        public static Tensor operator *(Tensor left, float right) => Scalar(left, ScalarKind.Multiply, right);

        /// <summary>Multiplies every element by a constant.</summary>
        public static Tensor operator *(float left, Tensor right) => Scalar(right, ScalarKind.Multiply, left);

        /// <summary>Divides every element by a constant.</summary>
        public static Tensor operator /(Tensor left, float right) => Scalar(left, ScalarKind.Multiply, 1f / right);

        /// <summary>A constant divided by every element.</summary>
        public static Tensor operator /(float left, Tensor right) => Scalar(right, ScalarKind.ReverseDivide, left);

        /// <summary>Negation, −a.</summary>
        public static Tensor operator -(Tensor operand) => Scalar(operand, ScalarKind.Multiply, -1f);
    }

    internal enum BinaryKind { Add, Subtract, Multiply, Divide, Maximum, Minimum, Power }

    private static string NameOf(BinaryKind kind) => kind switch
    {
        BinaryKind.Add => "Add",
        BinaryKind.Subtract => "Subtract",
        BinaryKind.Multiply => "Multiply",
        BinaryKind.Divide => "Divide",
        BinaryKind.Maximum => "Maximum",
        BinaryKind.Minimum => "Minimum",
        _ => "Pow",
    };

    private static Tensor Binary(Tensor a, Tensor b, BinaryKind kind)
    {
        a.EnsureReadable();
        b.EnsureReadable();
        Shape shape = Broadcasting.Shape(a.Shape, b.Shape, NameOf(kind));
        Tensor output = Tensor.Uninitialized(shape);
        TensorLayout left = a.Layout, right = b.Layout;
        Span<float> destination = output.Span;
        switch (kind)
        {
            case BinaryKind.Add: Broadcasting.Apply(new AddOperator(), left, right, shape, destination); break;
            case BinaryKind.Subtract: Broadcasting.Apply(new SubtractOperator(), left, right, shape, destination); break;
            case BinaryKind.Multiply: Broadcasting.Apply(new MultiplyOperator(), left, right, shape, destination); break;
            case BinaryKind.Divide: Broadcasting.Apply(new DivideOperator(), left, right, shape, destination); break;
            case BinaryKind.Maximum: Broadcasting.Apply(new MaximumOperator(), left, right, shape, destination); break;
            case BinaryKind.Minimum: Broadcasting.Apply(new MinimumOperator(), left, right, shape, destination); break;
            default: Broadcasting.Apply(new PowerOperator(), left, right, shape, destination); break;
        }
        if (GradMode.ShouldRecord(a, b))
        {
            var node = BinaryNode.Rent();
            node.Input0 = a;
            node.Input1 = b;
            node.Kind = kind;
            GradMode.Attach(output, node);
        }
        return output;
    }

    private sealed class BinaryNode : Node<BinaryNode>
    {
        public BinaryKind Kind;

        public override string OperationName => NameOf(Kind);

        public override void Backward(Tensor output)
        {
            Tensor a = Input0, b = Input1!;
            TensorLayout g = output.GradientLayout;
            Shape shape = output.Shape;
            switch (Kind)
            {
                case BinaryKind.Add:
                case BinaryKind.Subtract:
                    if (Wants(a)) Reduce(a, output.GradientSpan, shape);
                    if (Wants(b))
                    {
                        if (Kind == BinaryKind.Add)
                        {
                            Reduce(b, output.GradientSpan, shape);
                        }
                        else
                        {
                            float[] negated = BufferPool.Rent(shape.ElementCount);
                            TensorPrimitives.Negate(output.GradientSpan, negated.AsSpan(0, shape.ElementCount));
                            Reduce(b, negated.AsSpan(0, shape.ElementCount), shape);
                            BufferPool.Return(negated);
                        }
                    }
                    break;
                case BinaryKind.Multiply:
                    if (Wants(a)) Combine(new MultiplyOperator(), a, g, b.Layout, shape);
                    if (Wants(b)) Combine(new MultiplyOperator(), b, g, a.Layout, shape);
                    break;
                case BinaryKind.Divide:
                    if (Wants(a)) Combine(new DivideOperator(), a, g, b.Layout, shape);
                    if (Wants(b))
                    {
                        // db = −g·out / b
                        float[] scratch = BufferPool.Rent(shape.ElementCount);
                        Span<float> s = scratch.AsSpan(0, shape.ElementCount);
                        TensorPrimitives.Multiply(output.GradientSpan, output.Span, s);
                        Combine(new NegativeDivideOperator(), b, TensorLayout.Contiguous(scratch, shape), b.Layout, shape);
                        BufferPool.Return(scratch);
                    }
                    break;
                case BinaryKind.Maximum:
                case BinaryKind.Minimum:
                    {
                        bool maximum = Kind == BinaryKind.Maximum;
                        if (Wants(a)) SelectGradient(a, a.Layout, b.Layout, g, shape, maximum);
                        if (Wants(b)) SelectGradient(b, b.Layout, a.Layout, g, shape, maximum);
                        break;
                    }
                default:
                    {
                        float[] scratch = BufferPool.Rent(shape.ElementCount);
                        Span<float> s = scratch.AsSpan(0, shape.ElementCount);
                        var sLayout = TensorLayout.Contiguous(scratch, shape);
                        if (Wants(a))
                        {
                            Broadcasting.Apply(new PowerDerivativeOperator(), a.Layout, b.Layout, shape, s);
                            Combine(new MultiplyOperator(), a, g, sLayout, shape);
                        }
                        if (Wants(b))
                        {
                            Broadcasting.Apply(new LogOfFirstOperator(), a.Layout, b.Layout, shape, s);
                            TensorPrimitives.Multiply(s, output.Span, s);
                            Combine(new MultiplyOperator(), b, g, sLayout, shape);
                        }
                        BufferPool.Return(scratch);
                        break;
                    }
            }
        }

        /// <summary>d(input) = SumTo(op(g, other)) where op works on the broadcast output shape.</summary>
        private static void Combine<TOperator>(TOperator op, Tensor input, TensorLayout g, TensorLayout other, Shape shape)
            where TOperator : struct, IBinaryOperator
        {
            Span<float> target = input.GradientTarget(out bool accumulate);
            if (input.Shape == shape && !accumulate)
            {
                Broadcasting.Apply(op, g, other, shape, target);
                return;
            }
            float[] scratch = BufferPool.Rent(shape.ElementCount);
            Span<float> s = scratch.AsSpan(0, shape.ElementCount);
            Broadcasting.Apply(op, g, other, shape, s);
            Broadcasting.SumTo(s, shape, input.Shape, target, accumulate);
            BufferPool.Return(scratch);
        }

        private static void Reduce(Tensor input, ReadOnlySpan<float> gradient, Shape shape)
        {
            Span<float> target = input.GradientTarget(out bool accumulate);
            Broadcasting.SumTo(gradient, shape, input.Shape, target, accumulate);
        }

        private static void SelectGradient(Tensor input, TensorLayout self, TensorLayout other, TensorLayout g, Shape shape, bool maximum)
        {
            float[] scratch = BufferPool.Rent(shape.ElementCount);
            Span<float> mask = scratch.AsSpan(0, shape.ElementCount);
            if (maximum) Broadcasting.Apply(new WinsOperator(), self, other, shape, mask);
            else Broadcasting.Apply(new WinsOperator(), other, self, shape, mask);
            Combine(new MultiplyOperator(), input, g, TensorLayout.Contiguous(scratch, shape), shape);
            BufferPool.Return(scratch);
        }

        protected override void ClearState() => Kind = default;
    }

    internal enum ScalarKind { Add, Multiply, Power, ReverseSubtract, ReverseDivide }

    private static Tensor Scalar(Tensor a, ScalarKind kind, float s)
    {
        a = a.Contiguous();
        Tensor output = Tensor.Uninitialized(a.Shape);
        Span<float> x = a.Span, y = output.Span;
        switch (kind)
        {
            case ScalarKind.Add: TensorPrimitives.Add(x, s, y); break;
            case ScalarKind.Multiply: TensorPrimitives.Multiply(x, s, y); break;
            case ScalarKind.ReverseSubtract: TensorPrimitives.Subtract(s, x, y); break;
            case ScalarKind.ReverseDivide: TensorPrimitives.Divide(s, x, y); break;
            default:
                if (s == 2f) TensorPrimitives.Multiply(x, x, y);
                else Elementwise.Map(new PowerOperator(), x, s, y);
                break;
        }
        if (GradMode.ShouldRecord(a))
        {
            var node = ScalarNode.Rent();
            node.Input0 = a;
            node.Kind = kind;
            node.Value = s;
            GradMode.Attach(output, node);
        }
        return output;
    }

    // a + s: da = g; a·s: da = g·s; a^p: da = g·p·a^(p−1); s − a: da = −g; s / a: da = −g·out / a
    private sealed class ScalarNode : Node<ScalarNode>
    {
        public ScalarKind Kind;
        public float Value;

        public override string OperationName => Kind switch
        {
            ScalarKind.Add => "AddScalar",
            ScalarKind.Multiply => "MultiplyScalar",
            ScalarKind.Power => "PowScalar",
            ScalarKind.ReverseSubtract => "ReverseSubtractScalar",
            _ => "ReverseDivideScalar",
        };

        public override void Backward(Tensor output)
        {
            Tensor a = Input0;
            if (!Wants(a)) return;
            ReadOnlySpan<float> g = output.GradientSpan;
            var writer = new GradientWriter(a);
            Span<float> d = writer.Destination;
            switch (Kind)
            {
                case ScalarKind.Add: g.CopyTo(d); break;
                case ScalarKind.Multiply: TensorPrimitives.Multiply(g, Value, d); break;
                case ScalarKind.ReverseSubtract: TensorPrimitives.Negate(g, d); break;
                case ScalarKind.ReverseDivide:
                    TensorPrimitives.Multiply(g, output.Span, d);
                    Elementwise.Map(new NegativeDivideOperator(), d, a.Span, d);
                    break;
                default:
                    Elementwise.Map(new PowerDerivativeOperator(), a.Span, Value, d);
                    TensorPrimitives.Multiply(d, g, d);
                    break;
            }
            writer.Commit();
        }

        protected override void ClearState()
        {
            Kind = default;
            Value = 0f;
        }
    }

    /// <summary>x^y; scalar on every path because vector pow must match MathF.Pow for negative bases with integer exponents.</summary>
    private readonly struct PowerOperator : IBinaryOperator
    {
        public float Invoke(float x, float y) => MathF.Pow(x, y);
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y)
        {
            Span<float> result = stackalloc float[Vector512<float>.Count];
            for (int i = 0; i < result.Length; i++) result[i] = MathF.Pow(x[i], y[i]);
            return Vector512.Create((ReadOnlySpan<float>)result);
        }
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y)
        {
            Span<float> result = stackalloc float[Vector256<float>.Count];
            for (int i = 0; i < result.Length; i++) result[i] = MathF.Pow(x[i], y[i]);
            return Vector256.Create((ReadOnlySpan<float>)result);
        }
    }

    /// <summary>d(x^y)/dx = y·x^(y−1) (0 where y = 0, as PyTorch).</summary>
    private readonly struct PowerDerivativeOperator : IBinaryOperator
    {
        public float Invoke(float x, float y) => y == 0f ? 0f : y * MathF.Pow(x, y - 1f);
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y)
        {
            Span<float> result = stackalloc float[Vector512<float>.Count];
            for (int i = 0; i < result.Length; i++) result[i] = Invoke(x[i], y[i]);
            return Vector512.Create((ReadOnlySpan<float>)result);
        }
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y)
        {
            Span<float> result = stackalloc float[Vector256<float>.Count];
            for (int i = 0; i < result.Length; i++) result[i] = Invoke(x[i], y[i]);
            return Vector256.Create((ReadOnlySpan<float>)result);
        }
    }

    /// <summary>ln x (the second operand only fixes the broadcast shape).</summary>
    private readonly struct LogOfFirstOperator : IBinaryOperator
    {
        public float Invoke(float x, float y) => MathF.Log(x);
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.Log(x);
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.Log(x);
    }

    /// <summary>−x / y.</summary>
    private readonly struct NegativeDivideOperator : IBinaryOperator
    {
        public float Invoke(float x, float y) => -x / y;
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => -x / y;
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => -x / y;
    }

    /// <summary>How much of the gradient of max(x, y) goes to x: 1 where x &gt; y, ½ where they tie, else 0.</summary>
    private readonly struct WinsOperator : IBinaryOperator
    {
        public float Invoke(float x, float y) => x > y ? 1f : x == y ? 0.5f : 0f;
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) =>
            (Vector512.GreaterThan(x, y) & Vector512<float>.One) + (Vector512.Equals(x, y) & Vector512.Create(0.5f));
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) =>
            (Vector256.GreaterThan(x, y) & Vector256<float>.One) + (Vector256.Equals(x, y) & Vector256.Create(0.5f));
    }
}
