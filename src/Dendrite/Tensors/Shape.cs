using System.Runtime.CompilerServices;
using System.Text;

namespace Dendrite.Tensors;

/// <summary>Fixed-capacity storage for up to <see cref="Shape.MaxRank"/> dimension sizes or strides, kept inline so that a tensor's shape costs no allocation.</summary>
[InlineArray(Shape.MaxRank)]
internal struct DimensionBuffer
{
    private int _element0;
}

/// <summary>
/// The sizes of a tensor's dimensions, outermost first (row-major). A value type with inline
/// storage: creating or copying a shape allocates nothing. Write one as a collection expression:
/// <c>Tensor.Zeros([2, 3])</c>.
/// </summary>
[CollectionBuilder(typeof(Shape), nameof(Create))]
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    /// <summary>The largest rank a tensor may have.</summary>
    public const int MaxRank = 8;

    private readonly DimensionBuffer _dimensions;

    /// <summary>Creates a shape from dimension sizes, each at least 0.</summary>
    public Shape(params ReadOnlySpan<int> dimensions)
    {
        if (dimensions.Length > MaxRank)
            throw new ArgumentException($"A tensor may have at most {MaxRank} dimensions; got {dimensions.Length}.", nameof(dimensions));
        long count = 1;
        for (int i = 0; i < dimensions.Length; i++)
        {
            if (dimensions[i] < 0)
                throw new ArgumentException($"Dimension sizes must be non-negative; got {Format(dimensions)}.", nameof(dimensions));
            _dimensions[i] = dimensions[i];
            count *= dimensions[i];
            if (count > Array.MaxLength)
                throw new ArgumentException($"Shape {Format(dimensions)} has more elements than an array can hold ({Array.MaxLength}).", nameof(dimensions));
        }
        Rank = dimensions.Length;
        _elementCount = (int)count;
    }

    /// <summary>Creates a shape from dimension sizes (the collection-expression builder).</summary>
    public static Shape Create(ReadOnlySpan<int> dimensions) => new(dimensions);

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank { get; }

    int IReadOnlyCollection<int>.Count => Rank;

    /// <summary>The dimension sizes in order.</summary>
    public IEnumerator<int> GetEnumerator()
    {
        for (int i = 0; i < Rank; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private readonly int _elementCount;

    /// <summary>Product of the dimension sizes (1 for a scalar, including <c>default(Shape)</c>).</summary>
    public int ElementCount => Rank == 0 ? 1 : _elementCount;

    /// <summary>The size of dimension <paramref name="axis"/>; a negative axis counts from the end.</summary>
    public int this[int axis]
    {
        get
        {
            int normalized = axis < 0 ? axis + Rank : axis;
            if ((uint)normalized >= (uint)Rank)
                throw new ArgumentOutOfRangeException(nameof(axis), $"Axis {axis} is out of range for shape {this} of rank {Rank}.");
            return _dimensions[normalized];
        }
    }

    /// <summary>The shape of a scalar (rank 0).</summary>
    public static Shape Scalar => default;

    /// <summary>The dimension sizes as a new array.</summary>
    public int[] ToArray()
    {
        var result = new int[Rank];
        for (int i = 0; i < Rank; i++) result[i] = _dimensions[i];
        return result;
    }

    /// <summary>Copies the dimension sizes into <paramref name="destination"/>, which must hold at least <see cref="Rank"/> elements.</summary>
    public void CopyTo(Span<int> destination)
    {
        for (int i = 0; i < Rank; i++) destination[i] = _dimensions[i];
    }

    /// <summary>Turns a possibly negative axis into an index in [0, Rank), naming <paramref name="operation"/> in the error.</summary>
    public int NormalizeAxis(int axis, string operation)
    {
        int normalized = axis < 0 ? axis + Rank : axis;
        if ((uint)normalized >= (uint)Rank)
            throw new ArgumentOutOfRangeException(nameof(axis), $"{operation}: axis {axis} is out of range for a tensor of shape {this} (rank {Rank}); valid axes are {-Rank}..{Rank - 1}.");
        return normalized;
    }

    /// <summary>Sizes of a rank-1 shape; throws a <see cref="ShapeMismatchException"/> naming <paramref name="operation"/> otherwise.</summary>
    public int Dims1(string operation)
    {
        RequireRank(1, operation);
        return _dimensions[0];
    }

    /// <summary>Sizes of a rank-2 shape; throws a <see cref="ShapeMismatchException"/> naming <paramref name="operation"/> otherwise.</summary>
    public (int, int) Dims2(string operation)
    {
        RequireRank(2, operation);
        return (_dimensions[0], _dimensions[1]);
    }

    /// <summary>Sizes of a rank-3 shape; throws a <see cref="ShapeMismatchException"/> naming <paramref name="operation"/> otherwise.</summary>
    public (int, int, int) Dims3(string operation)
    {
        RequireRank(3, operation);
        return (_dimensions[0], _dimensions[1], _dimensions[2]);
    }

    /// <summary>Sizes of a rank-4 shape; throws a <see cref="ShapeMismatchException"/> naming <paramref name="operation"/> otherwise.</summary>
    public (int, int, int, int) Dims4(string operation)
    {
        RequireRank(4, operation);
        return (_dimensions[0], _dimensions[1], _dimensions[2], _dimensions[3]);
    }

    private void RequireRank(int rank, string operation)
    {
        if (Rank != rank)
            throw new ShapeMismatchException($"{operation} expects a rank-{rank} input; got shape {this} (rank {Rank}).");
    }

    /// <summary>Number of elements in dimensions [from, to).</summary>
    internal int Product(int from, int to)
    {
        int product = 1;
        for (int i = from; i < to; i++) product *= _dimensions[i];
        return product;
    }

    /// <summary>A copy with dimension <paramref name="axis"/> set to <paramref name="size"/>.</summary>
    internal Shape With(int axis, int size)
    {
        Span<int> dims = stackalloc int[MaxRank];
        CopyTo(dims);
        dims[axis] = size;
        return new Shape(dims[..Rank]);
    }

    /// <inheritdoc/>
    public bool Equals(Shape other)
    {
        if (Rank != other.Rank) return false;
        for (int i = 0; i < Rank; i++)
            if (_dimensions[i] != other._dimensions[i]) return false;
        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        for (int i = 0; i < Rank; i++) hash.Add(_dimensions[i]);
        return hash.ToHashCode();
    }

    /// <summary>Shapes are equal when they have the same rank and sizes.</summary>
    public static bool operator ==(Shape left, Shape right) => left.Equals(right);

    /// <summary>Shapes differ when rank or any size differs.</summary>
    public static bool operator !=(Shape left, Shape right) => !left.Equals(right);

    /// <summary>Lets an array literal stand for a shape: <c>Tensor.Zeros([2, 3])</c>.</summary>
    public static implicit operator Shape(int[] dimensions) => new(dimensions);

    /// <summary>Formats as <c>[32, 785]</c>.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder("[");
        for (int i = 0; i < Rank; i++)
        {
            if (i > 0) builder.Append(", ");
            builder.Append(_dimensions[i]);
        }
        return builder.Append(']').ToString();
    }

    internal static string Format(ReadOnlySpan<int> dimensions) => "[" + string.Join(", ", dimensions.ToArray()) + "]";
}
