using Dendrite.Autograd;
using Dendrite.Kernels;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// Reductions over axes. The input is seen as [outer, axis, inner] (several neighbouring axes merge
// into one); the gradient of each reduction, with g = d(loss)/d(out) of shape [outer, inner]:
//   sum:  dx[o, a, i] = g[o, i]              mean: dx[o, a, i] = g[o, i] / axis
//   max/min: dx = g at the (first) position of the extreme, 0 elsewhere
//   logsumexp y: dx[o, a, i] = g[o, i]·exp(x[o, a, i] − y[o, i])
// Variance and standard deviation are composed from these, so their gradients come for free.

public static partial class TensorOps
{
    extension(Tensor x)
    {
        /// <summary>Sum of all elements, as a rank-0 tensor.</summary>
        public Tensor Sum() => Reduce(x.Flatten(), 0, 1, x.Count, 1, Shape.Scalar, 1f, "Sum");

        /// <summary>Sum along <paramref name="axis"/>; <paramref name="keepDims"/> keeps it with size 1.</summary>
        public Tensor Sum(int axis, bool keepDims = false) => x.Sum([axis], keepDims);

        /// <summary>Sum along several axes.</summary>
        public Tensor Sum(ReadOnlySpan<int> axes, bool keepDims = false) => ReduceAxes(x, axes, keepDims, mean: false, "Sum");

        /// <summary>Mean of all elements, as a rank-0 tensor.</summary>
        public Tensor Mean() => Reduce(x.Flatten(), 0, 1, x.Count, 1, Shape.Scalar, 1f / Math.Max(1, x.Count), "Mean");

        /// <summary>Mean along <paramref name="axis"/>.</summary>
        public Tensor Mean(int axis, bool keepDims = false) => x.Mean([axis], keepDims);

        /// <summary>Mean along several axes.</summary>
        public Tensor Mean(ReadOnlySpan<int> axes, bool keepDims = false) => ReduceAxes(x, axes, keepDims, mean: true, "Mean");

        /// <summary>
        /// Variance along <paramref name="axes"/> (all axes when empty): Σ(x − mean)² / (N − correction).
        /// The default correction 1 gives the unbiased estimate (as <c>torch.var</c>); 0 the population variance.
        /// </summary>
        public Tensor Variance(ReadOnlySpan<int> axes, int correction = 1, bool keepDims = false)
        {
            int[] all = axes.IsEmpty ? AllAxes(x.Rank) : axes.ToArray();
            int count = 1;
            foreach (int axis in all) count *= x.Shape[x.Shape.NormalizeAxis(axis, "Variance")];
            Tensor centered = x - x.Mean(all, keepDims: true);
            return centered.Square().Sum(all, keepDims) * (1f / Math.Max(count - correction, 0));
        }

        /// <summary>Variance of all elements (unbiased by default).</summary>
        public Tensor Variance(int correction = 1) => x.Variance([], correction);

        /// <summary>Variance along one axis (unbiased by default).</summary>
        public Tensor Variance(int axis, int correction = 1, bool keepDims = false) => x.Variance([axis], correction, keepDims);

        /// <summary>Standard deviation along <paramref name="axes"/> (all when empty): √Variance.</summary>
        public Tensor StandardDeviation(ReadOnlySpan<int> axes, int correction = 1, bool keepDims = false) => x.Variance(axes, correction, keepDims).Sqrt();

        /// <summary>Maximum of all elements, as a rank-0 tensor.</summary>
        public Tensor Max() => Extreme(x.Flatten(), 0, keepDims: false, maximum: true);

        /// <summary>Maximum along <paramref name="axis"/>; the gradient flows to the first position of each maximum.</summary>
        public Tensor Max(int axis, bool keepDims = false) => Extreme(x, axis, keepDims, maximum: true);

        /// <summary>Minimum of all elements, as a rank-0 tensor.</summary>
        public Tensor Min() => Extreme(x.Flatten(), 0, keepDims: false, maximum: false);

        /// <summary>Minimum along <paramref name="axis"/>.</summary>
        public Tensor Min(int axis, bool keepDims = false) => Extreme(x, axis, keepDims, maximum: false);

        /// <summary>Index of the (first) maximum along <paramref name="axis"/>, as float values; not differentiable.</summary>
        public Tensor ArgMax(int axis, bool keepDims = false) => ArgExtreme(x, axis, keepDims, maximum: true);

        /// <summary>Index of the (first) minimum along <paramref name="axis"/>, as float values; not differentiable.</summary>
        public Tensor ArgMin(int axis, bool keepDims = false) => ArgExtreme(x, axis, keepDims, maximum: false);

        /// <summary>ln Σ exp(x) along <paramref name="axis"/>, computed stably (the maximum is subtracted first).</summary>
        public Tensor LogSumExp(int axis, bool keepDims = false)
        {
            Tensor source = x.Contiguous();
            int a = source.Shape.NormalizeAxis(axis, "LogSumExp");
            int outer = source.Shape.Product(0, a), size = source.Shape[a], inner = source.Shape.Product(a + 1, source.Rank);
            Tensor output = Tensor.Uninitialized(ReducedShape(source.Shape, a, a, keepDims));
            Kernels.Softmax.LogSumExp(source.Span, output.Span, outer, size, inner);
            if (GradMode.ShouldRecord(source))
            {
                var node = LogSumExpNode.Rent();
                node.Input0 = source;
                node.Outer = outer;
                node.Size = size;
                node.Inner = inner;
                GradMode.Attach(output, node);
            }
            return output;
        }
    }

    private static int[] AllAxes(int rank)
    {
        var axes = new int[rank];
        for (int i = 0; i < rank; i++) axes[i] = i;
        return axes;
    }

    private static Shape ReducedShape(Shape shape, int first, int last, bool keepDims)
    {
        Span<int> dims = stackalloc int[Shape.MaxRank];
        int rank = 0;
        for (int d = 0; d < shape.Rank; d++)
        {
            if (d >= first && d <= last)
            {
                if (keepDims) dims[rank++] = 1;
                continue;
            }
            dims[rank++] = shape[d];
        }
        return new Shape(dims[..rank]);
    }

    private static Tensor ReduceAxes(Tensor x, ReadOnlySpan<int> axes, bool keepDims, bool mean, string name)
    {
        if (axes.IsEmpty) return mean ? x.Mean() : x.Sum();
        Span<bool> reduce = stackalloc bool[Shape.MaxRank];
        reduce.Clear();
        foreach (int axis in axes)
        {
            int a = x.Shape.NormalizeAxis(axis, name);
            if (reduce[a]) throw new ArgumentException($"{name}: axis {axis} is listed twice.");
            reduce[a] = true;
        }
        Tensor current = x.Contiguous();
        // Reduce each run of neighbouring axes in one pass, last run first, keeping dims so axis numbers stay valid.
        for (int last = x.Rank - 1; last >= 0; last--)
        {
            if (!reduce[last]) continue;
            int first = last;
            while (first > 0 && reduce[first - 1]) first--;
            Shape shape = current.Shape;
            int outer = shape.Product(0, first), size = shape.Product(first, last + 1), inner = shape.Product(last + 1, shape.Rank);
            current = Reduce(current, first, outer, size, inner, ReducedShape(shape, first, last, keepDims: true), mean ? 1f / Math.Max(size, 1) : 1f, name);
            last = first;
        }
        if (!keepDims)
        {
            Span<int> dims = stackalloc int[Shape.MaxRank];
            int rank = 0;
            for (int d = 0; d < x.Rank; d++)
                if (!reduce[d]) dims[rank++] = x.Shape[d];
            current = current.Reshape(dims[..rank]);
        }
        return current;
    }

    private static Tensor Reduce(Tensor x, int firstAxis, int outer, int size, int inner, Shape outputShape, float scale, string name)
    {
        Tensor source = x.Contiguous();
        Tensor output = Tensor.Uninitialized(outputShape);
        Reductions.Sum(source.Span, output.Span, outer, size, inner);
        if (scale != 1f) TensorPrimitives.Multiply(output.Span, scale, output.Span);
        if (GradMode.ShouldRecord(source))
        {
            var node = SumNode.Rent();
            node.Input0 = source;
            node.Outer = outer;
            node.Size = size;
            node.Inner = inner;
            node.Scale = scale;
            node.Name = name;
            GradMode.Attach(output, node);
        }
        return output;
    }

    private sealed class SumNode : Node<SumNode>
    {
        public int Outer, Size, Inner;
        public float Scale;
        public string Name = "";

        public override string OperationName => Name;

        public override void Backward(Tensor output)
        {
            Tensor x = Input0;
            if (!Wants(x)) return;
            ReadOnlySpan<float> g = output.GradientSpan;
            Span<float> target = x.GradientTarget(out bool accumulate);
            for (int o = 0; o < Outer; o++)
            {
                ReadOnlySpan<float> row = g.Slice(o * Inner, Inner);
                for (int a = 0; a < Size; a++)
                {
                    Span<float> t = target.Slice((o * Size + a) * Inner, Inner);
                    if (Inner == 1)
                    {
                        float v = row[0] * Scale;
                        t[0] = accumulate ? t[0] + v : v;
                    }
                    else if (accumulate)
                    {
                        TensorPrimitives.MultiplyAdd(row, Scale, t, t);
                    }
                    else
                    {
                        TensorPrimitives.Multiply(row, Scale, t);
                    }
                }
            }
        }
    }

    private static Tensor Extreme(Tensor x, int axis, bool keepDims, bool maximum)
    {
        string name = maximum ? "Max" : "Min";
        Tensor source = x.Contiguous();
        int a = source.Shape.NormalizeAxis(axis, name);
        int outer = source.Shape.Product(0, a), size = source.Shape[a], inner = source.Shape.Product(a + 1, source.Rank);
        if (size == 0) throw new ShapeMismatchException($"{name}: cannot reduce axis {axis} of size 0 (shape {x.Shape}).");
        Tensor output = Tensor.Uninitialized(ReducedShape(source.Shape, a, a, keepDims));
        bool record = GradMode.ShouldRecord(source);
        int[] indices = record ? new int[outer * inner] : [];
        if (maximum) Reductions.Max(source.Span, output.Span, indices, outer, size, inner);
        else Reductions.Min(source.Span, output.Span, indices, outer, size, inner);
        if (record)
        {
            var node = ExtremeNode.Rent();
            node.Input0 = source;
            node.Indices = indices;
            node.Size = size;
            node.Inner = inner;
            node.Name = name;
            GradMode.Attach(output, node);
        }
        return output;
    }

    private static Tensor ArgExtreme(Tensor x, int axis, bool keepDims, bool maximum)
    {
        string name = maximum ? "ArgMax" : "ArgMin";
        Tensor source = x.Contiguous();
        int a = source.Shape.NormalizeAxis(axis, name);
        int outer = source.Shape.Product(0, a), size = source.Shape[a], inner = source.Shape.Product(a + 1, source.Rank);
        if (size == 0) throw new ShapeMismatchException($"{name}: cannot reduce axis {axis} of size 0 (shape {x.Shape}).");
        var values = new float[outer * inner];
        var indices = new int[outer * inner];
        if (maximum) Reductions.Max(source.Span, values, indices, outer, size, inner);
        else Reductions.Min(source.Span, values, indices, outer, size, inner);
        var result = Tensor.Zeros(ReducedShape(source.Shape, a, a, keepDims));
        Span<float> r = result.Span;
        for (int i = 0; i < indices.Length; i++) r[i] = indices[i];
        return result;
    }

    private sealed class ExtremeNode : Node<ExtremeNode>
    {
        public int[] Indices = [];
        public int Size, Inner;
        public string Name = "";

        public override string OperationName => Name;

        public override void Backward(Tensor output)
        {
            Tensor x = Input0;
            if (!Wants(x)) return;
            Span<float> target = x.GradientTarget(out bool accumulate);
            if (!accumulate) target.Clear();
            ReadOnlySpan<float> g = output.GradientSpan;
            for (int n = 0; n < Indices.Length; n++)
            {
                int o = n / Inner, i = n % Inner;
                target[(o * Size + Indices[n]) * Inner + i] += g[n];
            }
        }

        protected override void ClearState() => Indices = [];
    }

    private sealed class LogSumExpNode : Node<LogSumExpNode>
    {
        public int Outer, Size, Inner;

        public override string OperationName => "LogSumExp";

        public override void Backward(Tensor output)
        {
            Tensor x = Input0;
            if (!Wants(x)) return;
            var writer = new GradientWriter(x);
            Span<float> d = writer.Destination;
            ReadOnlySpan<float> xs = x.Span, y = output.Span, g = output.GradientSpan;
            for (int o = 0; o < Outer; o++)
                for (int a = 0; a < Size; a++)
                    for (int i = 0; i < Inner; i++)
                    {
                        int at = (o * Size + a) * Inner + i;
                        d[at] = g[o * Inner + i] * MathF.Exp(xs[at] - y[o * Inner + i]);
                    }
            writer.Commit();
        }
    }
}
