using Dendrite.Kernels;
using Dendrite.Tensors;

namespace Dendrite.Ops;

/// <summary>
/// NumPy broadcasting for element-wise operations: shapes are aligned at the right, and a dimension
/// of size 1 stretches to match the other. Implemented with zero strides, so nothing is copied.
/// </summary>
internal static class Broadcasting
{
    /// <summary>The broadcast shape of <paramref name="left"/> and <paramref name="right"/>, or a <see cref="ShapeMismatchException"/> naming <paramref name="operation"/> and both shapes.</summary>
    public static Shape Shape(Shape left, Shape right, string operation)
    {
        if (left == right) return left;
        int rank = Math.Max(left.Rank, right.Rank);
        Span<int> dims = stackalloc int[Tensors.Shape.MaxRank];
        for (int i = 0; i < rank; i++)
        {
            int l = i < rank - left.Rank ? 1 : left[i - (rank - left.Rank)];
            int r = i < rank - right.Rank ? 1 : right[i - (rank - right.Rank)];
            if (l != r && l != 1 && r != 1)
                throw new ShapeMismatchException(
                    $"{operation}: shapes {left} and {right} cannot be broadcast together: dimension {i - rank} is {l} in one and {r} in the other. " +
                    "Broadcasting aligns shapes at the right; each pair of sizes must be equal or one of them 1 (Unsqueeze or Reshape to line them up).");
            dims[i] = Math.Max(l, r);
            if (l == 0 || r == 0) dims[i] = 0;
        }
        return new Shape(dims[..rank]);
    }

    /// <summary>Strides that read <paramref name="layout"/> as if it had shape <paramref name="target"/>: 0 along broadcast dimensions.</summary>
    public static DimensionBuffer StridesFor(in TensorLayout layout, Shape target)
    {
        DimensionBuffer strides = default;
        int shift = target.Rank - layout.Shape.Rank;
        for (int i = 0; i < target.Rank; i++)
        {
            int axis = i - shift;
            strides[i] = axis < 0 || (layout.Shape[axis] == 1 && target[i] != 1) ? 0 : layout.Strides[axis];
        }
        return strides;
    }

    /// <summary>destination = op(left, right) with both broadcast to <paramref name="shape"/>; destination is contiguous.</summary>
    public static void Apply<TOperator>(TOperator op, in TensorLayout left, in TensorLayout right, Shape shape, Span<float> destination)
        where TOperator : struct, IBinaryOperator
    {
        int count = shape.ElementCount;
        if (count == 0) return;
        DimensionBuffer leftStrides = StridesFor(left, shape);
        DimensionBuffer rightStrides = StridesFor(right, shape);

        // Merge neighbouring axes that both operands walk contiguously into one longer axis.
        Span<int> sizes = stackalloc int[Tensors.Shape.MaxRank];
        Span<int> ls = stackalloc int[Tensors.Shape.MaxRank];
        Span<int> rs = stackalloc int[Tensors.Shape.MaxRank];
        int rank = 0;
        for (int i = 0; i < shape.Rank; i++)
        {
            if (shape[i] == 1) continue;
            if (rank > 0 && ls[rank - 1] == leftStrides[i] * shape[i] && rs[rank - 1] == rightStrides[i] * shape[i])
            {
                sizes[rank - 1] *= shape[i];
                ls[rank - 1] = leftStrides[i];
                rs[rank - 1] = rightStrides[i];
                continue;
            }
            sizes[rank] = shape[i];
            ls[rank] = leftStrides[i];
            rs[rank] = rightStrides[i];
            rank++;
        }
        if (rank == 0)
        {
            destination[0] = op.Invoke(left.Buffer[left.Offset], right.Buffer[right.Offset]);
            return;
        }

        int inner = sizes[rank - 1];
        int innerLeft = ls[rank - 1], innerRight = rs[rank - 1];
        Span<int> index = stackalloc int[Tensors.Shape.MaxRank];
        index.Clear();
        int leftPosition = left.Offset, rightPosition = right.Offset;
        for (int written = 0; written < count; written += inner)
        {
            Span<float> output = destination.Slice(written, inner);
            if (innerLeft == 1 && innerRight == 1)
                Elementwise.Map(op, left.Buffer.AsSpan(leftPosition, inner), right.Buffer.AsSpan(rightPosition, inner), output);
            else if (innerLeft == 1 && innerRight == 0)
                Elementwise.Map(op, left.Buffer.AsSpan(leftPosition, inner), right.Buffer[rightPosition], output);
            else if (innerLeft == 0 && innerRight == 1)
                Elementwise.Map(op, left.Buffer[leftPosition], right.Buffer.AsSpan(rightPosition, inner), output);
            else
                for (int i = 0; i < inner; i++)
                    output[i] = op.Invoke(left.Buffer[leftPosition + i * innerLeft], right.Buffer[rightPosition + i * innerRight]);

            for (int axis = rank - 2; axis >= 0; axis--)
            {
                index[axis]++;
                leftPosition += ls[axis];
                rightPosition += rs[axis];
                if (index[axis] < sizes[axis]) break;
                leftPosition -= ls[axis] * sizes[axis];
                rightPosition -= rs[axis] * sizes[axis];
                index[axis] = 0;
            }
        }
    }

    /// <summary>
    /// Sums <paramref name="gradient"/> (contiguous, shape <paramref name="from"/>) over the dimensions
    /// that broadcasting stretched, giving the gradient for an operand of shape <paramref name="to"/>,
    /// written into (or, when <paramref name="accumulate"/>, added to) <paramref name="destination"/>.
    /// </summary>
    public static void SumTo(ReadOnlySpan<float> gradient, Shape from, Shape to, Span<float> destination, bool accumulate)
    {
        if (from == to)
        {
            if (accumulate) TensorPrimitives.Add(destination, gradient, destination);
            else gradient.CopyTo(destination);
            return;
        }
        if (!accumulate) destination.Clear();
        if (from.ElementCount == 0) return;
        if (to.ElementCount == 1)
        {
            destination[0] += TensorPrimitives.Sum(gradient);
            return;
        }

        // Target strides over the source shape (0 where the target was broadcast), then merge axes.
        int shift = from.Rank - to.Rank;
        Span<int> sizes = stackalloc int[Tensors.Shape.MaxRank];
        Span<int> targetStrides = stackalloc int[Tensors.Shape.MaxRank];
        Span<int> toStrides = stackalloc int[Tensors.Shape.MaxRank];
        int stride = 1;
        for (int axis = to.Rank - 1; axis >= 0; axis--)
        {
            toStrides[axis] = stride;
            stride *= to[axis];
        }
        int rank = 0;
        for (int i = 0; i < from.Rank; i++)
        {
            if (from[i] == 1) continue;
            int axis = i - shift;
            int ts = axis < 0 || to[axis] == 1 ? 0 : toStrides[axis];
            if (rank > 0 && targetStrides[rank - 1] == ts * from[i])
            {
                sizes[rank - 1] *= from[i];
                targetStrides[rank - 1] = ts;
                continue;
            }
            sizes[rank] = from[i];
            targetStrides[rank] = ts;
            rank++;
        }
        int inner = sizes[rank - 1];
        int innerStride = targetStrides[rank - 1];
        Span<int> index = stackalloc int[Tensors.Shape.MaxRank];
        index.Clear();
        int position = 0;
        for (int read = 0; read < gradient.Length; read += inner)
        {
            ReadOnlySpan<float> run = gradient.Slice(read, inner);
            if (innerStride == 1)
            {
                Span<float> target = destination.Slice(position, inner);
                TensorPrimitives.Add(target, run, target);
            }
            else if (innerStride == 0)
            {
                destination[position] += TensorPrimitives.Sum(run);
            }
            else
            {
                for (int i = 0; i < inner; i++) destination[position + i * innerStride] += run[i];
            }
            for (int axis = rank - 2; axis >= 0; axis--)
            {
                index[axis]++;
                position += targetStrides[axis];
                if (index[axis] < sizes[axis]) break;
                position -= targetStrides[axis] * sizes[axis];
                index[axis] = 0;
            }
        }
    }
}
