using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// What an optimiser remembers about one parameter between steps: named buffers with one value
/// per element (Adam's <c>exp_avg</c>, SGD's <c>momentum_buffer</c>, ...), named scalars (NAdam's
/// <c>mu_product</c>) and the number of steps taken. Buffers are allocated once, on first use, and
/// reused by every later step.
/// </summary>
public sealed class ParameterState
{
    private readonly List<KeyValuePair<string, float[]>> _buffers = new(3);
    private readonly List<KeyValuePair<string, double>> _scalars = [];

    internal ParameterState(Parameter parameter) => Parameter = parameter;

    /// <summary>The parameter this state belongs to.</summary>
    public Parameter Parameter { get; }

    /// <summary>Number of updates applied to this parameter (1 during its first update).</summary>
    public long Step { get; internal set; }

    /// <summary>The buffers by name, in creation order (what a checkpoint stores).</summary>
    public IReadOnlyList<KeyValuePair<string, float[]>> Buffers => _buffers;

    /// <summary>The buffer named <paramref name="name"/>, when it exists.</summary>
    public bool TryGetBuffer(string name, out float[] buffer)
    {
        for (int i = 0; i < _buffers.Count; i++)
        {
            if (ReferenceEquals(_buffers[i].Key, name) || _buffers[i].Key == name)
            {
                buffer = _buffers[i].Value;
                return true;
            }
        }
        buffer = [];
        return false;
    }

    /// <summary>
    /// The buffer named <paramref name="name"/> (one float per element of the parameter),
    /// created filled with <paramref name="initialValue"/> on first use; <paramref name="created"/>
    /// tells whether this call created it.
    /// </summary>
    public float[] Buffer(string name, out bool created, float initialValue = 0f)
    {
        if (TryGetBuffer(name, out float[] buffer))
        {
            created = false;
            return buffer;
        }
        buffer = new float[Parameter.Count];
        if (initialValue != 0f) buffer.AsSpan().Fill(initialValue);
        _buffers.Add(new(name, buffer));
        created = true;
        return buffer;
    }

    /// <summary>The buffer named <paramref name="name"/>, created filled with <paramref name="initialValue"/> on first use.</summary>
    public float[] Buffer(string name, float initialValue = 0f) => Buffer(name, out _, initialValue);

    /// <summary>The scalars by name, in creation order.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Scalars => _scalars;

    /// <summary>The scalar named <paramref name="name"/>, or <paramref name="initialValue"/> before it is first set.</summary>
    public double Scalar(string name, double initialValue = 0)
    {
        for (int i = 0; i < _scalars.Count; i++)
            if (ReferenceEquals(_scalars[i].Key, name) || _scalars[i].Key == name) return _scalars[i].Value;
        return initialValue;
    }

    /// <summary>Sets the scalar named <paramref name="name"/>.</summary>
    public void SetScalar(string name, double value)
    {
        for (int i = 0; i < _scalars.Count; i++)
        {
            if (ReferenceEquals(_scalars[i].Key, name) || _scalars[i].Key == name)
            {
                _scalars[i] = new(name, value);
                return;
            }
        }
        _scalars.Add(new(name, value));
    }

    /// <summary>Adds a buffer read from a checkpoint.</summary>
    internal void Restore(string name, float[] values)
    {
        for (int i = 0; i < _buffers.Count; i++)
        {
            if (_buffers[i].Key == name)
            {
                _buffers[i] = new(name, values);
                return;
            }
        }
        _buffers.Add(new(name, values));
    }

    internal void Clear()
    {
        _buffers.Clear();
        _scalars.Clear();
        Step = 0;
    }
}
