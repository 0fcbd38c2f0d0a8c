using System.Globalization;
using Dendrite.NN;
using Dendrite.Optim.Schedules;
using Dendrite.Tensors;

namespace Dendrite.Optim;

/// <summary>
/// The base of every optimiser: the parameters in groups (each group may override the learning
/// rate and other hyper-parameters), the learning-rate schedule hook, constraints after the step,
/// and the state that a checkpoint saves and <see cref="LoadState"/> restores.
/// </summary>
/// <remarks>
/// Two families derive from it. <see cref="FirstOrderOptimizer"/> (SGD, Adam, RMSProp, ...) is
/// stepped once per batch after <c>loss.Backward()</c> with <see cref="Step()"/>, and each
/// subclass writes only its per-parameter update rule. <c>FullBatch.FullBatchOptimizer</c>
/// (conjugate gradient, BFGS, L-BFGS, Newton) works on the flat vector of all parameters and
/// needs <see cref="Step(Func{Tensor})"/> with a closure that zeroes the gradients, recomputes the
/// loss and calls <c>Backward()</c>, as <c>torch.optim.LBFGS</c> does.
/// </remarks>
public abstract class Optimizer
{
    private readonly List<ParameterGroup> _groups = [];
    private readonly List<Parameter> _parameters = [];
    private float _learningRate;

    /// <summary>Checks the learning rate and registers <paramref name="parameters"/> as the first group.</summary>
    /// <exception cref="ArgumentException">The parameter list is empty or repeats a parameter.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The learning rate is negative or not finite.</exception>
    protected Optimizer(IEnumerable<Parameter> parameters, float learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _learningRate = CheckLearningRate(learningRate, nameof(learningRate));
        var list = parameters as IReadOnlyCollection<Parameter> ?? [.. parameters];
        if (list.Count == 0)
            throw new ArgumentException($"{Name}: the parameter list is empty; pass the parameters to train, e.g. model.Parameters() of a model that has layers.", nameof(parameters));
        AddGroupCore(new ParameterGroup(list), nameof(parameters));
    }

    /// <summary>The optimiser's name as written in errors and checkpoints (its type name).</summary>
    public string Name => GetType().Name;

    /// <summary>
    /// The base learning rate α, used by every group without its own rate while no
    /// <see cref="LearningRateSchedule"/> is set.
    /// </summary>
    public float LearningRate
    {
        get => _learningRate;
        set => _learningRate = CheckLearningRate(value, nameof(value));
    }

    /// <summary>
    /// Where the learning rate comes from at each step, or null for the fixed <see cref="LearningRate"/>.
    /// The optimiser only reads the schedule's current rate; the training loop advances it. A group
    /// with its own rate follows the schedule's relative change (its rate × current / initial).
    /// </summary>
    public ILearningRateSchedule? LearningRateSchedule { get; set; }

    /// <summary>The groups, in the order added (the first holds the constructor's parameters).</summary>
    public IReadOnlyList<ParameterGroup> ParameterGroups => _groups;

    /// <summary>Every parameter, group after group: the numbering used by the saved state.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Number of completed <c>Step</c> calls.</summary>
    public long StepCount { get; protected set; }

    /// <summary>Adds a group of parameters with its own overrides (PyTorch's <c>add_param_group</c>).</summary>
    /// <exception cref="ArgumentException">A parameter already belongs to this optimiser, or an override names an unknown or invalid hyper-parameter.</exception>
    public virtual void AddParameterGroup(ParameterGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        AddGroupCore(group, nameof(group));
    }

    private void AddGroupCore(ParameterGroup group, string argumentName)
    {
        foreach (Parameter p in group.Parameters)
        {
            foreach (Parameter existing in _parameters)
                if (ReferenceEquals(existing, p))
                    throw new ArgumentException($"{Name}: parameter '{p.Name}' {p.Shape} appears twice; each parameter may belong to one group only.", argumentName);
        }
        foreach (var (name, value) in group.Overrides)
            ValidateHyperParameter(name, value);
        _groups.Add(group);
        _parameters.AddRange(group.Parameters);
        OnParametersAdded(group);
    }

    /// <summary>Called after a group is added (subclasses size their state here).</summary>
    protected virtual void OnParametersAdded(ParameterGroup group) { }

    /// <summary>
    /// Checks a group override: throws an <see cref="ArgumentException"/> naming the optimiser when
    /// <paramref name="name"/> is not one of its hyper-parameters or <paramref name="value"/> is out
    /// of range. The base knows none.
    /// </summary>
    protected virtual void ValidateHyperParameter(string name, float value) =>
        throw new ArgumentException($"{Name} has no hyper-parameter '{name}' to override in a group{KnownOverrides()}.", nameof(name));

    /// <summary>The names a group may override, for error messages (e.g. ", known: momentum, dampening").</summary>
    protected virtual string KnownOverrides() => "";

    /// <summary>The learning rate a group uses now: the schedule's or the base rate, or the group's own.</summary>
    public float GroupLearningRate(ParameterGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        ILearningRateSchedule? schedule = LearningRateSchedule;
        if (group.LearningRate is float own)
        {
            if (schedule is null || schedule.InitialLearningRate == 0f) return own;
            return (float)((double)own * schedule.CurrentLearningRate / schedule.InitialLearningRate);
        }
        return schedule?.CurrentLearningRate ?? _learningRate;
    }

    /// <summary>Clears the gradient of every parameter.</summary>
    public void ZeroGrad()
    {
        for (int i = 0; i < _parameters.Count; i++) _parameters[i].ZeroGrad();
    }

    /// <summary>Takes one step with the gradients already in the parameters (after <c>loss.Backward()</c>).</summary>
    public abstract void Step();

    /// <summary>
    /// Takes one step, calling <paramref name="closure"/> (which zeroes the gradients, computes the
    /// loss, calls <c>Backward()</c> and returns the loss) as often as the method needs; returns the
    /// loss before the step.
    /// </summary>
    public abstract float Step(Func<Tensor> closure);

    /// <summary>Projects a parameter back into its allowed set (its <see cref="Parameter.Constraint"/>), when it has one.</summary>
    protected static void ApplyConstraint(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        parameter.Constraint?.Apply(parameter);
    }

    // ---- Checks shared by the constructors; messages name the optimiser, the argument and the value ----

    /// <summary>Throws unless 0 ≤ <paramref name="value"/> &lt; ∞.</summary>
    protected float CheckLearningRate(float value, string argument) => CheckNonNegative(value, argument);

    /// <summary>Throws unless 0 ≤ <paramref name="value"/> &lt; ∞.</summary>
    protected float CheckNonNegative(float value, string argument)
    {
        if (!(value >= 0f) || !float.IsFinite(value))
            throw new ArgumentOutOfRangeException(argument, value, $"{Name}: {argument} must be finite and non-negative; got {F(value)}.");
        return value;
    }

    /// <summary>Throws unless 0 &lt; <paramref name="value"/> &lt; ∞.</summary>
    protected float CheckPositive(float value, string argument)
    {
        if (!(value > 0f) || !float.IsFinite(value))
            throw new ArgumentOutOfRangeException(argument, value, $"{Name}: {argument} must be finite and positive; got {F(value)}.");
        return value;
    }

    /// <summary>Throws unless 0 ≤ <paramref name="value"/> &lt; 1 (or ≤ 1 when <paramref name="allowOne"/>).</summary>
    protected float CheckFraction(float value, string argument, bool allowOne = false)
    {
        bool ok = value >= 0f && (allowOne ? value <= 1f : value < 1f);
        if (!ok)
            throw new ArgumentOutOfRangeException(argument, value, $"{Name}: {argument} must be in [0, 1{(allowOne ? "]" : ")")}; got {F(value)}.");
        return value;
    }

    /// <summary>Throws unless <paramref name="value"/> ≥ <paramref name="minimum"/>.</summary>
    protected int CheckAtLeast(int value, int minimum, string argument)
    {
        if (value < minimum)
            throw new ArgumentOutOfRangeException(argument, value, $"{Name}: {argument} must be at least {minimum}; got {value}.");
        return value;
    }

    private protected static string F(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    // ---- State ----

    /// <summary>
    /// Everything needed to continue training exactly where it stands: per-parameter buffers, step
    /// counts, learning rates, random state. Combine with the model's weights in a checkpoint.
    /// </summary>
    public OptimizerState GetState()
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [OptimizerState.OptimizerKey] = Name,
            ["step"] = OptimizerState.Format(StepCount),
            ["learning_rate"] = OptimizerState.Format(_learningRate),
            ["groups"] = OptimizerState.Format(_groups.Count),
            ["parameters"] = OptimizerState.Format(_parameters.Count),
        };
        for (int g = 0; g < _groups.Count; g++)
        {
            metadata[$"group.{g}.parameters"] = OptimizerState.Format(_groups[g].Parameters.Count);
            if (_groups[g].LearningRate is float rate) metadata[$"group.{g}.learning_rate"] = OptimizerState.Format(rate);
        }
        WriteState(tensors, metadata);
        return new OptimizerState(tensors, metadata);
    }

    /// <summary>
    /// Restores a state from <see cref="GetState"/> of the same kind of optimiser over parameters of
    /// the same shapes (a fresh optimiser of a freshly built model, typically); afterwards
    /// training continues bit for bit as it would have. Group learning rates are restored too.
    /// </summary>
    /// <exception cref="FormatException">The state belongs to another optimiser or lacks an entry.</exception>
    /// <exception cref="ShapeMismatchException">A buffer's size differs from its parameter's.</exception>
    public void LoadState(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.OptimizerName != Name)
            throw new FormatException($"{Name}.LoadState: the state was written by '{state.OptimizerName}', not {Name}; load it into a {state.OptimizerName}.");
        long groups = state.RequireLong(Name, "groups");
        long parameters = state.RequireLong(Name, "parameters");
        if (groups != _groups.Count || parameters != _parameters.Count)
            throw new FormatException($"{Name}.LoadState: the state has {groups} group(s) and {parameters} parameter(s), this optimiser {_groups.Count} and {_parameters.Count}; build the optimiser over the same parameters (and groups) as the one saved.");
        for (int g = 0; g < _groups.Count; g++)
        {
            long count = state.RequireLong(Name, $"group.{g}.parameters");
            if (count != _groups[g].Parameters.Count)
                throw new FormatException($"{Name}.LoadState: group {g} had {count} parameter(s) when saved, {_groups[g].Parameters.Count} here.");
        }
        ReadState(state);
        StepCount = state.RequireLong(Name, "step");
        _learningRate = state.RequireFloat(Name, "learning_rate");
        for (int g = 0; g < _groups.Count; g++)
            _groups[g].LearningRate = state.Metadata.ContainsKey($"group.{g}.learning_rate") ? state.RequireFloat(Name, $"group.{g}.learning_rate") : null;
    }

    /// <summary>Adds the subclass's state (buffers as tensors, scalars as round-trip strings).</summary>
    protected abstract void WriteState(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata);

    /// <summary>Reads the subclass's state back, checking every name and size (the counts are already checked).</summary>
    protected abstract void ReadState(OptimizerState state);
}
