using Dendrite.Autograd;
using Dendrite.Kernels;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// The affine map of a dense layer, fused: y = x·Wᵀ + b with x [N, in] (leading axes flattened),
// W [out, in] (PyTorch's layout, so weights load from and save to PyTorch unchanged), b [out].
// Backward:
//   dx = dy·W          [N, out]·[out, in]
//   dW = dyᵀ·x         [out, N]·[N, in]
//   db = Σ_rows dy
// Both transposes are flags to the GEMM; nothing is copied.

public static partial class TensorOps
{
    extension(Tensor input)
    {
        /// <summary>
        /// y = input·weightᵀ + bias, as <c>torch.nn.functional.linear</c>. <paramref name="input"/> is
        /// [..., in], <paramref name="weight"/> [out, in], <paramref name="bias"/> [out] or null;
        /// the result is [..., out].
        /// </summary>
        public Tensor Linear(Tensor weight, Tensor? bias = null)
        {
            var (outFeatures, inFeatures) = weight.Shape.Dims2("Linear weight");
            if (input.Rank == 0 || input.Shape[-1] != inFeatures)
                throw new ShapeMismatchException(
                    $"Linear: input {input.Shape} does not fit weight {weight.Shape}; the last input dimension must be {inFeatures}.");
            if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outFeatures))
                throw new ShapeMismatchException($"Linear: bias {bias.Shape} does not fit weight {weight.Shape}; it must be [{outFeatures}].");
            Tensor x = input.Contiguous(), w = weight.Contiguous();
            Tensor? b = bias?.Contiguous();
            int rows = x.Count / Math.Max(inFeatures, 1);
            if (inFeatures == 0) rows = x.Shape.Product(0, x.Rank - 1);
            Span<int> dims = stackalloc int[Shape.MaxRank];
            x.Shape.CopyTo(dims);
            dims[x.Rank - 1] = outFeatures;
            Tensor output = Tensor.Uninitialized(new Shape(dims[..x.Rank]));
            Span<float> y = output.Span;
            Gemm.Multiply(rows, outFeatures, inFeatures, x.Span, inFeatures, false, w.Span, inFeatures, true, y, outFeatures);
            if (b is not null)
            {
                ReadOnlySpan<float> bs = b.Span;
                for (int r = 0; r < rows; r++)
                {
                    Span<float> row = y.Slice(r * outFeatures, outFeatures);
                    TensorPrimitives.Add(row, bs, row);
                }
            }
            if (GradMode.ShouldRecord(x, w, b))
            {
                var node = LinearNode.Rent();
                node.Input0 = x;
                node.Input1 = w;
                node.Input2 = b;
                node.Rows = rows;
                GradMode.Attach(output, node);
            }
            return output;
        }
    }

    private sealed class LinearNode : Node<LinearNode>
    {
        public int Rows;

        public override string OperationName => "Linear";

        public override int InputCount => Input2 is null ? 2 : 3;

        public override void Backward(Tensor output)
        {
            Tensor x = Input0, w = Input1!;
            Tensor? b = Input2;
            int outFeatures = w.Shape[0], inFeatures = w.Shape[1];
            ReadOnlySpan<float> dy = output.GradientSpan;
            if (Wants(x))
            {
                Span<float> dx = x.GradientTarget(out bool accumulate);
                Gemm.Multiply(Rows, inFeatures, outFeatures, dy, outFeatures, false, w.Span, inFeatures, false, dx, inFeatures, accumulate);
            }
            if (Wants(w))
            {
                Span<float> dw = w.GradientTarget(out bool accumulate);
                Gemm.Multiply(outFeatures, inFeatures, Rows, dy, outFeatures, true, x.Span, inFeatures, false, dw, inFeatures, accumulate);
            }
            if (Wants(b))
            {
                Span<float> db = b!.GradientTarget(out bool accumulate);
                if (!accumulate) db.Clear();
                for (int r = 0; r < Rows; r++) TensorPrimitives.Add(db, dy.Slice(r * outFeatures, outFeatures), db);
            }
        }
    }
}
