using Dendrite.Tensors;

namespace Dendrite.Autograd;

/// <summary>
/// One recorded operation in the autograd graph: its inputs, whatever it saved, and the backward
/// rule that turns d(loss)/d(output) into d(loss)/d(input) for each input. Subclasses live beside
/// their forward in <c>Dendrite.Ops</c>.
/// </summary>
internal abstract class Node : IGradientNode
{
    /// <summary>First input (every node has at least one).</summary>
    public Tensor Input0 = null!;

    /// <summary>Second input, for binary operations.</summary>
    public Tensor? Input1;

    /// <summary>Third input, for ternary operations.</summary>
    public Tensor? Input2;

    public abstract string OperationName { get; }

    public virtual int InputCount => Input2 is not null ? 3 : Input1 is not null ? 2 : 1;

    public virtual Tensor GetInput(int index) => index switch
    {
        0 => Input0,
        1 => Input1!,
        _ => Input2!,
    };

    public abstract void Backward(Tensor output);

    public virtual void Release()
    {
        Input0 = null!;
        Input1 = null;
        Input2 = null;
    }

    /// <summary>True when the gradient should flow into <paramref name="input"/>.</summary>
    protected static bool Wants(Tensor? input) => input is not null && input.RequiresGrad;

    /// <summary>Adds <paramref name="gradient"/> (contiguous, the input's element count) into the input's gradient.</summary>
    protected static void Accumulate(Tensor input, ReadOnlySpan<float> gradient)
    {
        Span<float> target = input.GradientTarget(out bool accumulate);
        if (accumulate) TensorPrimitives.Add(target, gradient, target);
        else gradient.CopyTo(target);
    }

    /// <summary>Adds <paramref name="value"/> to every element of the input's gradient.</summary>
    protected static void AccumulateConstant(Tensor input, float value)
    {
        Span<float> target = input.GradientTarget(out bool accumulate);
        if (accumulate) TensorPrimitives.Add(target, value, target);
        else target.Fill(value);
    }
}

/// <summary>A node type whose instances are reused: after the backward pass a node goes back to a per-thread pool, so recording a step allocates no node objects after warm-up.</summary>
internal abstract class Node<TSelf> : Node where TSelf : Node<TSelf>, new()
{
    private const int MaximumPooled = 256;

    [ThreadStatic] private static Stack<TSelf>? _pool;

    /// <summary>A node ready to be filled, from the pool when one is free.</summary>
    public static TSelf Rent()
    {
        var pool = _pool;
        return pool is { Count: > 0 } ? pool.Pop() : new TSelf();
    }

    public override void Release()
    {
        base.Release();
        ClearState();
        var pool = _pool ??= new Stack<TSelf>();
        if (pool.Count < MaximumPooled) pool.Push((TSelf)this);
    }

    /// <summary>Drops what the subclass saved (tensors it owns go back to the buffer pool here).</summary>
    protected virtual void ClearState() { }
}

/// <summary>
/// A writable destination for one input's gradient: the gradient buffer itself when it is empty,
/// otherwise a pooled scratch buffer that <see cref="Commit"/> adds in. Lets a backward rule write
/// its result once without caring whether gradients accumulate.
/// </summary>
internal ref struct GradientWriter
{
    private readonly Span<float> _target;
    private readonly float[]? _scratch;

    /// <summary>Where the rule writes d(loss)/d(input), contiguous, the input's element count.</summary>
    public readonly Span<float> Destination;

    public GradientWriter(Tensor input)
    {
        _target = input.GradientTarget(out bool accumulate);
        if (accumulate)
        {
            _scratch = BufferPool.Rent(_target.Length);
            Destination = _scratch.AsSpan(0, _target.Length);
        }
        else
        {
            _scratch = null;
            Destination = _target;
        }
    }

    /// <summary>Adds the scratch buffer into the gradient when accumulating, and returns it to the pool.</summary>
    public readonly void Commit()
    {
        if (_scratch is null) return;
        TensorPrimitives.Add(_target, Destination, _target);
        BufferPool.Return(_scratch);
    }
}
