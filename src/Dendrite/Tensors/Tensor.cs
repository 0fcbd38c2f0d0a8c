using System.Runtime.CompilerServices;

namespace Dendrite.Tensors;

/// <summary>
/// An n-dimensional array of float32 values in row-major order, possibly a strided view of another
/// tensor's storage, and a node of the autograd graph when it requires a gradient.
/// </summary>
/// <remarks>
/// Tensors produced by operations on tensors that require gradients take their storage from a pool.
/// <c>Backward()</c> returns that storage once the gradient has passed through, so a training step
/// allocates (almost) nothing; reading such an intermediate afterwards throws. Call
/// <see cref="Retain"/> (or <c>Detach()</c>) before <c>Backward()</c> to keep one. Leaves (parameters,
/// inputs, tensors you create) are never released.
/// </remarks>
public partial class Tensor
{
    internal float[] _buffer;
    internal int _offset;
    private readonly Shape _shape;
    internal DimensionBuffer _strides;
    private readonly bool _isContiguous;

    /// <summary>The tensor that owns the storage when this one is a view; null when this one owns it.</summary>
    internal readonly Tensor? _base;
    private readonly bool _pooled;
    private bool _released;
    private bool _retained;

    private bool _requiresGrad;
    internal IGradientNode? _node;
    internal float[]? _gradBuffer;
    internal bool _gradValid;
    private Tensor? _gradView;
    internal bool _retainGrad;
    internal int _visitMark;

    /// <summary>A contiguous tensor over <paramref name="buffer"/> (which it then owns).</summary>
    internal Tensor(float[] buffer, Shape shape, bool pooled)
    {
        _buffer = buffer;
        _shape = shape;
        _pooled = pooled;
        _isContiguous = true;
        int stride = 1;
        for (int axis = shape.Rank - 1; axis >= 0; axis--)
        {
            _strides[axis] = stride;
            stride *= shape[axis];
        }
    }

    /// <summary>A view over <paramref name="source"/>'s storage with its own shape, strides and offset.</summary>
    internal Tensor(Tensor source, Shape shape, ReadOnlySpan<int> strides, int offset)
    {
        _buffer = source._buffer;
        _base = source._base ?? source;
        _shape = shape;
        _offset = offset;
        for (int axis = 0; axis < shape.Rank; axis++) _strides[axis] = strides[axis];
        _isContiguous = ComputeContiguous(shape, strides);
    }

    /// <summary>Whether <paramref name="strides"/> lay <paramref name="shape"/> out row-major without gaps (axes of size 1 may have any stride).</summary>
    internal static bool ComputeContiguous(Shape shape, ReadOnlySpan<int> strides)
    {
        int expected = 1;
        for (int axis = shape.Rank - 1; axis >= 0; axis--)
        {
            if (shape[axis] != 1 && strides[axis] != expected) return false;
            expected *= shape[axis];
        }
        return true;
    }

    /// <summary>Sizes of the dimensions, outermost first.</summary>
    public Shape Shape => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Rank;

    /// <summary>Number of elements.</summary>
    public int Count => _shape.ElementCount;

    /// <summary>Element strides per dimension (how far apart consecutive indices of each axis lie in storage).</summary>
    public int[] Strides
    {
        get
        {
            var result = new int[Rank];
            for (int i = 0; i < Rank; i++) result[i] = _strides[i];
            return result;
        }
    }

    internal int StrideAt(int axis) => _strides[axis];

    /// <summary>True when the elements lie in storage in row-major order without gaps, so <see cref="Data"/> can expose them as one span.</summary>
    public bool IsContiguous => _isContiguous;

    /// <summary>True when this tensor shares its storage with another tensor.</summary>
    public bool IsView => _base is not null;

    /// <summary>
    /// The elements as one writable span, in row-major order. Only for contiguous tensors: call
    /// <c>Contiguous()</c> on a strided view first. Writing here bypasses autograd.
    /// </summary>
    public Span<float> Data
    {
        get
        {
            EnsureReadable();
            if (!_isContiguous)
                Throw.InvalidOperation($"Data needs a contiguous tensor, but this {_shape} tensor is a strided view (strides {Shape.Format(Strides)}); call Contiguous() first.");
            return _buffer.AsSpan(_offset, Count);
        }
    }

    /// <summary>The contiguous elements without the public checks; callers have checked.</summary>
    internal Span<float> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _buffer.AsSpan(_offset, _shape.ElementCount);
    }

    /// <summary>True once <c>Backward()</c> returned this intermediate's storage to the pool.</summary>
    public bool IsReleased => _released || (_base is not null && _base._released);

    internal void EnsureReadable()
    {
        if (IsReleased) ThrowReleased();
    }

    private void ThrowReleased()
    {
        string producer = (_base ?? this)._node?.OperationName ?? _node?.OperationName ?? "an operation";
        Throw.InvalidOperation(
            $"This {_shape} tensor (output of {producer}) was an intermediate of a graph that Backward() has already consumed, and its memory was reused. " +
            "Read it before Backward(), or call Retain() (or Detach()) on it before Backward() to keep it.");
    }

    /// <summary>
    /// Keeps this tensor's values after <c>Backward()</c> (which otherwise recycles intermediates).
    /// Returns this tensor.
    /// </summary>
    public Tensor Retain()
    {
        (_base ?? this)._retained = true;
        return this;
    }

    internal bool IsRetained => (_base ?? this)._retained;

    /// <summary>
    /// Gives this intermediate's pooled storage back early, for a caller that knows no graph was recorded
    /// (a NoGrad scope) and that nothing else holds the tensor: it must have no node, own pooled storage,
    /// not be retained, and <paramref name="consumer"/> (what was computed from it) must be neither it
    /// nor a view of it. Returns whether it was released.
    /// </summary>
    internal bool ReleaseUnlessNeeded(Tensor consumer)
    {
        if (_node is not null || _base is not null || !_pooled || _retained || _released) return false;
        if (ReferenceEquals(consumer, this) || ReferenceEquals(consumer._base, this)) return false;
        ReleaseStorage();
        return true;
    }

    /// <summary>
    /// Gives this operation output's storage back to Dendrite's buffer pool now, so that the next
    /// operation reuses it instead of allocating: for inference loops that call operations or modules
    /// directly and are done with a large result (<c>Sequential</c> does this for its intermediates by
    /// itself). Afterwards this tensor and every view of it throw when read (<see cref="IsReleased"/>).
    /// Releasing twice does nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The tensor is part of a recorded graph (computed with gradients on; <c>Backward()</c> releases
    /// those), is a view (release the tensor it views), or does not hold pooled storage (a parameter or a
    /// tensor you created).
    /// </exception>
    public void Release()
    {
        if (IsReleased) return;
        if (_node is not null)
            Throw.InvalidOperation($"Release: this {_shape} tensor is the output of {_node.OperationName} in a recorded graph; Backward() gives its storage back. Compute it under NoGrad to release it yourself.");
        if (_base is not null)
            Throw.InvalidOperation($"Release: this {_shape} tensor is a view of a {_base._shape} tensor; release that tensor instead.");
        if (!_pooled)
            Throw.InvalidOperation($"Release: this {_shape} tensor holds storage of its own (a parameter, or a tensor created rather than computed), which the garbage collector takes back; only an operation's output can be released.");
        ReleaseStorage();
    }

    /// <summary>Gives pooled storage back. Views only mark themselves; the owner returns the array.</summary>
    internal void ReleaseStorage()
    {
        if (_released) return;
        _released = true;
        if (_base is null && _pooled)
        {
            BufferPool.Return(_buffer);
            _buffer = [];
        }
    }

    // ---- Autograd state. The engine lives in Dendrite.Autograd; these are the slots it uses. ----

    /// <summary>
    /// Whether gradients flow to this tensor. Settable on leaves (tensors not produced by an
    /// operation); operation outputs require a gradient when any input does.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (_node is not null && !value)
                Throw.InvalidOperation($"RequiresGrad can only be cleared on a leaf tensor; this {_shape} tensor is the output of {_node.OperationName}. Use Detach() to get a tensor outside the graph.");
            _requiresGrad = value;
        }
    }

    internal void MarkRequiresGrad() => _requiresGrad = true;

    /// <summary>True when no recorded operation produced this tensor (parameters, inputs, constants).</summary>
    public bool IsLeaf => _node is null;

    /// <summary>The name of the operation that produced this tensor, or null for a leaf.</summary>
    public string? OperationName => _node?.OperationName;

    /// <summary>
    /// d(loss)/d(this tensor), with this tensor's shape, accumulated by every <c>Backward()</c> since
    /// the last <see cref="ZeroGrad"/>; null before the first. Kept for leaves, and for intermediates
    /// only after <see cref="RetainGrad"/>.
    /// </summary>
    public Tensor? Grad
    {
        get
        {
            if (!_gradValid || _gradBuffer is null) return null;
            if (_gradView is null || !ReferenceEquals(_gradView._buffer, _gradBuffer))
                _gradView = new Tensor(_gradBuffer, _shape, pooled: false);
            return _gradView;
        }
    }

    /// <summary>Forgets the accumulated gradient (the next <c>Backward()</c> writes instead of adding); the buffer is kept for reuse.</summary>
    public void ZeroGrad() => _gradValid = false;

    /// <summary>Keeps this intermediate tensor's gradient after <c>Backward()</c> (as <c>retain_grad()</c> in PyTorch).</summary>
    public void RetainGrad() => _retainGrad = true;

    /// <summary>
    /// The gradient buffer to write d(loss)/d(this) into: contiguous, this tensor's element count.
    /// <paramref name="accumulate"/> tells whether it already holds a gradient to add to.
    /// </summary>
    internal Span<float> GradientTarget(out bool accumulate)
    {
        accumulate = _gradValid;
        if (_gradBuffer is null)
            _gradBuffer = _node is null ? new float[Count] : BufferPool.Rent(Count);
        _gradValid = true;
        return _gradBuffer.AsSpan(0, Count);
    }

    /// <summary>The accumulated gradient as a span (valid only while <see cref="_gradValid"/>).</summary>
    internal Span<float> GradientSpan => _gradBuffer.AsSpan(0, Count);

    /// <summary>Returns an intermediate's gradient buffer to the pool.</summary>
    internal void ReleaseGradient()
    {
        if (_gradBuffer is not null && _node is not null && !_retainGrad)
        {
            BufferPool.Return(_gradBuffer);
            _gradBuffer = null;
        }
        if (!_retainGrad && _node is not null) _gradValid = false;
    }
}
