namespace Dendrite.Tensors;

/// <summary>
/// Where a tensor's elements lie: buffer, offset, shape and strides. Lets element-wise and copy
/// routines treat tensors and raw gradient buffers alike without allocating tensor objects.
/// </summary>
internal readonly struct TensorLayout
{
    public readonly float[] Buffer;
    public readonly int Offset;
    public readonly Shape Shape;
    public readonly DimensionBuffer Strides;

    public TensorLayout(float[] buffer, int offset, Shape shape, DimensionBuffer strides)
    {
        Buffer = buffer;
        Offset = offset;
        Shape = shape;
        Strides = strides;
    }

    /// <summary>A contiguous row-major layout over <paramref name="buffer"/> from element 0.</summary>
    public static TensorLayout Contiguous(float[] buffer, Shape shape)
    {
        DimensionBuffer strides = default;
        int stride = 1;
        for (int axis = shape.Rank - 1; axis >= 0; axis--)
        {
            strides[axis] = stride;
            stride *= shape[axis];
        }
        return new TensorLayout(buffer, 0, shape, strides);
    }

    /// <summary>The same elements with axes reordered: axis i of the result is axis <paramref name="permutation"/>[i] of this layout.</summary>
    public TensorLayout Permute(ReadOnlySpan<int> permutation)
    {
        Span<int> dims = stackalloc int[Shape.MaxRank];
        DimensionBuffer strides = default;
        for (int i = 0; i < permutation.Length; i++)
        {
            dims[i] = Shape[permutation[i]];
            strides[i] = Strides[permutation[i]];
        }
        return new TensorLayout(Buffer, Offset, new Shape(dims[..permutation.Length]), strides);
    }

    /// <summary>Copies the elements in row-major order into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<float> destination) => Tensor.CopyStrided(Buffer, Offset, Shape, Strides, destination);
}

public partial class Tensor
{
    /// <summary>This tensor's layout (buffer, offset, shape, strides).</summary>
    internal TensorLayout Layout => new(_buffer, _offset, _shape, _strides);

    /// <summary>The layout of this tensor's gradient buffer (always contiguous, this tensor's shape).</summary>
    internal TensorLayout GradientLayout => TensorLayout.Contiguous(_gradBuffer!, _shape);
}
