using Dendrite.Autograd;
using Dendrite.Kernels;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// The affine map of a dense layer, fused with its bias and (optionally) its ReLU:
//   y = f(x·Wᵀ + b) with x [N, in] (leading axes flattened), W [out, in] (PyTorch's layout, so
//   weights load from and save to PyTorch unchanged), b [out], f = identity or ReLU.
// Forward: one GEMM whose epilogue adds b and applies f to each rectangle of y while it is in cache
// (Gemm.MultiplyWithEpilogue; bit for bit the GEMM, then + b, then Relu(), as separate ops give).
// Backward, with dz = dy for f = identity, and dz = dy·[y > 0] for ReLU (y > 0 exactly where z > 0):
//   dx = dz·W          [N, out]·[out, in]
//   dW = dzᵀ·x         [out, N]·[N, in]
//   db = Σ_rows dz     (summed in row order, in the same pass that masks dz)
// Both transposes are flags to the GEMM; nothing is copied. Saved: x, W, b and, for ReLU, y itself
// (the mask is read from the output, so no pre-activation tensor is kept).

public static partial class TensorOps
{
    extension(Tensor input)
    {
        /// <summary>
        /// y = input·weightᵀ + bias, as <c>torch.nn.functional.linear</c>. <paramref name="input"/> is
        /// [..., in], <paramref name="weight"/> [out, in], <paramref name="bias"/> [out] or null;
        /// the result is [..., out].
        /// </summary>
        public Tensor Linear(Tensor weight, Tensor? bias = null) => input.Linear(weight, bias, FusedActivation.None);

        /// <summary>
        /// y = f(input·weightᵀ + bias) in one op: <see cref="Linear(Tensor, Tensor, Tensor?)"/> followed by
        /// <paramref name="activation"/>, with the bias and the activation applied inside the matrix
        /// product and the activation's mask inside the backward. Values and gradients are bit for bit
        /// those of <c>input.Linear(weight, bias).Relu()</c>. <paramref name="input"/> is [..., in],
        /// <paramref name="weight"/> [out, in], <paramref name="bias"/> [out] or null; the result is [..., out].
        /// </summary>
        public Tensor Linear(Tensor weight, Tensor? bias, FusedActivation activation)
        {
            var (outFeatures, inFeatures) = weight.Shape.Dims2("Linear weight");
            if (input.Rank == 0 || input.Shape[-1] != inFeatures)
                throw new ShapeMismatchException(
                    $"Linear: input {input.Shape} does not fit weight {weight.Shape}; the last input dimension must be {inFeatures}.");
            if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outFeatures))
                throw new ShapeMismatchException($"Linear: bias {bias.Shape} does not fit weight {weight.Shape}; it must be [{outFeatures}].");
            if (activation is not (FusedActivation.None or FusedActivation.Relu))
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "Linear: the fused activation must be None or Relu.");
            Tensor x = input.Contiguous(), w = weight.Contiguous();
            Tensor? b = bias?.Contiguous();
            int rows = x.Count / Math.Max(inFeatures, 1);
            if (inFeatures == 0) rows = x.Shape.Product(0, x.Rank - 1);
            Span<int> dims = stackalloc int[Shape.MaxRank];
            x.Shape.CopyTo(dims);
            dims[x.Rank - 1] = outFeatures;
            Tensor output = Tensor.Uninitialized(new Shape(dims[..x.Rank]));
            bool relu = activation == FusedActivation.Relu;
            // y: [rows, out] = f(x [rows, in] · Wᵀ + b)
            Gemm.MultiplyWithEpilogue(rows, outFeatures, inFeatures, x.Span, inFeatures, false, w.Span, inFeatures, true, output.Span, outFeatures,
                b is null ? default : b.Span, relu);
            if (GradMode.ShouldRecord(x, w, b))
            {
                var node = LinearNode.Rent();
                node.Input0 = x;
                node.Input1 = w;
                node.Input2 = b;
                node.Rows = rows;
                node.Relu = relu;
                GradMode.Attach(output, node);
            }
            return output;
        }
    }

    private sealed class LinearNode : Node<LinearNode>
    {
        public int Rows;
        public bool Relu;

        public override string OperationName => Relu ? "LinearRelu" : "Linear";

        public override int InputCount => Input2 is null ? 2 : 3;

        public override void Backward(Tensor output)
        {
            Tensor x = Input0, w = Input1!;
            Tensor? b = Input2;
            int outFeatures = w.Shape[0], inFeatures = w.Shape[1];
            ReadOnlySpan<float> dy = output.GradientSpan;
            bool wantsBias = Wants(b);

            // dz: [rows, out]. For ReLU, the masked gradient replaces dy in its own buffer (the output's
            // gradient is released right after this node anyway) unless the caller keeps that gradient
            // (RetainGrad), and db comes out of the same pass.
            ReadOnlySpan<float> dz = dy;
            float[]? scratch = null;
            if (Relu)
            {
                Span<float> masked;
                if (output._retainGrad)
                {
                    scratch = BufferPool.Rent(dy.Length);
                    masked = scratch.AsSpan(0, dy.Length);
                }
                else
                {
                    masked = output.GradientSpan;
                }
                bool accumulateBias = false;
                Span<float> db = wantsBias ? b!.GradientTarget(out accumulateBias) : default;
                LinearEpilogue.ReluBackward(Rows, outFeatures, output.Span, dy, masked, db, accumulateBias);
                dz = masked;
            }
            else if (wantsBias)
            {
                Span<float> db = b!.GradientTarget(out bool accumulate);
                if (!accumulate) db.Clear();
                for (int r = 0; r < Rows; r++) TensorPrimitives.Add(db, dz.Slice(r * outFeatures, outFeatures), db);
            }

            if (Wants(x))
            {
                Span<float> dx = x.GradientTarget(out bool accumulate);
                Gemm.Multiply(Rows, inFeatures, outFeatures, dz, outFeatures, false, w.Span, inFeatures, false, dx, inFeatures, accumulate);
            }
            if (Wants(w))
            {
                Span<float> dw = w.GradientTarget(out bool accumulate);
                Gemm.Multiply(outFeatures, inFeatures, Rows, dz, outFeatures, true, x.Span, inFeatures, false, dw, inFeatures, accumulate);
            }
            if (scratch is not null) BufferPool.Return(scratch);
        }

        protected override void ClearState() => Relu = false;
    }
}
