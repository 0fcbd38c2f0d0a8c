using Dendrite.Autograd;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// Gathering by index copies the chosen elements; the backward pass scatters the upstream gradient
// back, adding where an index repeats:
//   IndexSelect: out[..., j, ...] = x[..., index[j], ...]     dx[..., index[j], ...] += g[..., j, ...]
//   Gather:      out[i][j] = x[i][index[i][j]] (axis 1)       dx[i][index[i][j]] += g[i][j]

public static partial class TensorOps
{
    extension(Tensor x)
    {
        /// <summary>The slices at <paramref name="indices"/> along <paramref name="axis"/>, in that order (as <c>torch.index_select</c>); indices may repeat.</summary>
        public Tensor IndexSelect(int axis, ReadOnlySpan<int> indices)
        {
            int a = x.Shape.NormalizeAxis(axis, "IndexSelect");
            int size = x.Shape[a];
            int[] copy = indices.ToArray();
            for (int i = 0; i < copy.Length; i++)
                if ((uint)copy[i] >= (uint)size)
                    throw new ArgumentOutOfRangeException(nameof(indices), $"IndexSelect: index {copy[i]} (position {i}) is out of range for axis {axis} of size {size} (shape {x.Shape}).");
            Tensor source = x.Contiguous();
            Shape shape = x.Shape.With(a, copy.Length);
            Tensor output = Tensor.Uninitialized(shape);
            int outer = shape.Product(0, a), inner = shape.Product(a + 1, shape.Rank);
            Span<float> s = source.Span, d = output.Span;
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < copy.Length; j++)
                    s.Slice((o * size + copy[j]) * inner, inner).CopyTo(d.Slice((o * copy.Length + j) * inner, inner));
            if (GradMode.ShouldRecord(source))
            {
                var node = IndexSelectNode.Rent();
                node.Input0 = source;
                node.Axis = a;
                node.Indices = copy;
                GradMode.Attach(output, node);
            }
            return output;
        }

        /// <summary>
        /// Picks along <paramref name="axis"/> by an index tensor of the same rank (integral values):
        /// out[i][j] = x[i][index[i][j]] for axis 1 (as <c>torch.gather</c>). The result has the index's shape.
        /// </summary>
        public Tensor Gather(int axis, Tensor index)
        {
            int a = x.Shape.NormalizeAxis(axis, "Gather");
            if (index.Rank != x.Rank)
                throw new ShapeMismatchException($"Gather: index has shape {index.Shape} but input has {x.Shape}; ranks must match.");
            for (int d = 0; d < x.Rank; d++)
                if (d != a && index.Shape[d] > x.Shape[d])
                    throw new ShapeMismatchException($"Gather along axis {axis}: index shape {index.Shape} exceeds input shape {x.Shape} in dimension {d}.");
            Tensor source = x.Contiguous();
            float[] indexValues = index.ToArray();
            int size = x.Shape[a];
            var positions = new int[indexValues.Length];
            Span<int> sourceStrides = stackalloc int[Shape.MaxRank];
            ContiguousStrides(x.Shape, sourceStrides);
            Span<int> position = stackalloc int[Shape.MaxRank];
            position.Clear();
            for (int n = 0; n < indexValues.Length; n++)
            {
                float value = indexValues[n];
                int chosen = (int)value;
                if (chosen != value || (uint)chosen >= (uint)size)
                    throw new ArgumentOutOfRangeException(nameof(index), $"Gather: index value {value} (element {n}) is not an integer in [0, {size}) for axis {axis} of shape {x.Shape}.");
                int offset = 0;
                for (int d = 0; d < x.Rank; d++) offset += (d == a ? chosen : position[d]) * sourceStrides[d];
                positions[n] = offset;
                for (int d = x.Rank - 1; d >= 0; d--)
                {
                    if (++position[d] < index.Shape[d]) break;
                    position[d] = 0;
                }
            }
            Tensor output = Tensor.Uninitialized(index.Shape);
            Span<float> s = source.Span, o = output.Span;
            for (int n = 0; n < positions.Length; n++) o[n] = s[positions[n]];
            if (GradMode.ShouldRecord(source))
            {
                var node = GatherNode.Rent();
                node.Input0 = source;
                node.Positions = positions;
                GradMode.Attach(output, node);
            }
            return output;
        }
    }

    /// <summary>
    /// One-hot rows: for labels of shape [n] (integral values in [0, classes)), a [n, classes] tensor
    /// with 1 at each label and 0 elsewhere (as <c>torch.nn.functional.one_hot</c>, in float32).
    /// </summary>
    public static Tensor OneHot(Tensor labels, int classes)
    {
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), $"OneHot: classes must be positive; got {classes}.");
        float[] values = labels.ToArray();
        int[] dims = [.. labels.Shape.ToArray(), classes];
        var output = Tensor.Zeros(dims);
        Span<float> o = output.Data;
        for (int i = 0; i < values.Length; i++)
        {
            int label = (int)values[i];
            if (label != values[i] || (uint)label >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), $"OneHot: label {values[i]} at position {i} is not an integer in [0, {classes}).");
            o[i * classes + label] = 1f;
        }
        return output;
    }

    private sealed class IndexSelectNode : Node<IndexSelectNode>
    {
        public int Axis;
        public int[] Indices = [];

        public override string OperationName => "IndexSelect";

        public override void Backward(Tensor output)
        {
            Tensor x = Input0;
            if (!Wants(x)) return;
            Span<float> target = x.GradientTarget(out bool accumulate);
            if (!accumulate) target.Clear();
            int size = x.Shape[Axis];
            int outer = x.Shape.Product(0, Axis), inner = x.Shape.Product(Axis + 1, x.Rank);
            ReadOnlySpan<float> g = output.GradientSpan;
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < Indices.Length; j++)
                {
                    Span<float> t = target.Slice((o * size + Indices[j]) * inner, inner);
                    TensorPrimitives.Add(t, g.Slice((o * Indices.Length + j) * inner, inner), t);
                }
        }

        protected override void ClearState() => Indices = [];
    }

    private sealed class GatherNode : Node<GatherNode>
    {
        public int[] Positions = [];

        public override string OperationName => "Gather";

        public override void Backward(Tensor output)
        {
            Tensor x = Input0;
            if (!Wants(x)) return;
            Span<float> target = x.GradientTarget(out bool accumulate);
            if (!accumulate) target.Clear();
            ReadOnlySpan<float> g = output.GradientSpan;
            for (int n = 0; n < Positions.Length; n++) target[Positions[n]] += g[n];
        }

        protected override void ClearState() => Positions = [];
    }
}
