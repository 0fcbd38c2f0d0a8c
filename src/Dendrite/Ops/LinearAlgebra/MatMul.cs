using Dendrite.Autograd;
using Dendrite.Kernels;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// Matrix product C = A·B with A [..., m, k], B [..., k, n], C [..., m, n]; leading (batch) axes
// broadcast. Transposed views are passed to the GEMM as transposed operands, never copied.
// Backward, per batch (summed over batches an operand was broadcast across):
//   dA = dC·Bᵀ   [m, n]·[n, k]
//   dB = Aᵀ·dC   [k, m]·[m, n]
// A 1-D operand is treated as a row (left) or column (right) vector and that axis is dropped again.

public static partial class TensorOps
{
    extension(Tensor a)
    {
        /// <summary>
        /// Matrix product, as <c>torch.matmul</c>: [m, k]·[k, n] → [m, n]; batched over broadcast
        /// leading axes ([b, m, k]·[k, n] → [b, m, n]); a 1-D left operand is a row vector, a 1-D
        /// right operand a column vector.
        /// </summary>
        public Tensor MatMul(Tensor b)
        {
            if (a.Rank == 0 || b.Rank == 0)
                throw new ShapeMismatchException($"MatMul: {a.Shape} @ {b.Shape}: both operands need at least one dimension (use * to scale by a scalar).");
            if (a.Rank == 1) return a.Unsqueeze(0).MatMul(b).Squeeze(-2);
            if (b.Rank == 1) return a.MatMul(b.Unsqueeze(-1)).Squeeze(-1);
            a.EnsureReadable();
            b.EnsureReadable();
            int m = a.Shape[-2], k = a.Shape[-1], k2 = b.Shape[-2], n = b.Shape[-1];
            if (k != k2)
                throw new ShapeMismatchException(
                    $"MatMul: {a.Shape} @ {b.Shape}: the inner dimensions differ ({k} vs {k2}); the last dimension of the left operand must equal the second-to-last of the right.");
            Shape batchA = BatchShape(a.Shape), batchB = BatchShape(b.Shape);
            Shape batch;
            try
            {
                batch = Broadcasting.Shape(batchA, batchB, "MatMul");
            }
            catch (ShapeMismatchException)
            {
                throw new ShapeMismatchException($"MatMul: {a.Shape} @ {b.Shape}: the batch dimensions {batchA} and {batchB} cannot be broadcast together.");
            }

            Tensor left = GemmReady(a), right = GemmReady(b);
            Span<int> dims = stackalloc int[Shape.MaxRank];
            batch.CopyTo(dims);
            dims[batch.Rank] = m;
            dims[batch.Rank + 1] = n;
            Tensor output = Tensor.Uninitialized(new Shape(dims[..(batch.Rank + 2)]));
            MatrixOperand ma = MatrixOperand.Of(left), mb = MatrixOperand.Of(right);
            int count = batch.ElementCount;
            Span<float> c = output.Span;
            if (count == 1)
            {
                Gemm.Multiply(m, n, k, left._buffer.AsSpan(left._offset), ma.Leading, ma.Transposed, right._buffer.AsSpan(right._offset), mb.Leading, mb.Transposed, c, n);
            }
            else
            {
                var offsetsA = BatchOffsets(left, batch);
                var offsetsB = BatchOffsets(right, batch);
                for (int i = 0; i < count; i++)
                    Gemm.Multiply(m, n, k,
                        left._buffer.AsSpan(left._offset + offsetsA[i]), ma.Leading, ma.Transposed,
                        right._buffer.AsSpan(right._offset + offsetsB[i]), mb.Leading, mb.Transposed,
                        c.Slice(i * m * n, m * n), n);
            }
            if (GradMode.ShouldRecord(left, right))
            {
                var node = MatMulNode.Rent();
                node.Input0 = left;
                node.Input1 = right;
                node.Batch = batch;
                GradMode.Attach(output, node);
            }
            return output;
        }
    }

    private static Shape BatchShape(Shape shape)
    {
        Span<int> dims = stackalloc int[Shape.MaxRank];
        for (int i = 0; i < shape.Rank - 2; i++) dims[i] = shape[i];
        return new Shape(dims[..(shape.Rank - 2)]);
    }

    /// <summary>How the GEMM reads a matrix operand: row-major with leading dimension, or the transpose of one.</summary>
    private readonly record struct MatrixOperand(bool Transposed, int Leading)
    {
        public static MatrixOperand Of(Tensor t)
        {
            int rows = t.Shape[-2], columns = t.Shape[-1];
            int rowStride = t.StrideAt(t.Rank - 2), columnStride = t.StrideAt(t.Rank - 1);
            if (columnStride == 1 && rowStride >= Math.Max(columns, 1)) return new(false, rowStride);
            if (rowStride == 1 && columnStride >= Math.Max(rows, 1)) return new(true, columnStride);
            if (rows == 1 && columnStride == 1) return new(false, Math.Max(columns, 1));
            if (columns == 1 && rowStride == 1) return new(false, 1);
            return new(false, columns);
        }

        public static bool Usable(Tensor t)
        {
            int rows = t.Shape[-2], columns = t.Shape[-1];
            int rowStride = t.StrideAt(t.Rank - 2), columnStride = t.StrideAt(t.Rank - 1);
            return (columnStride == 1 && rowStride >= Math.Max(columns, 1))
                || (rowStride == 1 && columnStride >= Math.Max(rows, 1))
                || (rows == 1 && columnStride == 1)
                || (columns == 1 && rowStride == 1);
        }
    }

    /// <summary>The tensor itself when each of its matrices is one the GEMM can read directly, else a contiguous copy.</summary>
    private static Tensor GemmReady(Tensor t) => MatrixOperand.Usable(t) ? t : t.Contiguous();

    /// <summary>Storage offset (relative to the tensor's own offset) of each batch matrix, in the broadcast batch order.</summary>
    private static int[] BatchOffsets(Tensor t, Shape batch)
    {
        int shift = batch.Rank - (t.Rank - 2);
        Span<int> strides = stackalloc int[Shape.MaxRank];
        for (int i = 0; i < batch.Rank; i++)
        {
            int axis = i - shift;
            strides[i] = axis < 0 || t.Shape[axis] == 1 ? 0 : t.StrideAt(axis);
        }
        return Offsets(batch, strides);
    }

    /// <summary>Offset of each broadcast batch's matrix in a contiguous gradient of <paramref name="shape"/> (0 strides where broadcast).</summary>
    private static int[] GradientBatchOffsets(Shape shape, Shape batch, int matrixSize, out bool broadcast)
    {
        int shift = batch.Rank - (shape.Rank - 2);
        Span<int> strides = stackalloc int[Shape.MaxRank];
        int stride = matrixSize;
        for (int i = batch.Rank - 1; i >= 0; i--)
        {
            int axis = i - shift;
            int size = axis < 0 ? 1 : shape[axis];
            strides[i] = size == 1 ? 0 : stride;
            stride *= size;
        }
        broadcast = shape.ElementCount / Math.Max(matrixSize, 1) < batch.ElementCount;
        return Offsets(batch, strides);
    }

    /// <summary>Σ index·stride for every index of <paramref name="batch"/> in row-major order.</summary>
    private static int[] Offsets(Shape batch, ReadOnlySpan<int> strides)
    {
        int count = batch.ElementCount;
        var offsets = new int[count];
        Span<int> index = stackalloc int[Shape.MaxRank];
        index.Clear();
        int position = 0;
        for (int n = 0; n < count; n++)
        {
            offsets[n] = position;
            for (int axis = batch.Rank - 1; axis >= 0; axis--)
            {
                index[axis]++;
                position += strides[axis];
                if (index[axis] < batch[axis]) break;
                position -= strides[axis] * batch[axis];
                index[axis] = 0;
            }
        }
        return offsets;
    }

    private static readonly int[] SingleBatch = [0];

    private sealed class MatMulNode : Node<MatMulNode>
    {
        public Shape Batch;

        public override string OperationName => "MatMul";

        public override void Backward(Tensor output)
        {
            Tensor a = Input0, b = Input1!;
            int m = a.Shape[-2], k = a.Shape[-1], n = b.Shape[-1];
            MatrixOperand ma = MatrixOperand.Of(a), mb = MatrixOperand.Of(b);
            ReadOnlySpan<float> g = output.GradientSpan;
            int count = Batch.ElementCount;
            int[]? offsetsA = count == 1 ? null : BatchOffsets(a, Batch);
            int[]? offsetsB = count == 1 ? null : BatchOffsets(b, Batch);
            if (Wants(a))
            {
                // dA = dC·op(B)ᵀ: op(B)ᵀ reads B's storage with the transpose flag flipped.
                Span<float> target = a.GradientTarget(out bool accumulate);
                bool broadcast = false;
                int[] targetOffsets = count == 1 ? SingleBatch : GradientBatchOffsets(a.Shape, Batch, m * k, out broadcast);
                if (count > 1 && broadcast && !accumulate)
                {
                    target.Clear();
                    accumulate = true;
                }
                for (int i = 0; i < count; i++)
                    Gemm.Multiply(m, k, n,
                        g.Slice(i * m * n, m * n), n, false,
                        b._buffer.AsSpan(b._offset + (offsetsB?[i] ?? 0)), mb.Leading, !mb.Transposed,
                        target.Slice(targetOffsets[i], m * k), k, accumulate);
            }
            if (Wants(b))
            {
                // dB = op(A)ᵀ·dC.
                Span<float> target = b.GradientTarget(out bool accumulate);
                bool broadcast = false;
                int[] targetOffsets = count == 1 ? SingleBatch : GradientBatchOffsets(b.Shape, Batch, k * n, out broadcast);
                if (count > 1 && broadcast && !accumulate)
                {
                    target.Clear();
                    accumulate = true;
                }
                for (int i = 0; i < count; i++)
                    Gemm.Multiply(k, n, m,
                        a._buffer.AsSpan(a._offset + (offsetsA?[i] ?? 0)), ma.Leading, !ma.Transposed,
                        g.Slice(i * m * n, m * n), n, false,
                        target.Slice(targetOffsets[i], k * n), n, accumulate);
            }
        }

        protected override void ClearState() => Batch = default;
    }
}
