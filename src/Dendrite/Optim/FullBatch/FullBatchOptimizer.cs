using Dendrite.NN;
using Dendrite.Tensors;

namespace Dendrite.Optim.FullBatch;

/// <summary>
/// The base of the full-batch methods (conjugate gradient, BFGS, L-BFGS, Newton): they see all
/// parameters as one flat vector x (the parameters' elements one after another, in order) and
/// call a closure that recomputes the loss and its gradient, as <c>torch.optim.LBFGS</c> does.
/// </summary>
/// <remarks>
/// <para>The closure must zero the gradients, compute the loss on the whole training set (or a
/// fixed batch), call <c>Backward()</c> and return the loss:</para>
/// <code>
/// float loss = optimizer.Step(() => { model.ZeroGrad(); var l = lossFn.Compute(model.Forward(x), y); l.Backward(); return l; });
/// </code>
/// <para>A parameter that is frozen or got no gradient counts as a zero gradient. These methods
/// take one group only (PyTorch's LBFGS has the same limit); per-parameter learning-rate scales do
/// not apply. Constraints are applied after each step.</para>
/// </remarks>
public abstract class FullBatchOptimizer : Optimizer
{
    private readonly Parameter[] _flatParameters;

    /// <summary>Registers the parameters (one group) and sizes the flat vector.</summary>
    protected FullBatchOptimizer(IEnumerable<Parameter> parameters, float learningRate) : base(parameters, learningRate)
    {
        _flatParameters = [.. Parameters];
        long count = 0;
        foreach (Parameter p in _flatParameters)
        {
            if (!p.IsContiguous)
                throw new ArgumentException($"{Name}: parameter '{p.Name}' {p.Shape} is not contiguous.", nameof(parameters));
            count += p.Count;
        }
        if (count > Array.MaxLength)
            throw new ArgumentException($"{Name}: {count} parameters do not fit in one flat vector.", nameof(parameters));
        ParameterCount = (int)count;
    }

    /// <summary>n, the number of scalar parameters (the length of the flat vector).</summary>
    public int ParameterCount { get; }

    /// <summary>Closure calls (loss and gradient evaluations) over all steps so far.</summary>
    public long Evaluations { get; protected set; }

    /// <summary>Full-batch methods have one group: this always throws.</summary>
    public override void AddParameterGroup(ParameterGroup group) =>
        throw new NotSupportedException($"{Name} works on the flat vector of all its parameters and supports one parameter group only (as torch.optim.LBFGS).");

    /// <summary>Always throws: a full-batch method needs <see cref="Optimizer.Step(Func{Tensor})"/> with a closure.</summary>
    public override void Step() =>
        throw new InvalidOperationException($"{Name} is a full-batch method: call Step(closure) with a closure that zeroes the gradients, recomputes the loss, calls Backward() and returns the loss (as torch.optim.LBFGS).");

    /// <summary>The learning rate now (the schedule's, when one is set).</summary>
    protected float CurrentLearningRate => GroupLearningRate(ParameterGroups[0]);

    /// <summary>Calls the closure once: returns the loss and writes the flat gradient into <paramref name="gradient"/>.</summary>
    protected float Evaluate(Func<Tensor> closure, Span<float> gradient)
    {
        ArgumentNullException.ThrowIfNull(closure);
        Tensor loss = closure() ?? throw new InvalidOperationException($"{Name}: the closure returned null; it must return the loss tensor.");
        if (loss.Count != 1)
            throw new InvalidOperationException($"{Name}: the closure returned a {loss.Shape} tensor; it must return the scalar loss (after calling Backward() on it).");
        float value = loss.Item();
        Evaluations++;
        GatherGradient(gradient);
        return value;
    }

    /// <summary>Copies all parameters into <paramref name="x"/> (length n).</summary>
    protected void GatherParameters(Span<float> x)
    {
        int offset = 0;
        foreach (Parameter p in _flatParameters)
        {
            p.Data.CopyTo(x.Slice(offset, p.Count));
            offset += p.Count;
        }
    }

    /// <summary>Copies <paramref name="x"/> (length n) into the parameters.</summary>
    protected void ScatterParameters(ReadOnlySpan<float> x)
    {
        int offset = 0;
        foreach (Parameter p in _flatParameters)
        {
            x.Slice(offset, p.Count).CopyTo(p.Data);
            offset += p.Count;
        }
    }

    /// <summary>x ← x + t·d on the parameters themselves (PyTorch's <c>_add_grad</c>).</summary>
    protected void AddToParameters(float step, ReadOnlySpan<float> direction)
    {
        int offset = 0;
        foreach (Parameter p in _flatParameters)
        {
            Span<float> w = p.Data;
            TensorPrimitives.MultiplyAdd(direction.Slice(offset, p.Count), step, w, w);
            offset += p.Count;
        }
    }

    /// <summary>Copies every parameter's gradient into <paramref name="gradient"/> (zeros for frozen parameters and those without one).</summary>
    protected void GatherGradient(Span<float> gradient)
    {
        int offset = 0;
        foreach (Parameter p in _flatParameters)
        {
            Span<float> target = gradient.Slice(offset, p.Count);
            if (p.RequiresGrad && p.Grad is Tensor grad) grad.Data.CopyTo(target);
            else target.Clear();
            offset += p.Count;
        }
    }

    /// <summary>The parameter holding element <paramref name="index"/> of the flat vector, and the element's offset in it.</summary>
    protected (Parameter Parameter, int Offset) Locate(int index)
    {
        foreach (Parameter p in _flatParameters)
        {
            if (index < p.Count) return (p, index);
            index -= p.Count;
        }
        throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name}: index past the {ParameterCount} parameters.");
    }

    /// <summary>Applies every parameter's constraint.</summary>
    protected void ApplyConstraints()
    {
        foreach (Parameter p in _flatParameters) ApplyConstraint(p);
    }

    /// <summary>A line search over φ(t) = loss(x + t·d) for the current parameters x, through the closure.</summary>
    /// <param name="closure">The loss closure.</param>
    /// <param name="direction">d, length n.</param>
    /// <returns>An objective for <see cref="LineSearch"/>: it moves the parameters to x + t·d, evaluates, and moves them back to x.</returns>
    protected LineSearch.Objective DirectionalObjective(Func<Tensor> closure, float[] direction)
    {
        var origin = new float[ParameterCount];
        GatherParameters(origin);
        return (step, gradient) =>
        {
            AddToParameters((float)step, direction);
            float loss = Evaluate(closure, gradient);
            ScatterParameters(origin);
            return loss;
        };
    }

    // ---- Flat-vector arithmetic shared by the methods ----

    /// <summary>Σ aᵢbᵢ, accumulated in double.</summary>
    protected internal static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }

    /// <summary>max |aᵢ|.</summary>
    protected internal static float MaxAbs(ReadOnlySpan<float> a) => a.IsEmpty ? 0f : MathF.Abs(TensorPrimitives.MaxMagnitude(a));

    /// <summary>Σ |aᵢ|, accumulated in double.</summary>
    protected internal static double SumAbs(ReadOnlySpan<float> a)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += Math.Abs(a[i]);
        return sum;
    }

    /// <summary>Writes a float vector as a tensor of shape [n].</summary>
    protected static Tensor Vector(ReadOnlySpan<float> values) => Tensor.FromArray(values);

    /// <summary>Reads a flat vector of length <paramref name="count"/> from the state.</summary>
    protected float[] ReadVector(OptimizerState state, string key, int count) => state.RequireTensor(Name, key, count).ToArray();
}
