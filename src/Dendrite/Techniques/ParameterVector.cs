using Dendrite.NN;

namespace Dendrite.Techniques;

/// <summary>
/// A fixed list of parameters seen as one flat vector θ (parameter after parameter, each row-major),
/// for the techniques that reason about all weights at once: OBS, the Laplace approximation, ARD.
/// </summary>
public sealed class ParameterVector
{
    private readonly Parameter[] _parameters;
    private readonly int[] _offsets;

    /// <summary>Creates the view over <paramref name="parameters"/>, in order.</summary>
    public ParameterVector(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = [.. parameters];
        if (_parameters.Length == 0) throw new ArgumentException("ParameterVector: the parameter list is empty.", nameof(parameters));
        _offsets = new int[_parameters.Length + 1];
        for (int i = 0; i < _parameters.Length; i++) _offsets[i + 1] = checked(_offsets[i] + _parameters[i].Count);
    }

    /// <summary>The trainable parameters of <paramref name="model"/> (those that require a gradient).</summary>
    public static ParameterVector Trainable(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new ParameterVector(model.Parameters().Where(p => p.RequiresGrad));
    }

    /// <summary>The parameters, in vector order.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>P, the length of θ.</summary>
    public int Count => _offsets[^1];

    /// <summary>Where <paramref name="parameter"/>'s first element sits in θ.</summary>
    public int OffsetOf(Parameter parameter)
    {
        int index = Array.IndexOf(_parameters, parameter);
        if (index < 0) throw new ArgumentException($"ParameterVector: parameter '{parameter?.Name}' is not in this vector.", nameof(parameter));
        return _offsets[index];
    }

    /// <summary>The parameter holding θ[<paramref name="index"/>] and the element's index inside it.</summary>
    public (Parameter Parameter, int Element) Locate(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"ParameterVector: index {index} is outside [0, {Count}).");
        int p = Array.BinarySearch(_offsets, index);
        if (p < 0) p = ~p - 1;
        while (p + 1 < _offsets.Length && _offsets[p + 1] == index) p++; // skip empty parameters
        return (_parameters[p], index - _offsets[p]);
    }

    /// <summary>θ as doubles.</summary>
    public double[] GetValues()
    {
        var values = new double[Count];
        for (int i = 0; i < _parameters.Length; i++)
        {
            ReadOnlySpan<float> data = _parameters[i].Data;
            for (int j = 0; j < data.Length; j++) values[_offsets[i] + j] = data[j];
        }
        return values;
    }

    /// <summary>Writes θ back into the parameters (rounded to float32).</summary>
    public void SetValues(ReadOnlySpan<double> values)
    {
        if (values.Length != Count) throw new ArgumentException($"ParameterVector: got {values.Length} values for {Count} parameters.", nameof(values));
        for (int i = 0; i < _parameters.Length; i++)
        {
            Span<float> data = _parameters[i].Data;
            for (int j = 0; j < data.Length; j++) data[j] = (float)values[_offsets[i] + j];
        }
    }

    /// <summary>The accumulated gradients d(loss)/dθ as doubles (0 for a parameter with no gradient).</summary>
    public void GetGradients(Span<double> destination)
    {
        if (destination.Length != Count) throw new ArgumentException($"ParameterVector: the destination holds {destination.Length} values for {Count} parameters.", nameof(destination));
        for (int i = 0; i < _parameters.Length; i++)
        {
            Span<double> target = destination.Slice(_offsets[i], _parameters[i].Count);
            if (_parameters[i].Grad is not { } grad) { target.Clear(); continue; }
            ReadOnlySpan<float> g = grad.Data;
            for (int j = 0; j < g.Length; j++) target[j] = g[j];
        }
    }

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (Parameter p in _parameters) p.ZeroGrad();
    }
}
