using System.Text.Json.Nodes;
using Dendrite.Autograd;
using Dendrite.NN.Initializers;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN;

/// <summary>
/// The base of every layer and model: parameters and sub-modules registered by name when created
/// (no reflection), training/evaluation mode, freezing, and a state dictionary of named tensors
/// that saves, loads, and partially loads into another model by matching names.
/// </summary>
/// <remarks>
/// Subclasses create their parameters in the constructor with <see cref="AddParameter(string, Tensor)"/>,
/// their children with <see cref="AddModule{T}"/>, and implement <see cref="Forward"/>; they write no
/// backward code (autograd does). Names nest with dots: <c>encoder.0.weight</c>.
/// </remarks>
public abstract class Module
{
    private readonly List<KeyValuePair<string, Parameter>> _parameters = [];
    private readonly List<KeyValuePair<string, Module>> _children = [];
    private readonly List<KeyValuePair<string, Tensor>> _buffers = [];

    /// <summary>Computes the module's output from <paramref name="input"/>.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>
    /// Runs <paramref name="child"/> on <paramref name="input"/>. Containers call their children
    /// through this so that the model summary can show each child's output shape.
    /// </summary>
    protected static Tensor Run(Module child, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(child);
        Tensor output = child.Forward(input);
        SummaryRecorder.Current?.Note(child, output);
        return output;
    }

    /// <summary>
    /// Under NoGrad, where no graph holds them, gives the pooled storage of <paramref name="intermediates"/>
    /// back once <paramref name="result"/> has been computed from them, so that repeated inference reuses
    /// buffers instead of allocating large arrays; <paramref name="input"/> (the caller's) and anything
    /// <paramref name="result"/> is a view of are kept. With gradients on it does nothing.
    /// </summary>
    private protected static void ReleaseConsumed(Tensor input, Tensor result, params ReadOnlySpan<Tensor> intermediates)
    {
        if (GradMode.IsEnabled) return;
        foreach (Tensor intermediate in intermediates)
            if (!ReferenceEquals(intermediate, input)) intermediate.ReleaseUnlessNeeded(result);
    }

    /// <summary>
    /// Returns <paramref name="result"/>, computed from <paramref name="intermediate"/>, after giving the
    /// intermediate's storage back under NoGrad (<see cref="ReleaseConsumed"/>): for forward passes written
    /// as a chain of steps. <paramref name="input"/> is the caller's and is never given back.
    /// </summary>
    private protected static Tensor Consumed(Tensor input, Tensor intermediate, Tensor result)
    {
        ReleaseConsumed(input, result, intermediate);
        return result;
    }

    /// <summary>True in training mode (dropout active, batch statistics used); false after <see cref="Eval"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Sets training mode on this module and every descendant; returns this module.</summary>
    public Module Train(bool training = true)
    {
        IsTraining = training;
        foreach (var child in _children) child.Value.Train(training);
        return this;
    }

    /// <summary>Switches to evaluation mode (dropout off, running statistics used); returns this module.</summary>
    public Module Eval() => Train(false);

    /// <summary>A short description for summaries: the type and its main arguments, e.g. <c>Dense(784->500, relu)</c>.</summary>
    public virtual string Describe() => GetType().Name;

    /// <summary>The type name written to, and looked up from, the architecture JSON.</summary>
    public virtual string TypeName => GetType().Name;

    // ---- Registration ----

    /// <summary>Registers a parameter initialised from <paramref name="value"/> (copied) under <paramref name="name"/>.</summary>
    protected Parameter AddParameter(string name, Tensor value)
    {
        CheckName(name);
        var parameter = value as Parameter ?? new Parameter(value);
        parameter.Name = name;
        _parameters.Add(new(name, parameter));
        return parameter;
    }

    /// <summary>
    /// Registers a parameter of <paramref name="shape"/> filled by <paramref name="initializer"/>, whose
    /// fan-in and fan-out it is told (the summary shows the initialiser's name).
    /// </summary>
    protected Parameter AddParameter(string name, Shape shape, Initializer initializer, int fanIn, int fanOut, RandomGenerator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(initializer);
        var values = Tensor.Zeros(shape);
        initializer.Initialize(values, fanIn, fanOut, generator ?? RandomGenerator.Default);
        Parameter parameter = AddParameter(name, values);
        parameter.Initializer = initializer.Name;
        return parameter;
    }

    /// <summary>Registers a child module under <paramref name="name"/> and returns it.</summary>
    protected T AddModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckName(name);
        _children.Add(new(name, module));
        return module;
    }

    /// <summary>Registers state that is saved and loaded but not trained (running statistics).</summary>
    protected Tensor AddBuffer(string name, Tensor value)
    {
        CheckName(name);
        _buffers.Add(new(name, value));
        return value;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"{Describe()}: '{name}' is not a valid name for a parameter, buffer or module (non-empty, no dots).", nameof(name));
        if (_parameters.Any(p => p.Key == name) || _children.Any(c => c.Key == name) || _buffers.Any(b => b.Key == name))
            throw new ArgumentException($"{Describe()}: the name '{name}' is registered twice.", nameof(name));
    }

    // ---- Traversal ----

    /// <summary>The direct children, in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children.Select(c => (c.Key, c.Value));

    /// <summary>This module (name "") and every descendant with its dotted name, depth first.</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var child in _children)
            foreach (var item in child.Value.NamedModules(Join(prefix, child.Key)))
                yield return item;
    }

    /// <summary>Every parameter with its dotted name (<c>encoder.0.weight</c>), in registration order.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var parameter in _parameters) yield return (Join(prefix, parameter.Key), parameter.Value);
        foreach (var child in _children)
            foreach (var item in child.Value.NamedParameters(Join(prefix, child.Key)))
                yield return item;
    }

    /// <summary>Every parameter, in registration order.</summary>
    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Every buffer (non-trained state) with its dotted name.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "")
    {
        foreach (var buffer in _buffers) yield return (Join(prefix, buffer.Key), buffer.Value);
        foreach (var child in _children)
            foreach (var item in child.Value.NamedBuffers(Join(prefix, child.Key)))
                yield return item;
    }

    /// <summary>This module's own parameters (not its children's), by local name.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> OwnParameters() => _parameters.Select(p => (p.Key, p.Value));

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    /// <summary>Number of scalar parameters, trainable and frozen.</summary>
    public (long Trainable, long Frozen) ParameterCount()
    {
        long trainable = 0, frozen = 0;
        foreach (var p in Parameters())
            if (p.RequiresGrad) trainable += p.Count; else frozen += p.Count;
        return (trainable, frozen);
    }

    // ---- Gradients, freezing, regularisation ----

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    /// <summary>Stops training every parameter of this module and its descendants (transfer learning); returns this module.</summary>
    public Module Freeze()
    {
        foreach (var p in Parameters()) p.RequiresGrad = false;
        return this;
    }

    /// <summary>Trains every parameter again; returns this module.</summary>
    public Module Unfreeze()
    {
        foreach (var p in Parameters()) p.RequiresGrad = true;
        return this;
    }

    /// <summary>The sum of every parameter's regulariser penalty (a scalar to add to the loss), or null when no parameter has one.</summary>
    public Tensor? RegularizationLoss()
    {
        Tensor? total = null;
        foreach (var p in Parameters())
        {
            if (p.Regularizer is null || !p.RequiresGrad) continue;
            Tensor penalty = p.Regularizer.Penalty(p);
            total = total is null ? penalty : total + penalty;
        }
        return total;
    }

    /// <summary>Projects every constrained parameter back into its allowed set (called by optimisers after each step).</summary>
    public void ApplyConstraints()
    {
        using var _ = new NoGrad();
        foreach (var p in Parameters()) p.Constraint?.Apply(p);
    }

    // ---- State dictionary ----

    /// <summary>Every parameter and buffer by dotted name: what a checkpoint or a safetensors file holds.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in NamedParameters()) state[name] = p;
        foreach (var (name, b) in NamedBuffers()) state[name] = b;
        return state;
    }

    /// <summary>
    /// Copies values from <paramref name="state"/> into the parameters and buffers with the same
    /// names. With <paramref name="strict"/>, every name must match both ways; otherwise matching
    /// names are loaded and the rest reported (transfer learning). A shape mismatch always throws.
    /// </summary>
    public LoadReport LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = StateDict();
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new InvalidOperationException(
                $"LoadStateDict into {Describe()}: missing {Format(missing)}, unexpected {Format(unexpected)}. Pass strict: false to load only the matching names.");
        var loaded = new List<string>();
        foreach (var (name, target) in own)
        {
            if (!state.TryGetValue(name, out Tensor? source)) continue;
            if (source.Shape != target.Shape)
                throw new ShapeMismatchException($"LoadStateDict into {Describe()}: '{name}' has shape {target.Shape} in the model but {source.Shape} in the state.");
            target.CopyFrom(source);
            loaded.Add(name);
        }
        return new LoadReport(loaded, missing, unexpected);
    }

    private static string Format(List<string> names) => names.Count == 0 ? "none" : string.Join(", ", names.Take(10)) + (names.Count > 10 ? $" and {names.Count - 10} more" : "");

    // ---- Architecture ----

    /// <summary>
    /// Writes the constructor arguments that rebuild this module (besides its weights) into
    /// <paramref name="config"/>; <c>ModuleRegistry</c> reads them back. Built-in layers
    /// override it; a custom module that should load with <c>Model.Load</c> overrides it too and
    /// registers a factory.
    /// </summary>
    public virtual void WriteConfig(JsonObject config)
    {
        throw new NotSupportedException(
            $"{TypeName} does not describe its architecture, so Model.Save cannot write it. Override WriteConfig and register a factory with ModuleRegistry.Register, or save only the weights with SaveWeights.");
    }
}

/// <summary>What <see cref="Module.LoadStateDict"/> did: names loaded, names the model has but the state lacked, names the state has but the model lacks.</summary>
public sealed record LoadReport(IReadOnlyList<string> Loaded, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);
