using Dendrite.Autograd;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// Views: reshape, transpose/permute, narrow/slice/select, squeeze/unsqueeze and expand share the
// input's storage; nothing is copied (except Reshape of a strided tensor, which must copy first).
// Every view maps output element i to one element of the input, described by an offset and strides
// into the input's row-major order. The backward pass uses that same map in reverse: it scatters
// the upstream gradient into the input's gradient, adding where several outputs read one input
// element (Expand's zero strides):
//   d input[map(i)] += g[i]

public static partial class TensorOps
{
    extension(Tensor x)
    {
        /// <summary>
        /// The same elements in a new shape with the same count; one dimension may be −1 (inferred).
        /// A view when <paramref name="x"/> is contiguous, otherwise a copy.
        /// </summary>
        public Tensor Reshape(params ReadOnlySpan<int> shape)
        {
            Shape target = InferShape(x.Shape, shape);
            if (target == x.Shape) return x;
            Tensor source = x.Contiguous();
            Span<int> strides = stackalloc int[Shape.MaxRank];
            ContiguousStrides(target, strides);
            return MakeView(source, "Reshape", target, strides[..target.Rank], source._offset, strides[..target.Rank], 0);
        }

        /// <summary>Flattens dimensions [<paramref name="startAxis"/>, <paramref name="endAxis"/>] into one (as <c>torch.flatten</c>).</summary>
        public Tensor Flatten(int startAxis = 0, int endAxis = -1)
        {
            if (x.Rank == 0) return x.Reshape(1);
            int start = x.Shape.NormalizeAxis(startAxis, "Flatten");
            int end = x.Shape.NormalizeAxis(endAxis, "Flatten");
            if (start > end) throw new ArgumentException($"Flatten: startAxis {startAxis} comes after endAxis {endAxis} for shape {x.Shape}.");
            Span<int> dims = stackalloc int[Shape.MaxRank];
            int rank = 0;
            for (int i = 0; i < start; i++) dims[rank++] = x.Shape[i];
            dims[rank++] = x.Shape.Product(start, end + 1);
            for (int i = end + 1; i < x.Rank; i++) dims[rank++] = x.Shape[i];
            return x.Reshape(dims[..rank]);
        }

        /// <summary>Swaps two axes (a view).</summary>
        public Tensor Transpose(int axis0, int axis1)
        {
            int a = x.Shape.NormalizeAxis(axis0, "Transpose");
            int b = x.Shape.NormalizeAxis(axis1, "Transpose");
            Span<int> permutation = stackalloc int[Shape.MaxRank];
            for (int i = 0; i < x.Rank; i++) permutation[i] = i;
            (permutation[a], permutation[b]) = (permutation[b], permutation[a]);
            return PermuteView(x, permutation[..x.Rank], "Transpose");
        }

        /// <summary>The transpose of a matrix (a view); for higher ranks, swaps the last two axes.</summary>
        public Tensor T
        {
            get
            {
                if (x.Rank < 2) throw new ShapeMismatchException($"T: needs at least 2 dimensions to transpose; got shape {x.Shape}.");
                return x.Transpose(-2, -1);
            }
        }

        /// <summary>Reorders the axes: axis i of the result is axis <paramref name="axes"/>[i] of the input (a view).</summary>
        public Tensor Permute(params ReadOnlySpan<int> axes)
        {
            if (axes.Length != x.Rank)
                throw new ShapeMismatchException($"Permute: got {axes.Length} axes {Shape.Format(axes)} for a tensor of shape {x.Shape} (rank {x.Rank}); give each axis once.");
            Span<int> permutation = stackalloc int[Shape.MaxRank];
            Span<bool> seen = stackalloc bool[Shape.MaxRank];
            seen.Clear();
            for (int i = 0; i < axes.Length; i++)
            {
                int axis = x.Shape.NormalizeAxis(axes[i], "Permute");
                if (seen[axis]) throw new ArgumentException($"Permute: axis {axes[i]} appears twice in {Shape.Format(axes)}.");
                seen[axis] = true;
                permutation[i] = axis;
            }
            return PermuteView(x, permutation[..x.Rank], "Permute");
        }

        /// <summary>Elements [<paramref name="start"/>, start + <paramref name="length"/>) along <paramref name="axis"/> (a view; as <c>torch.narrow</c>).</summary>
        public Tensor Narrow(int axis, int start, int length) => x.Slice(axis, start, start + length);

        /// <summary>
        /// Elements start, start + step, ... below <paramref name="end"/> along <paramref name="axis"/>
        /// (a view, as Python's <c>x[start:end:step]</c>; negative start/end count from the end).
        /// </summary>
        public Tensor Slice(int axis, int start, int end, int step = 1)
        {
            int a = x.Shape.NormalizeAxis(axis, "Slice");
            int size = x.Shape[a];
            if (step <= 0) throw new ArgumentException($"Slice: step must be positive; got {step}.", nameof(step));
            int s = start < 0 ? start + size : start;
            int e = end < 0 ? end + size : end;
            if (s < 0 || s > size || e < s || e > size)
                throw new ArgumentOutOfRangeException(nameof(start), $"Slice: range [{start}, {end}) is outside axis {axis} of size {size} (shape {x.Shape}).");
            int length = (e - s + step - 1) / step;
            Shape shape = x.Shape.With(a, length);
            Span<int> strides = stackalloc int[Shape.MaxRank];
            Span<int> logical = stackalloc int[Shape.MaxRank];
            for (int i = 0; i < x.Rank; i++) strides[i] = x.StrideAt(i);
            ContiguousStrides(x.Shape, logical);
            int offset = x._offset + s * strides[a];
            int logicalOffset = s * logical[a];
            strides[a] *= step;
            logical[a] *= step;
            return MakeView(x, "Slice", shape, strides[..x.Rank], offset, logical[..x.Rank], logicalOffset);
        }

        /// <summary>The sub-tensor at <paramref name="index"/> along <paramref name="axis"/>, which is removed (a view; as <c>x[index]</c> for axis 0).</summary>
        public Tensor Select(int axis, int index)
        {
            int a = x.Shape.NormalizeAxis(axis, "Select");
            int size = x.Shape[a];
            int i = index < 0 ? index + size : index;
            if ((uint)i >= (uint)size)
                throw new ArgumentOutOfRangeException(nameof(index), $"Select: index {index} is out of range for axis {axis} of size {size} (shape {x.Shape}).");
            Span<int> dims = stackalloc int[Shape.MaxRank];
            Span<int> strides = stackalloc int[Shape.MaxRank];
            Span<int> logical = stackalloc int[Shape.MaxRank];
            Span<int> allLogical = stackalloc int[Shape.MaxRank];
            ContiguousStrides(x.Shape, allLogical);
            int rank = 0;
            for (int d = 0; d < x.Rank; d++)
            {
                if (d == a) continue;
                dims[rank] = x.Shape[d];
                strides[rank] = x.StrideAt(d);
                logical[rank] = allLogical[d];
                rank++;
            }
            return MakeView(x, "Select", new Shape(dims[..rank]), strides[..rank], x._offset + i * x.StrideAt(a), logical[..rank], i * allLogical[a]);
        }

        /// <summary>Removes axis <paramref name="axis"/>, which must have size 1 (a view).</summary>
        public Tensor Squeeze(int axis)
        {
            int a = x.Shape.NormalizeAxis(axis, "Squeeze");
            if (x.Shape[a] != 1)
                throw new ShapeMismatchException($"Squeeze: axis {axis} of shape {x.Shape} has size {x.Shape[a]}, not 1.");
            return x.Select(a, 0);
        }

        /// <summary>Removes every axis of size 1 (a view).</summary>
        public Tensor Squeeze()
        {
            Span<int> dims = stackalloc int[Shape.MaxRank];
            int rank = 0;
            for (int i = 0; i < x.Rank; i++)
                if (x.Shape[i] != 1) dims[rank++] = x.Shape[i];
            return rank == x.Rank ? x : x.Reshape(dims[..rank]);
        }

        /// <summary>Inserts an axis of size 1 at position <paramref name="axis"/> (0..rank; negative counts from the end, as PyTorch).</summary>
        public Tensor Unsqueeze(int axis)
        {
            int a = axis < 0 ? axis + x.Rank + 1 : axis;
            if (a < 0 || a > x.Rank)
                throw new ArgumentOutOfRangeException(nameof(axis), $"Unsqueeze: axis {axis} is out of range for shape {x.Shape}; valid positions are {-x.Rank - 1}..{x.Rank}.");
            Span<int> dims = stackalloc int[Shape.MaxRank];
            Span<int> strides = stackalloc int[Shape.MaxRank];
            Span<int> logical = stackalloc int[Shape.MaxRank];
            Span<int> allLogical = stackalloc int[Shape.MaxRank];
            ContiguousStrides(x.Shape, allLogical);
            int rank = 0;
            for (int d = 0; d <= x.Rank; d++)
            {
                if (d == a)
                {
                    dims[rank] = 1;
                    strides[rank] = 0;
                    logical[rank] = 0;
                    rank++;
                }
                if (d == x.Rank) break;
                dims[rank] = x.Shape[d];
                strides[rank] = x.StrideAt(d);
                logical[rank] = allLogical[d];
                rank++;
            }
            return MakeView(x, "Unsqueeze", new Shape(dims[..rank]), strides[..rank], x._offset, logical[..rank], 0);
        }

        /// <summary>
        /// Repeats size-1 axes to <paramref name="shape"/> without copying (zero strides), as
        /// <c>torch.expand</c>; −1 keeps a size. New leading axes may be added.
        /// </summary>
        public Tensor Expand(params ReadOnlySpan<int> shape)
        {
            int rank = shape.Length;
            if (rank < x.Rank)
                throw new ShapeMismatchException($"Expand: cannot expand shape {x.Shape} to fewer dimensions {Shape.Format(shape)}.");
            Span<int> dims = stackalloc int[Shape.MaxRank];
            Span<int> strides = stackalloc int[Shape.MaxRank];
            Span<int> logical = stackalloc int[Shape.MaxRank];
            Span<int> allLogical = stackalloc int[Shape.MaxRank];
            ContiguousStrides(x.Shape, allLogical);
            int shift = rank - x.Rank;
            for (int i = 0; i < rank; i++)
            {
                int axis = i - shift;
                int current = axis < 0 ? 1 : x.Shape[axis];
                int wanted = shape[i] == -1 ? current : shape[i];
                if (axis < 0 && shape[i] == -1)
                    throw new ShapeMismatchException($"Expand: −1 is not allowed for the new leading dimension {i} (expanding {x.Shape} to {Shape.Format(shape)}).");
                if (current != wanted && current != 1)
                    throw new ShapeMismatchException($"Expand: dimension {i} of {x.Shape} has size {current}, which cannot expand to {wanted} (only size-1 dimensions expand); target {Shape.Format(shape)}.");
                dims[i] = wanted;
                bool broadcast = axis < 0 || (current == 1 && wanted != 1);
                strides[i] = broadcast ? 0 : x.StrideAt(axis);
                logical[i] = broadcast ? 0 : allLogical[axis];
            }
            var target = new Shape(dims[..rank]);
            if (target == x.Shape) return x;
            return MakeView(x, "Expand", target, strides[..rank], x._offset, logical[..rank], 0);
        }

        /// <summary><paramref name="x"/> itself when contiguous, else a contiguous copy (gradients pass through unchanged).</summary>
        public Tensor Contiguous()
        {
            x.EnsureReadable();
            if (x.IsContiguous) return x;
            Tensor output = Tensor.Uninitialized(x.Shape);
            x.CopyTo(output.Span);
            if (GradMode.ShouldRecord(x))
            {
                var node = ViewNode.Rent();
                node.Input0 = x;
                node.Name = "Contiguous";
                ContiguousStrides(x.Shape, node.Strides);
                node.Offset = 0;
                GradMode.Attach(output, node);
            }
            return output;
        }

        /// <summary>A contiguous copy that shares nothing with <paramref name="x"/> (gradients pass through).</summary>
        public Tensor Clone()
        {
            x.EnsureReadable();
            Tensor output = Tensor.Uninitialized(x.Shape);
            x.CopyTo(output.Span);
            if (GradMode.ShouldRecord(x))
            {
                var node = ViewNode.Rent();
                node.Input0 = x;
                node.Name = "Clone";
                ContiguousStrides(x.Shape, node.Strides);
                node.Offset = 0;
                GradMode.Attach(output, node);
            }
            return output;
        }
    }

    private static Tensor PermuteView(Tensor x, ReadOnlySpan<int> permutation, string name)
    {
        Span<int> dims = stackalloc int[Shape.MaxRank];
        Span<int> strides = stackalloc int[Shape.MaxRank];
        Span<int> logical = stackalloc int[Shape.MaxRank];
        Span<int> allLogical = stackalloc int[Shape.MaxRank];
        ContiguousStrides(x.Shape, allLogical);
        for (int i = 0; i < permutation.Length; i++)
        {
            dims[i] = x.Shape[permutation[i]];
            strides[i] = x.StrideAt(permutation[i]);
            logical[i] = allLogical[permutation[i]];
        }
        return MakeView(x, name, new Shape(dims[..permutation.Length]), strides[..permutation.Length], x._offset, logical[..permutation.Length], 0);
    }

    /// <summary>Row-major strides for <paramref name="shape"/>.</summary>
    internal static void ContiguousStrides(Shape shape, Span<int> strides)
    {
        int stride = 1;
        for (int axis = shape.Rank - 1; axis >= 0; axis--)
        {
            strides[axis] = stride;
            stride *= shape[axis];
        }
    }

    private static Shape InferShape(Shape current, ReadOnlySpan<int> requested)
    {
        Span<int> dims = stackalloc int[Shape.MaxRank];
        if (requested.Length > Shape.MaxRank)
            throw new ShapeMismatchException($"Reshape: at most {Shape.MaxRank} dimensions; got {Shape.Format(requested)}.");
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < requested.Length; i++)
        {
            if (requested[i] == -1)
            {
                if (inferred >= 0) throw new ShapeMismatchException($"Reshape: only one dimension may be -1; got {Shape.Format(requested)}.");
                inferred = i;
                continue;
            }
            if (requested[i] < 0) throw new ShapeMismatchException($"Reshape: invalid size {requested[i]} in {Shape.Format(requested)}.");
            dims[i] = requested[i];
            known *= requested[i];
        }
        if (inferred >= 0)
        {
            if (known == 0 || current.ElementCount % known != 0)
                throw new ShapeMismatchException($"Reshape: cannot reshape {current} ({current.ElementCount} elements) to {Shape.Format(requested)}: {current.ElementCount} is not divisible by {known}.");
            dims[inferred] = (int)(current.ElementCount / known);
            known *= dims[inferred];
        }
        if (known != current.ElementCount)
            throw new ShapeMismatchException($"Reshape: cannot reshape {current} ({current.ElementCount} elements) to {Shape.Format(requested)} ({known} elements); the counts must match.");
        return new Shape(dims[..requested.Length]);
    }

    /// <summary>
    /// A view of <paramref name="x"/> with the given storage strides/offset, recording how it maps into
    /// the input's row-major order (<paramref name="logicalStrides"/>, <paramref name="logicalOffset"/>) for the backward pass.
    /// </summary>
    private static Tensor MakeView(Tensor x, string name, Shape shape, ReadOnlySpan<int> strides, int offset, ReadOnlySpan<int> logicalStrides, int logicalOffset)
    {
        x.EnsureReadable();
        var view = new Tensor(x, shape, strides, offset);
        if (GradMode.ShouldRecord(x))
        {
            var node = ViewNode.Rent();
            node.Input0 = x;
            node.Name = name;
            for (int i = 0; i < shape.Rank; i++) node.Strides[i] = logicalStrides[i];
            node.Offset = logicalOffset;
            GradMode.Attach(view, node);
        }
        return view;
    }

    private sealed class ViewNode : Node<ViewNode>
    {
        public string Name = "";
        public DimensionBuffer Strides;
        public int Offset;

        public override string OperationName => Name;

        public override void Backward(Tensor output)
        {
            Tensor x = Input0;
            if (!Wants(x)) return;
            Span<float> target = x.GradientTarget(out bool accumulate);
            if (!accumulate && Tensor.ComputeContiguous(output.Shape, Strides))
            {
                // A fresh gradient under one contiguous stretch (a Select of the leading axis, a row range):
                // zero only around it and copy into it, instead of zeroing all and adding.
                int count = output.Shape.ElementCount;
                target[..Offset].Clear();
                target[(Offset + count)..].Clear();
                output.GradientSpan.CopyTo(target.Slice(Offset, count));
                return;
            }
            if (!accumulate) target.Clear();
            ScatterAdd(output.GradientSpan, output.Shape, Strides, Offset, target);
        }
    }

    /// <summary>target[offset + Σ index·strides] += source[i] for every element i of <paramref name="shape"/> in row-major order.</summary>
    internal static void ScatterAdd(ReadOnlySpan<float> source, Shape shape, DimensionBuffer strides, int offset, Span<float> target)
    {
        int count = shape.ElementCount;
        if (count == 0) return;
        int rank = shape.Rank;
        if (rank == 0)
        {
            target[offset] += source[0];
            return;
        }
        int inner = shape[rank - 1];
        int innerStride = strides[rank - 1];
        Span<int> index = stackalloc int[Shape.MaxRank];
        index.Clear();
        int position = offset;
        for (int read = 0; read < count; read += inner)
        {
            ReadOnlySpan<float> run = source.Slice(read, inner);
            if (innerStride == 1)
            {
                Span<float> t = target.Slice(position, inner);
                TensorPrimitives.Add(t, run, t);
            }
            else if (innerStride == 0)
            {
                target[position] += TensorPrimitives.Sum(run);
            }
            else
            {
                for (int i = 0; i < inner; i++) target[position + i * innerStride] += run[i];
            }
            for (int axis = rank - 2; axis >= 0; axis--)
            {
                index[axis]++;
                position += strides[axis];
                if (index[axis] < shape[axis]) break;
                position -= strides[axis] * shape[axis];
                index[axis] = 0;
            }
        }
    }
}
