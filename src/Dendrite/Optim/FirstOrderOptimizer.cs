using Dendrite.NN;
using Dendrite.Tensors;

namespace Dendrite.Optim;

/// <summary>
/// The base of the per-parameter optimisers (SGD, AdaGrad, RMSProp, AdaDelta, Adam, AdamW, Rprop,
/// delta-bar-delta). It owns the pipeline; a subclass writes only <see cref="UpdateStep"/>, its
/// update rule for one parameter, and states the formula in its doc comment.
/// </summary>
/// <remarks>
/// <para>One <see cref="Step()"/>, in order:</para>
/// <list type="number">
/// <item>Parameters that are frozen (<c>RequiresGrad</c> false) or have no gradient are skipped.</item>
/// <item>Clipping by value: g ← clamp(g, −c, c) (<see cref="ClipValue"/>).</item>
/// <item>Clipping by global norm over all parameters: g ← g·min(1, n/(‖g‖ + 10⁻⁶)) (<see cref="ClipNorm"/>).</item>
/// <item>Gradient noise: g ← g + N(0, η/(1 + t)^γ) (<see cref="GradientNoise"/>).</item>
/// <item>Weight decay λ: coupled, g ← g + λw (PyTorch's <c>weight_decay</c>, L2 through the
/// gradient); or decoupled, w ← w·(1 − αλ) before the update (<see cref="DecoupledWeightDecay"/>,
/// Loshchilov and Hutter's AdamW).</item>
/// <item>The update rule, with α = the group's rate × the parameter's <c>LearningRateScale</c>.</item>
/// <item>The parameter's constraint (e.g. max-norm), if any.</item>
/// </list>
/// <para>The parameter's gradient itself is never modified: clipping, noise and decay are applied
/// to a scratch copy, allocated once. State buffers are allocated on a parameter's first update
/// and reused, so after the first step a step allocates nothing.</para>
/// </remarks>
public abstract class FirstOrderOptimizer : Optimizer
{
    private readonly List<ParameterState> _states = [];
    private float[] _scratch = [];
    private float _weightDecay;
    private float? _clipNorm;
    private float? _clipValue;

    /// <summary>Registers the parameters and checks the base hyper-parameters.</summary>
    protected FirstOrderOptimizer(IEnumerable<Parameter> parameters, float learningRate, float weightDecay)
        : base(parameters, learningRate)
    {
        _weightDecay = CheckNonNegative(weightDecay, nameof(weightDecay));
    }

    /// <summary>Weight decay λ for every group without its own (0 for none).</summary>
    public float WeightDecay
    {
        get => _weightDecay;
        set => _weightDecay = CheckNonNegative(value, nameof(value));
    }

    /// <summary>
    /// False (the default): λw is added to the gradient, as L2 regularisation and PyTorch's
    /// <c>weight_decay</c>. True: w ← w·(1 − αλ) before the update, independent of the adaptive
    /// scaling (decoupled weight decay, as <see cref="AdamW"/>).
    /// </summary>
    public bool DecoupledWeightDecay { get; init; }

    /// <summary>When set, the gradients are rescaled together so that their global L2 norm is at most this (&gt; 0).</summary>
    public float? ClipNorm
    {
        get => _clipNorm;
        set => _clipNorm = value is float v ? CheckPositive(v, nameof(ClipNorm)) : null;
    }

    /// <summary>When set, every gradient element is clamped into [−value, value] (&gt; 0).</summary>
    public float? ClipValue
    {
        get => _clipValue;
        set => _clipValue = value is float v ? CheckPositive(v, nameof(ClipValue)) : null;
    }

    /// <summary>Annealed Gaussian noise added to the gradients, or null for none.</summary>
    public GradientNoise? GradientNoise { get; set; }

    /// <summary>The global gradient norm measured by the last step (after value clipping, before norm clipping); NaN when <see cref="ClipNorm"/> is not set.</summary>
    public float LastGradientNorm { get; private set; } = float.NaN;

    /// <summary>The state of <paramref name="parameter"/> (buffers and step count).</summary>
    public ParameterState State(Parameter parameter)
    {
        for (int i = 0; i < _states.Count; i++)
            if (ReferenceEquals(_states[i].Parameter, parameter)) return _states[i];
        throw new ArgumentException($"{Name}: parameter '{parameter?.Name}' is not one of this optimiser's parameters.", nameof(parameter));
    }

    /// <inheritdoc/>
    protected override void OnParametersAdded(ParameterGroup group)
    {
        foreach (Parameter p in group.Parameters)
        {
            _states.Add(new ParameterState(p));
            if (!p.IsContiguous)
                throw new ArgumentException($"{Name}: parameter '{p.Name}' {p.Shape} is not contiguous; optimisers update contiguous storage.", nameof(group));
        }
    }

    /// <summary>
    /// The update rule for one parameter: change <paramref name="parameter"/>'s values (its
    /// <c>Data</c>) and <paramref name="state"/>'s buffers from <paramref name="gradient"/>, and touch
    /// nothing else.
    /// </summary>
    /// <param name="parameter">The parameter to update, contiguous.</param>
    /// <param name="gradient">The gradient after clipping, noise and coupled weight decay; one value per element.</param>
    /// <param name="state">This parameter's buffers; <see cref="ParameterState.Step"/> is already incremented (1 on the first update).</param>
    /// <param name="group">The parameter's group, for hyper-parameter overrides (<see cref="ParameterGroup.Get"/>).</param>
    /// <param name="learningRate">α for this parameter: the group's current rate × the parameter's <c>LearningRateScale</c>.</param>
    protected abstract void UpdateStep(Parameter parameter, ReadOnlySpan<float> gradient, ParameterState state, ParameterGroup group, float learningRate);

    /// <summary>The names of the buffers this optimiser keeps per parameter (checked when a state is loaded).</summary>
    protected abstract IReadOnlyList<string> BufferNames { get; }

    /// <summary>The names of the scalars this optimiser keeps per parameter (none by default).</summary>
    protected virtual IReadOnlyList<string> ScalarNames => [];

    /// <inheritdoc/>
    public override float Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        Tensor loss = closure();
        float value = loss.Item();
        Step();
        return value;
    }

    /// <inheritdoc/>
    public override void Step()
    {
        float clipScale = 1f;
        if (_clipNorm is float maxNorm)
        {
            float norm = GlobalGradientNorm();
            LastGradientNorm = norm;
            clipScale = GradientClipping.ClipScale(norm, maxNorm);
        }
        float noiseDeviation = GradientNoise?.StandardDeviation(StepCount) ?? 0f;

        // Indexed loops: foreach over the IReadOnlyList interfaces would allocate an enumerator per step.
        int index = 0;
        IReadOnlyList<ParameterGroup> groups = ParameterGroups;
        for (int g = 0; g < groups.Count; g++)
        {
            ParameterGroup group = groups[g];
            float groupRate = GroupLearningRate(group);
            float weightDecay = group.WeightDecay ?? _weightDecay;
            IReadOnlyList<Parameter> parameters = group.Parameters;
            for (int i = 0; i < parameters.Count; i++, index++)
            {
                Parameter p = parameters[i];
                if (!p.RequiresGrad || p.Grad is not Tensor grad) continue;
                float learningRate = groupRate * p.LearningRateScale;
                ReadOnlySpan<float> gradient = grad.Data;

                bool coupledDecay = weightDecay != 0f && !DecoupledWeightDecay;
                if (_clipValue is not null || clipScale != 1f || noiseDeviation != 0f || coupledDecay)
                    gradient = Transform(p, gradient, clipScale, noiseDeviation, coupledDecay ? weightDecay : 0f);
                if (weightDecay != 0f && DecoupledWeightDecay)
                {
                    Span<float> w = p.Data;
                    TensorPrimitives.Multiply(w, (float)(1.0 - (double)learningRate * weightDecay), w);
                }

                ParameterState state = _states[index];
                state.Step++;
                UpdateStep(p, gradient, state, group, learningRate);
                ApplyConstraint(p);
            }
        }
        StepCount++;
    }

    /// <summary>Clipping, noise and coupled decay into the scratch buffer (the parameter's gradient stays as it was).</summary>
    private ReadOnlySpan<float> Transform(Parameter p, ReadOnlySpan<float> gradient, float clipScale, float noiseDeviation, float weightDecay)
    {
        if (_scratch.Length < gradient.Length) _scratch = new float[Math.Max(gradient.Length, MaxParameterCount())];
        Span<float> g = _scratch.AsSpan(0, gradient.Length);
        if (_clipValue is float c) TensorPrimitives.Clamp(gradient, -c, c, g);
        else gradient.CopyTo(g);
        if (clipScale != 1f) TensorPrimitives.Multiply(g, clipScale, g);
        if (noiseDeviation != 0f) GradientNoise!.AddTo(g, noiseDeviation);
        if (weightDecay != 0f) TensorPrimitives.MultiplyAdd(p.Data, weightDecay, g, g);
        return g;
    }

    private int MaxParameterCount()
    {
        int max = 0;
        foreach (Parameter p in Parameters) max = Math.Max(max, p.Count);
        return max;
    }

    /// <summary>‖g‖ over the parameters that will be updated, after value clipping.</summary>
    private float GlobalGradientNorm()
    {
        double sumOfSquares = 0;
        IReadOnlyList<Parameter> parameters = Parameters;
        for (int i = 0; i < parameters.Count; i++)
        {
            Parameter p = parameters[i];
            if (!p.RequiresGrad || p.Grad is not Tensor grad) continue;
            ReadOnlySpan<float> gradient = grad.Data;
            if (_clipValue is float c)
            {
                if (_scratch.Length < gradient.Length) _scratch = new float[Math.Max(gradient.Length, MaxParameterCount())];
                Span<float> clamped = _scratch.AsSpan(0, gradient.Length);
                TensorPrimitives.Clamp(gradient, -c, c, clamped);
                sumOfSquares += GradientClipping.SumOfSquares(clamped);
            }
            else
            {
                sumOfSquares += GradientClipping.SumOfSquares(gradient);
            }
        }
        return (float)Math.Sqrt(sumOfSquares);
    }

    // ---- State ----

    /// <inheritdoc/>
    protected override void WriteState(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata)
    {
        for (int i = 0; i < _states.Count; i++)
        {
            ParameterState state = _states[i];
            if (state.Step == 0 && state.Buffers.Count == 0) continue;
            metadata[$"state.{i}.step"] = OptimizerState.Format(state.Step);
            foreach (var (name, buffer) in state.Buffers)
                tensors[$"state.{i}.{name}"] = Tensor.FromArray(buffer, state.Parameter.Shape);
            foreach (var (name, value) in state.Scalars)
                metadata[$"state.{i}.{name}"] = OptimizerState.Format(value);
        }
        if (GradientNoise is not null)
        {
            RandomGeneratorState rng = GradientNoise.Generator.GetState();
            metadata["noise.rng"] = string.Join(',', rng.S0, rng.S1, rng.S2, rng.S3, rng.HasSpareNormal ? 1 : 0, OptimizerState.Format(rng.SpareNormal));
        }
    }

    /// <inheritdoc/>
    protected override void ReadState(OptimizerState state)
    {
        // Check everything before changing anything, so a bad state leaves the optimiser as it was.
        var restored = new List<(int Index, long Step, List<(string, float[])> Buffers, List<(string, double)> Scalars)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < _states.Count; i++)
        {
            string stepKey = $"state.{i}.step";
            if (!state.Metadata.ContainsKey(stepKey)) continue;
            long step = state.RequireLong(Name, stepKey);
            var buffers = new List<(string, float[])>();
            Parameter p = _states[i].Parameter;
            foreach (string name in BufferNames)
            {
                string key = $"state.{i}.{name}";
                if (!state.Tensors.ContainsKey(key)) continue;
                Tensor tensor = state.RequireTensor(Name, key, p.Count);
                if (tensor.Shape != p.Shape)
                    throw new ShapeMismatchException($"{Name}.LoadState: '{key}' has shape {tensor.Shape} but parameter {i} ('{p.Name}') has shape {p.Shape}.");
                buffers.Add((name, tensor.ToArray()));
                seen.Add(key);
            }
            var scalars = new List<(string, double)>();
            foreach (string name in ScalarNames)
            {
                string key = $"state.{i}.{name}";
                if (state.Metadata.ContainsKey(key)) scalars.Add((name, state.RequireDouble(Name, key)));
            }
            restored.Add((i, step, buffers, scalars));
        }
        foreach (string key in state.Tensors.Keys)
        {
            if (!seen.Contains(key))
                throw new FormatException($"{Name}.LoadState: unexpected tensor '{key}'; {Name} keeps {string.Join(", ", BufferNames)} per parameter, for parameters 0..{_states.Count - 1}.");
        }
        RandomGeneratorState? rng = null;
        if (GradientNoise is not null)
        {
            string text = state.Require(Name, "noise.rng");
            string[] parts = text.Split(',');
            if (parts.Length != 6) throw new FormatException($"{Name}.LoadState: 'noise.rng' should hold 6 comma-separated values; got '{text}'.");
            rng = new RandomGeneratorState(ulong.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), ulong.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture),
                ulong.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture), ulong.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture),
                parts[4] == "1", OptimizerState.ParseFloat(Name, "noise.rng", parts[5]));
        }

        foreach (ParameterState s in _states) s.Clear();
        foreach (var (index, step, buffers, scalars) in restored)
        {
            _states[index].Step = step;
            foreach (var (name, values) in buffers) _states[index].Restore(name, values);
            foreach (var (name, value) in scalars) _states[index].SetScalar(name, value);
        }
        if (rng is RandomGeneratorState r) GradientNoise!.Generator.SetState(r);
    }
}
