using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// Stochastic gradient descent, with optional momentum, dampening and Nesterov momentum, in
/// PyTorch's form (<c>torch.optim.SGD</c>). Online, mini-batch or full-batch is a matter of how
/// many examples the gradient was computed on; the rule is the same.
/// </summary>
/// <remarks>
/// <para>Plain: w ← w − α·g.</para>
/// <para>With momentum β and dampening d (PyTorch's form): b ← β·b + (1 − d)·g (on the first
/// step b ← g); u = b, or u = g + β·b with Nesterov; w ← w − α·u.</para>
/// <para>The seeds write momentum as v ← β·v − α·g; w ← w + v. The two are the same trajectory
/// while α is constant (v = −α·b); they differ only when α changes between steps, where PyTorch's
/// form applies the new rate to the whole accumulated velocity. This class implements PyTorch's
/// form, so that trajectories and learning-rate schedules match libtorch.</para>
/// <para>Nesterov: the seeds state it with the gradient at the look-ahead point,
/// v ← β·v − α·∇C(w + β·v); w ← w + v. This class implements the equivalent reformulation
/// (Sutskever et al. 2013; PyTorch) that needs only the gradient at the current parameters,
/// u = g + β·b: its parameters are the seeds' look-ahead points w + β·v.</para>
/// <para>The seeds' dampened momentum, w ← w − α[(1 − η)·∇E + η·Δ_prev] with Δ the previous
/// bracket (0 at the start), is <see cref="Dampened"/>: momentum = dampening = η with a buffer
/// starting at 0 (<see cref="BufferStartsAtZero"/>) instead of PyTorch's first-step b = g.</para>
/// <para>State per parameter: <c>momentum_buffer</c> (b), when momentum is used.</para>
/// </remarks>
public sealed class Sgd : FirstOrderOptimizer
{
    private const string MomentumBuffer = "momentum_buffer";
    private static readonly string[] Buffers = [MomentumBuffer];
    private float _momentum;

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters to train (at least one).</param>
    /// <param name="learningRate">α (≥ 0).</param>
    /// <param name="momentum">β in [0, 1); 0 for plain SGD.</param>
    /// <param name="dampening">d in [0, 1]: the part of the gradient left out of the buffer.</param>
    /// <param name="weightDecay">λ (≥ 0), added to the gradient as λ·w.</param>
    /// <param name="nesterov">Use Nesterov momentum (needs momentum &gt; 0 and dampening 0).</param>
    public Sgd(IEnumerable<Parameter> parameters, float learningRate = 0.01f, float momentum = 0f, float dampening = 0f,
        float weightDecay = 0f, bool nesterov = false)
        : base(parameters, learningRate, weightDecay)
    {
        _momentum = CheckFraction(momentum, nameof(momentum));
        Dampening = CheckFraction(dampening, nameof(dampening), allowOne: true);
        if (nesterov && (momentum <= 0f || dampening != 0f))
            throw new ArgumentException($"Sgd: Nesterov momentum needs momentum > 0 and dampening 0; got momentum {F(momentum)}, dampening {F(dampening)}.", nameof(nesterov));
        Nesterov = nesterov;
    }

    /// <summary>
    /// The seeds' dampened momentum: w ← w − α[(1 − η)·∇E + η·Δ_prev], where Δ_prev is the previous
    /// step's bracket (0 before the first step).
    /// </summary>
    /// <param name="parameters">The parameters to train.</param>
    /// <param name="learningRate">α.</param>
    /// <param name="eta">η in [0, 1): the weight of the previous step.</param>
    public static Sgd Dampened(IEnumerable<Parameter> parameters, float learningRate, float eta) =>
        new(parameters, learningRate, momentum: eta, dampening: eta) { BufferStartsAtZero = true };

    /// <summary>β, the momentum (settable between steps, e.g. from a <c>MomentumSchedule</c>).</summary>
    public float Momentum
    {
        get => _momentum;
        set => _momentum = CheckFraction(value, nameof(Momentum));
    }

    /// <summary>d, the dampening.</summary>
    public float Dampening { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <summary>
    /// False (PyTorch): the buffer starts as the first gradient, b ← g. True (the seeds' dampened
    /// form): the buffer starts at 0, so the first step is b ← (1 − d)·g.
    /// </summary>
    public bool BufferStartsAtZero { get; init; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> BufferNames => Buffers;

    /// <inheritdoc/>
    protected override string KnownOverrides() => "; known: momentum, dampening";

    /// <inheritdoc/>
    protected override void ValidateHyperParameter(string name, float value)
    {
        switch (name)
        {
            case "momentum": CheckFraction(value, name); break;
            case "dampening": CheckFraction(value, name, allowOne: true); break;
            default: base.ValidateHyperParameter(name, value); break;
        }
    }

    /// <inheritdoc/>
    protected override void UpdateStep(Parameter parameter, ReadOnlySpan<float> gradient, ParameterState state, ParameterGroup group, float learningRate)
    {
        Span<float> w = parameter.Data;
        float momentum = group.Get("momentum", _momentum);
        if (momentum == 0f)
        {
            // w ← w − α·g
            TensorPrimitives.MultiplyAdd(gradient, -learningRate, w, w);
            return;
        }
        float dampening = group.Get("dampening", Dampening);
        float[] buffer = state.Buffer(MomentumBuffer, out bool created);
        if (created && !BufferStartsAtZero) gradient.CopyTo(buffer);
        bool accumulate = !created || BufferStartsAtZero;
        Update(w, gradient, buffer, learningRate, momentum, 1f - dampening, Nesterov, accumulate);
    }

    /// <summary>
    /// b ← β·b + (1 − d)·g when <paramref name="accumulate"/> (else b is kept as given);
    /// u = Nesterov ? g + β·b : b; w ← w − α·u. One pass; b is flushed of denormals.
    /// </summary>
    internal static void Update(Span<float> w, ReadOnlySpan<float> g, Span<float> b, float learningRate, float momentum,
        float oneMinusDampening, bool nesterov, bool accumulate)
    {
        int n = w.Length;
        ref float wRef = ref MemoryMarshal.GetReference(w);
        ref float gRef = ref MemoryMarshal.GetReference(g);
        ref float bRef = ref MemoryMarshal.GetReference(b);
        float alpha = -learningRate;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vBeta = Vector256.Create(momentum);
            var vKeep = Vector256.Create(oneMinusDampening);
            var vAlpha = Vector256.Create(alpha);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.LoadUnsafe(ref gRef, (nuint)i);
                var bi = Vector256.LoadUnsafe(ref bRef, (nuint)i);
                if (accumulate) bi = Denormals.Flush(vBeta * bi + vKeep * gi);
                var u = nesterov ? gi + vBeta * bi : bi;
                var wi = Vector256.LoadUnsafe(ref wRef, (nuint)i);
                (wi + vAlpha * u).StoreUnsafe(ref wRef, (nuint)i);
                bi.StoreUnsafe(ref bRef, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i];
            float bi = b[i];
            if (accumulate) bi = Denormals.Flush(momentum * bi + oneMinusDampening * gi);
            float u = nesterov ? gi + momentum * bi : bi;
            w[i] = w[i] + alpha * u;
            b[i] = bi;
        }
    }
}
