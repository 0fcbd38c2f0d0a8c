using System.Globalization;
using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// A set of parameters that share hyper-parameters inside one optimiser (as a PyTorch
/// <c>param_group</c>): for example the transferred layers of a network with a tenth of the
/// learning rate of the new head. Anything not set here follows the optimiser's own value.
/// </summary>
/// <remarks>
/// <code>
/// var optimizer = new Sgd(head.Parameters(), learningRate: 0.1f, momentum: 0.9f);
/// optimizer.AddParameterGroup(new ParameterGroup(body.Parameters()) { LearningRate = 0.01f, ["momentum"] = 0.5f });
/// </code>
/// The effective rate of one parameter is the group's rate (or the optimiser's) times the
/// parameter's own <see cref="Parameter.LearningRateScale"/>. Overrides by name use the
/// optimiser's hyper-parameter names (<c>momentum</c>, <c>beta1</c>, <c>beta2</c>, <c>epsilon</c>,
/// ...); the optimiser checks them when the group is added.
/// </remarks>
public sealed class ParameterGroup
{
    private readonly List<Parameter> _parameters;
    private readonly List<KeyValuePair<string, float>> _overrides = [];
    private float? _learningRate;
    private float? _weightDecay;

    /// <summary>Creates a group of <paramref name="parameters"/> (in order; at least one).</summary>
    public ParameterGroup(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = [.. parameters];
        if (_parameters.Count == 0)
            throw new ArgumentException("ParameterGroup: the parameter list is empty; pass at least one parameter (model.Parameters() of a model with layers).", nameof(parameters));
        foreach (Parameter p in _parameters)
            if (p is null) throw new ArgumentException("ParameterGroup: the parameter list contains null.", nameof(parameters));
    }

    /// <summary>The parameters, in the order given.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>This group's learning rate; null (the default) follows the optimiser's.</summary>
    public float? LearningRate
    {
        get => _learningRate;
        set
        {
            if (value is float v && !(v >= 0f && float.IsFinite(v)))
                throw new ArgumentOutOfRangeException(nameof(value), v, $"ParameterGroup: the learning rate must be finite and non-negative; got {Format(v)}.");
            _learningRate = value;
        }
    }

    /// <summary>This group's weight decay λ; null (the default) follows the optimiser's (0 turns it off, e.g. for biases).</summary>
    public float? WeightDecay
    {
        get => _weightDecay;
        set
        {
            if (value is float v && !(v >= 0f && float.IsFinite(v)))
                throw new ArgumentOutOfRangeException(nameof(value), v, $"ParameterGroup: the weight decay must be finite and non-negative; got {Format(v)}.");
            _weightDecay = value;
        }
    }

    /// <summary>
    /// An optimiser-specific hyper-parameter override by its name (<c>momentum</c>, <c>beta1</c>, ...);
    /// reading a name that is not overridden throws (use <see cref="TryGet"/>).
    /// </summary>
    public float this[string name]
    {
        get => TryGet(name, out float value) ? value
            : throw new KeyNotFoundException($"ParameterGroup: '{name}' is not overridden in this group.");
        set
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            for (int i = 0; i < _overrides.Count; i++)
            {
                if (_overrides[i].Key == name)
                {
                    _overrides[i] = new(name, value);
                    return;
                }
            }
            _overrides.Add(new(name, value));
        }
    }

    /// <summary>The override named <paramref name="name"/>, when this group has one.</summary>
    public bool TryGet(string name, out float value)
    {
        // A handful of entries at most: a linear scan allocates nothing and beats hashing.
        for (int i = 0; i < _overrides.Count; i++)
        {
            if (ReferenceEquals(_overrides[i].Key, name) || _overrides[i].Key == name)
            {
                value = _overrides[i].Value;
                return true;
            }
        }
        value = 0f;
        return false;
    }

    /// <summary>The override named <paramref name="name"/>, or <paramref name="fallback"/> (the optimiser's value).</summary>
    public float Get(string name, float fallback) => TryGet(name, out float value) ? value : fallback;

    /// <summary>Every override, in the order set.</summary>
    public IReadOnlyList<KeyValuePair<string, float>> Overrides => _overrides;

    private static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
