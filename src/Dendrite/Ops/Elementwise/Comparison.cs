using System.Runtime.Intrinsics;
using Dendrite.Autograd;
using Dendrite.Kernels;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// Comparisons give 1 where true and 0 where false (Dendrite's tensors are float32); they are not
// differentiable and record nothing. Where(condition, a, b) picks a where condition ≠ 0, else b:
//   d a = g where condition ≠ 0, else 0;   d b = g where condition = 0, else 0.

public static partial class TensorOps
{
    extension(Tensor a)
    {
        /// <summary>1 where a &gt; b, else 0, broadcasting.</summary>
        public Tensor Greater(Tensor b) => Compare(new GreaterOperator(), a, b, "Greater");

        /// <summary>1 where a &lt; b, else 0, broadcasting.</summary>
        public Tensor Less(Tensor b) => Compare(new GreaterOperator(), b, a, "Less");

        /// <summary>1 where a ≥ b, else 0, broadcasting.</summary>
        public Tensor GreaterOrEqual(Tensor b) => Compare(new GreaterOrEqualOperator(), a, b, "GreaterOrEqual");

        /// <summary>1 where a ≤ b, else 0, broadcasting.</summary>
        public Tensor LessOrEqual(Tensor b) => Compare(new GreaterOrEqualOperator(), b, a, "LessOrEqual");

        /// <summary>1 where a = b, else 0, broadcasting.</summary>
        public Tensor Equal(Tensor b) => Compare(new EqualOperator(), a, b, "Equal");

        /// <summary>1 where a &gt; s, else 0.</summary>
        public Tensor Greater(float s) => Compare(new GreaterOperator(), a, Tensor.Scalar(s), "Greater");

        /// <summary>1 where a &lt; s, else 0.</summary>
        public Tensor Less(float s) => Compare(new GreaterOperator(), Tensor.Scalar(s), a, "Less");
    }

    private static Tensor Compare<TOperator>(TOperator op, Tensor a, Tensor b, string name) where TOperator : struct, IBinaryOperator
    {
        a.EnsureReadable();
        b.EnsureReadable();
        Shape shape = Broadcasting.Shape(a.Shape, b.Shape, name);
        Tensor output = Tensor.Uninitialized(shape);
        Broadcasting.Apply(op, a.Layout, b.Layout, shape, output.Span);
        return output;
    }

    /// <summary>
    /// Element-wise choice: <paramref name="whenTrue"/> where <paramref name="condition"/> ≠ 0,
    /// else <paramref name="whenFalse"/>; all three broadcast together.
    /// </summary>
    public static Tensor Where(Tensor condition, Tensor whenTrue, Tensor whenFalse)
    {
        condition.EnsureReadable();
        Shape shape = Broadcasting.Shape(Broadcasting.Shape(condition.Shape, whenTrue.Shape, "Where"), whenFalse.Shape, "Where");
        Tensor mask = Tensor.Uninitialized(shape);
        // The mask is the condition broadcast to the output shape and turned into exact 0/1.
        Broadcasting.Apply(new NonZeroOperator(), condition.Layout, condition.Layout, shape, mask.Span);
        // Selecting (rather than blending with the mask) keeps an unused infinity from turning into NaN.
        Tensor output = Tensor.Uninitialized(shape);
        Span<float> o = output.Span;
        Broadcasting.Apply(new SelectOperator(), whenTrue.Layout, mask.Layout, shape, o);
        float[] scratch = BufferPool.Rent(shape.ElementCount);
        Span<float> falseValues = scratch.AsSpan(0, shape.ElementCount);
        Broadcasting.Apply(new SelectOperator(), whenFalse.Layout, mask.Layout, shape, falseValues);
        Span<float> m = mask.Span;
        for (int i = 0; i < o.Length; i++)
            if (m[i] == 0f) o[i] = falseValues[i];
        BufferPool.Return(scratch);
        if (GradMode.ShouldRecord(whenTrue, whenFalse))
        {
            var node = WhereNode.Rent();
            node.Input0 = whenTrue;
            node.Input1 = whenFalse;
            node.Mask = mask;
            GradMode.Attach(output, node);
        }
        else
        {
            mask.ReleaseStorage();
        }
        return output;
    }

    private sealed class WhereNode : Node<WhereNode>
    {
        public Tensor? Mask;

        public override string OperationName => "Where";

        public override void Backward(Tensor output)
        {
            Shape shape = output.Shape;
            float[] scratch = BufferPool.Rent(shape.ElementCount);
            Span<float> s = scratch.AsSpan(0, shape.ElementCount);
            Span<float> m = Mask!.Span;
            ReadOnlySpan<float> g = output.GradientSpan;
            if (Wants(Input0))
            {
                TensorPrimitives.Multiply(g, m, s);
                Span<float> target = Input0.GradientTarget(out bool accumulate);
                Broadcasting.SumTo(s, shape, Input0.Shape, target, accumulate);
            }
            if (Wants(Input1))
            {
                for (int i = 0; i < s.Length; i++) s[i] = m[i] != 0f ? 0f : g[i];
                Span<float> target = Input1!.GradientTarget(out bool accumulate);
                Broadcasting.SumTo(s, shape, Input1.Shape, target, accumulate);
            }
            BufferPool.Return(scratch);
        }

        protected override void ClearState()
        {
            Mask?.ReleaseStorage();
            Mask = null;
        }
    }

    /// <summary>1 where x ≠ 0 (NaN counts as true, as in PyTorch's bool conversion), else 0.</summary>
    private readonly struct NonZeroOperator : IBinaryOperator
    {
        public float Invoke(float x, float y) => x != 0f ? 1f : 0f;
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) =>
            ~Vector512.Equals(x, Vector512<float>.Zero) & Vector512<float>.One;
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) =>
            ~Vector256.Equals(x, Vector256<float>.Zero) & Vector256<float>.One;
    }

    /// <summary>x, broadcast (the second operand only fixes the output shape).</summary>
    private readonly struct SelectOperator : IBinaryOperator
    {
        public float Invoke(float x, float y) => x;
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x;
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x;
    }
}
