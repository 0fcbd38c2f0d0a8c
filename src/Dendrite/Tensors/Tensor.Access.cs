using System.Globalization;
using System.Text;

namespace Dendrite.Tensors;

public partial class Tensor
{
    /// <summary>The elements in row-major order, as a new array (works for strided views too).</summary>
    public float[] ToArray()
    {
        EnsureReadable();
        var result = new float[Count];
        CopyTo(result);
        return result;
    }

    /// <summary>Copies the elements in row-major order into <paramref name="destination"/> (at least <see cref="Count"/> long).</summary>
    public void CopyTo(Span<float> destination)
    {
        EnsureReadable();
        if (destination.Length < Count)
            throw new ArgumentException($"CopyTo: destination holds {destination.Length} elements but the {_shape} tensor has {Count}.", nameof(destination));
        if (_isContiguous)
        {
            Span.CopyTo(destination);
            return;
        }
        CopyStrided(_buffer, _offset, _shape, _strides, destination);
    }

    /// <summary>Copies a strided layout into a contiguous row-major destination.</summary>
    internal static void CopyStrided(float[] source, int offset, Shape shape, DimensionBuffer strides, Span<float> destination)
    {
        int rank = shape.Rank;
        if (shape.ElementCount == 0) return;
        if (rank == 0)
        {
            destination[0] = source[offset];
            return;
        }
        int innerSize = shape[rank - 1];
        int innerStride = strides[rank - 1];
        Span<int> index = stackalloc int[Shape.MaxRank];
        index.Clear();
        int outerCount = shape.ElementCount / Math.Max(innerSize, 1);
        int written = 0;
        int position = offset;
        for (int outer = 0; outer < outerCount; outer++)
        {
            if (innerStride == 1)
            {
                source.AsSpan(position, innerSize).CopyTo(destination.Slice(written, innerSize));
            }
            else
            {
                int p = position;
                for (int i = 0; i < innerSize; i++, p += innerStride) destination[written + i] = source[p];
            }
            written += innerSize;
            // Odometer over the outer axes.
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

    /// <summary>Copies <paramref name="values"/> (row-major, exactly <see cref="Count"/> of them) into this tensor, which may be a strided view.</summary>
    public void CopyFrom(ReadOnlySpan<float> values)
    {
        EnsureReadable();
        if (values.Length != Count)
            throw new ArgumentException($"CopyFrom: got {values.Length} values for a {_shape} tensor of {Count} elements.", nameof(values));
        if (_isContiguous)
        {
            values.CopyTo(Span);
            return;
        }
        var offsets = new OffsetIterator(this);
        for (int i = 0; offsets.MoveNext(); i++) _buffer[offsets.Current] = values[i];
    }

    /// <summary>Sets every element to <paramref name="value"/> (in place, outside autograd).</summary>
    public void Fill(float value)
    {
        EnsureReadable();
        if (_isContiguous) Span.Fill(value);
        else
        {
            var offsets = new OffsetIterator(this);
            while (offsets.MoveNext()) _buffer[offsets.Current] = value;
        }
    }

    /// <summary>The value of a tensor with exactly one element.</summary>
    public float Item()
    {
        EnsureReadable();
        if (Count != 1)
            throw new InvalidOperationException($"Item() needs a tensor with one element; this one has shape {_shape} ({Count} elements).");
        return _buffer[_offset];
    }

    /// <summary>The element at the given indices (one per dimension; negative indices count from the end).</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public float this[params ReadOnlySpan<int> indices]
    {
        get
        {
            EnsureReadable();
            return _buffer[OffsetOf(indices)];
        }
        set
        {
            EnsureReadable();
            _buffer[OffsetOf(indices)] = value;
        }
    }

    private int OffsetOf(ReadOnlySpan<int> indices)
    {
        if (indices.Length != Rank)
            throw new ArgumentException($"Indexing a {_shape} tensor needs {Rank} indices; got {indices.Length}.", nameof(indices));
        int offset = _offset;
        for (int axis = 0; axis < Rank; axis++)
        {
            int size = _shape[axis];
            int i = indices[axis] < 0 ? indices[axis] + size : indices[axis];
            if ((uint)i >= (uint)size)
                throw new IndexOutOfRangeException($"Index {indices[axis]} is out of range for axis {axis} of size {size} (shape {_shape}).");
            offset += i * _strides[axis];
        }
        return offset;
    }

    /// <summary>
    /// Formats like PyTorch: <c>tensor([[ 0.1000, -1.2000], [ 3.0000,  4.0000]])</c> over several
    /// lines, showing only the first and last three entries of each axis when the tensor has more
    /// than 1000 elements.
    /// </summary>
    public override string ToString()
    {
        if (IsReleased) return $"tensor(<released by Backward()>, shape={_shape})";
        float[] values = ToArray();
        bool summarize = Count > 1000;
        var format = NumberFormat.Choose(values);
        var builder = new StringBuilder("tensor(");
        if (Rank == 0) builder.Append(format.Format(values[0]).Trim());
        else AppendAxis(builder, values, 0, 0, summarize, format, indent: 7);
        if (Rank > 0 && Count == 0) builder.Append(", size=").Append(_shape);
        if (_requiresGrad) builder.Append(_node is null ? ", requires_grad=True" : $", grad_fn=<{_node.OperationName}>");
        return builder.Append(')').ToString();
    }

    private void AppendAxis(StringBuilder builder, float[] values, int axis, int start, bool summarize, NumberFormat format, int indent)
    {
        int size = _shape[axis];
        int blockSize = _shape.Product(axis + 1, Rank);
        const int EdgeItems = 3;
        builder.Append('[');
        bool elided = summarize && size > 2 * EdgeItems;
        for (int i = 0; i < size; i++)
        {
            if (elided && i == EdgeItems)
            {
                i = size - EdgeItems;
                builder.Append(axis == Rank - 1 ? "..., " : "...,\n" + new string(' ', indent + axis + 1));
            }
            if (axis == Rank - 1) builder.Append(format.Format(values[start + i]));
            else AppendAxis(builder, values, axis + 1, start + i * blockSize, summarize, format, indent);
            if (i < size - 1)
            {
                builder.Append(',');
                if (axis == Rank - 1) builder.Append(' ');
                else builder.Append('\n', Rank - axis - 1).Append(' ', indent + axis + 1);
            }
        }
        builder.Append(']');
    }

    /// <summary>How to print every element of one tensor: integers, fixed point with 4 decimals, or scientific.</summary>
    private sealed class NumberFormat
    {
        private readonly string _pattern;
        private readonly int _width;
        private readonly bool _integers;

        private NumberFormat(string pattern, int width, bool integers) => (_pattern, _width, _integers) = (pattern, width, integers);

        public static NumberFormat Choose(float[] values)
        {
            bool integers = true;
            float maxAbs = 0f, minAbs = float.MaxValue;
            foreach (float v in values)
            {
                if (!float.IsFinite(v)) continue;
                if (v != MathF.Round(v)) integers = false;
                float a = MathF.Abs(v);
                maxAbs = MathF.Max(maxAbs, a);
                if (a > 0) minAbs = MathF.Min(minAbs, a);
            }
            bool scientific = maxAbs >= 1e8f || (!integers && minAbs < 1e-4f) || (maxAbs > 0 && minAbs < float.MaxValue && maxAbs / minAbs > 1000f && maxAbs > 1000f);
            string pattern = integers && !scientific ? "0" : scientific ? "0.0000e+00" : "0.0000";
            int width = 0;
            var format = new NumberFormat(pattern, 0, integers && !scientific);
            foreach (float v in values) width = Math.Max(width, format.FormatRaw(v).Length);
            return new NumberFormat(pattern, width, integers && !scientific);
        }

        private string FormatRaw(float value)
        {
            if (float.IsNaN(value)) return "nan";
            if (float.IsPositiveInfinity(value)) return "inf";
            if (float.IsNegativeInfinity(value)) return "-inf";
            if (_integers) return (value == 0f ? 0f : value).ToString("0", CultureInfo.InvariantCulture) + ".";
            return value.ToString(_pattern, CultureInfo.InvariantCulture);
        }

        public string Format(float value) => FormatRaw(value).PadLeft(_width);
    }

    /// <summary>Walks the storage offsets of a tensor's elements in row-major order.</summary>
    internal struct OffsetIterator
    {
        private readonly Shape _shape;
        private readonly DimensionBuffer _strides;
        private DimensionBuffer _index;
        private int _remaining;
        private bool _started;

        public OffsetIterator(Tensor tensor)
        {
            _shape = tensor._shape;
            _strides = tensor._strides;
            _remaining = tensor.Count;
            Current = tensor._offset;
        }

        /// <summary>Storage offset of the current element.</summary>
        public int Current { get; private set; }

        public bool MoveNext()
        {
            if (_remaining == 0) return false;
            _remaining--;
            if (!_started)
            {
                _started = true;
                return true;
            }
            for (int axis = _shape.Rank - 1; axis >= 0; axis--)
            {
                _index[axis]++;
                Current += _strides[axis];
                if (_index[axis] < _shape[axis]) break;
                Current -= _strides[axis] * _shape[axis];
                _index[axis] = 0;
            }
            return true;
        }
    }
}
