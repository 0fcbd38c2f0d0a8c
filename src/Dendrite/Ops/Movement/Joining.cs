using Dendrite.Autograd;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// Concat copies its inputs side by side along an axis; its backward hands each input its slice of
// the upstream gradient. Stack is Concat of inputs given a new axis; Split returns views (Narrow).

public static partial class TensorOps
{
    /// <summary>
    /// Joins tensors along an existing <paramref name="axis"/> (as <c>torch.cat</c>). All must have the
    /// same shape except along that axis.
    /// </summary>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int axis = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Concat needs at least one tensor.", nameof(tensors));
        Tensor first = tensors[0];
        if (first.Rank == 0) throw new ShapeMismatchException("Concat: cannot concatenate rank-0 tensors; Stack them instead.");
        int a = first.Shape.NormalizeAxis(axis, "Concat");
        int total = 0;
        bool record = false;
        for (int t = 0; t < tensors.Count; t++)
        {
            Tensor current = tensors[t];
            current.EnsureReadable();
            if (current.Rank != first.Rank)
                throw new ShapeMismatchException($"Concat: tensor {t} has shape {current.Shape} but tensor 0 has {first.Shape}; ranks must match.");
            for (int d = 0; d < first.Rank; d++)
                if (d != a && current.Shape[d] != first.Shape[d])
                    throw new ShapeMismatchException($"Concat along axis {axis}: tensor {t} has shape {current.Shape} but tensor 0 has {first.Shape}; all dimensions but axis {a} must match.");
            total += current.Shape[a];
            record |= current.RequiresGrad;
        }
        Shape shape = first.Shape.With(a, total);
        Tensor output = Tensor.Uninitialized(shape);
        int outer = shape.Product(0, a);
        int inner = shape.Product(a + 1, shape.Rank);
        Span<float> destination = output.Span;
        int position = 0;
        float[] scratch = [];
        foreach (Tensor current in tensors)
        {
            int block = current.Shape[a] * inner;
            ReadOnlySpan<float> source;
            if (current.IsContiguous)
            {
                source = current.Span;
            }
            else
            {
                if (scratch.Length < current.Count) scratch = new float[current.Count];
                current.CopyTo(scratch);
                source = scratch.AsSpan(0, current.Count);
            }
            for (int o = 0; o < outer; o++)
                source.Slice(o * block, block).CopyTo(destination.Slice(o * total * inner + position, block));
            position += block;
        }
        if (record && GradMode.IsEnabled)
        {
            var node = ConcatNode.Rent();
            node.Inputs = [.. tensors];
            node.Input0 = node.Inputs[0];
            node.Axis = a;
            GradMode.Attach(output, node);
        }
        return output;
    }

    /// <summary>Joins same-shaped tensors along a new axis at <paramref name="axis"/> (as <c>torch.stack</c>).</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int axis = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Stack needs at least one tensor.", nameof(tensors));
        for (int t = 1; t < tensors.Count; t++)
            if (tensors[t].Shape != tensors[0].Shape)
                throw new ShapeMismatchException($"Stack: tensor {t} has shape {tensors[t].Shape} but tensor 0 has {tensors[0].Shape}; all must match.");
        var expanded = new Tensor[tensors.Count];
        for (int t = 0; t < tensors.Count; t++) expanded[t] = tensors[t].Unsqueeze(axis);
        return Concat(expanded, axis < 0 ? axis + tensors[0].Rank + 1 : axis);
    }

    extension(Tensor x)
    {
        /// <summary>Splits into consecutive views along <paramref name="axis"/> with the given sizes, which must add up to that axis' size.</summary>
        public Tensor[] Split(ReadOnlySpan<int> sizes, int axis = 0)
        {
            int a = x.Shape.NormalizeAxis(axis, "Split");
            int sum = 0;
            foreach (int size in sizes) sum += size;
            if (sum != x.Shape[a])
                throw new ShapeMismatchException($"Split: sizes {Shape.Format(sizes)} add up to {sum} but axis {axis} of shape {x.Shape} has size {x.Shape[a]}.");
            var parts = new Tensor[sizes.Length];
            int start = 0;
            for (int i = 0; i < sizes.Length; i++)
            {
                parts[i] = x.Narrow(a, start, sizes[i]);
                start += sizes[i];
            }
            return parts;
        }

        /// <summary>Splits into views of <paramref name="chunkSize"/> along <paramref name="axis"/> (the last may be smaller), as <c>torch.split(x, n)</c>.</summary>
        public Tensor[] Split(int chunkSize, int axis = 0)
        {
            if (chunkSize <= 0) throw new ArgumentOutOfRangeException(nameof(chunkSize), $"Split: chunk size must be positive; got {chunkSize}.");
            int a = x.Shape.NormalizeAxis(axis, "Split");
            int size = x.Shape[a];
            int count = Math.Max(1, (size + chunkSize - 1) / chunkSize);
            var sizes = new int[count];
            for (int i = 0; i < count; i++) sizes[i] = Math.Min(chunkSize, size - i * chunkSize);
            return x.Split(sizes, a);
        }
    }

    private sealed class ConcatNode : Node<ConcatNode>
    {
        public Tensor[] Inputs = [];
        public int Axis;

        public override string OperationName => "Concat";

        public override int InputCount => Inputs.Length;

        public override Tensor GetInput(int index) => Inputs[index];

        public override void Backward(Tensor output)
        {
            Shape shape = output.Shape;
            int outer = shape.Product(0, Axis);
            int inner = shape.Product(Axis + 1, shape.Rank);
            int total = shape[Axis];
            ReadOnlySpan<float> g = output.GradientSpan;
            int position = 0;
            foreach (Tensor input in Inputs)
            {
                int block = input.Shape[Axis] * inner;
                if (Wants(input))
                {
                    var writer = new GradientWriter(input);
                    for (int o = 0; o < outer; o++)
                        g.Slice(o * total * inner + position, block).CopyTo(writer.Destination.Slice(o * block, block));
                    writer.Commit();
                }
                position += block;
            }
        }

        protected override void ClearState()
        {
            Inputs = [];
            Axis = 0;
        }
    }
}
