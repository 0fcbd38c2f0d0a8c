using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// Resilient backpropagation (Riedmiller and Braun 1993), as <c>torch.optim.Rprop</c>: each weight
/// has its own step size, which grows while its gradient keeps its sign and shrinks when it flips;
/// only the sign of the gradient is used. A full-batch method at heart: mini-batch noise flips signs.
/// </summary>
/// <remarks>
/// With p = g·g_prev: Δ ← min(Δ·η⁺, Δ_max) if p &gt; 0; Δ ← max(Δ·η⁻, Δ_min) and g ← 0 if p &lt; 0
/// (no step after a sign change, the "Rprop⁻" variant PyTorch implements); Δ unchanged (clamped) if
/// p = 0. Then w ← w − sign(g)·Δ and g_prev ← g. Δ starts at the learning rate.
/// State per parameter: <c>prev</c> (g_prev) and <c>step_size</c> (Δ).
/// </remarks>
public sealed class Rprop : FirstOrderOptimizer
{
    private const string Previous = "prev";
    private const string StepSize = "step_size";
    private static readonly string[] Buffers = [Previous, StepSize];

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters to train (at least one).</param>
    /// <param name="learningRate">The initial step size Δ₀ (≥ 0).</param>
    /// <param name="etaMinus">η⁻ in (0, 1), the shrink factor after a sign change.</param>
    /// <param name="etaPlus">η⁺ &gt; 1, the growth factor while the sign holds.</param>
    /// <param name="minStep">Δ_min (&gt; 0).</param>
    /// <param name="maxStep">Δ_max (≥ Δ_min).</param>
    public Rprop(IEnumerable<Parameter> parameters, float learningRate = 0.01f, float etaMinus = 0.5f, float etaPlus = 1.2f,
        float minStep = 1e-6f, float maxStep = 50f)
        : base(parameters, learningRate, weightDecay: 0f)
    {
        if (!(etaMinus > 0f && etaMinus < 1f))
            throw new ArgumentOutOfRangeException(nameof(etaMinus), etaMinus, $"Rprop: etaMinus must be in (0, 1); got {F(etaMinus)}.");
        if (!(etaPlus > 1f) || !float.IsFinite(etaPlus))
            throw new ArgumentOutOfRangeException(nameof(etaPlus), etaPlus, $"Rprop: etaPlus must be finite and greater than 1; got {F(etaPlus)}.");
        CheckPositive(minStep, nameof(minStep));
        if (!(maxStep >= minStep) || !float.IsFinite(maxStep))
            throw new ArgumentOutOfRangeException(nameof(maxStep), maxStep, $"Rprop: maxStep must be finite and at least minStep ({F(minStep)}); got {F(maxStep)}.");
        EtaMinus = etaMinus;
        EtaPlus = etaPlus;
        MinStep = minStep;
        MaxStep = maxStep;
    }

    /// <summary>η⁻.</summary>
    public float EtaMinus { get; }

    /// <summary>η⁺.</summary>
    public float EtaPlus { get; }

    /// <summary>Δ_min.</summary>
    public float MinStep { get; }

    /// <summary>Δ_max.</summary>
    public float MaxStep { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> BufferNames => Buffers;

    /// <inheritdoc/>
    protected override void UpdateStep(Parameter parameter, ReadOnlySpan<float> gradient, ParameterState state, ParameterGroup group, float learningRate)
    {
        // Δ starts at the learning rate of the first step; later rates do not rescale it (as torch).
        Update(parameter.Data, gradient, state.Buffer(Previous), state.Buffer(StepSize, learningRate), EtaMinus, EtaPlus, MinStep, MaxStep);
    }

    /// <summary>The rule in one pass over the weights.</summary>
    internal static void Update(Span<float> w, ReadOnlySpan<float> g, Span<float> previous, Span<float> step,
        float etaMinus, float etaPlus, float minStep, float maxStep)
    {
        int n = w.Length;
        ref float wRef = ref MemoryMarshal.GetReference(w);
        ref float gRef = ref MemoryMarshal.GetReference(g);
        ref float pRef = ref MemoryMarshal.GetReference(previous);
        ref float sRef = ref MemoryMarshal.GetReference(step);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var zero = Vector256<float>.Zero;
            var one = Vector256<float>.One;
            var vMinus = Vector256.Create(etaMinus);
            var vPlus = Vector256.Create(etaPlus);
            var vMin = Vector256.Create(minStep);
            var vMax = Vector256.Create(maxStep);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.LoadUnsafe(ref gRef, (nuint)i);
                var product = gi * Vector256.LoadUnsafe(ref pRef, (nuint)i);
                var flipped = Vector256.LessThan(product, zero);
                var factor = Vector256.ConditionalSelect(Vector256.GreaterThan(product, zero), vPlus, Vector256.ConditionalSelect(flipped, vMinus, one));
                // The native min/max (minps/maxps): step sizes are positive and finite, so the NaN and
                // signed-zero fix-ups of the IEEE-754:2019 Min/Max would only cost instructions.
                var si = Vector256.MinNative(Vector256.MaxNative(Vector256.LoadUnsafe(ref sRef, (nuint)i) * factor, vMin), vMax);
                gi = Vector256.AndNot(gi, flipped);
                var sign = Vector256.ConditionalSelect(Vector256.GreaterThan(gi, zero), one,
                    Vector256.ConditionalSelect(Vector256.LessThan(gi, zero), -one, zero));
                var wi = Vector256.LoadUnsafe(ref wRef, (nuint)i);
                (wi - sign * si).StoreUnsafe(ref wRef, (nuint)i);
                si.StoreUnsafe(ref sRef, (nuint)i);
                gi.StoreUnsafe(ref pRef, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i];
            float product = gi * previous[i];
            float factor = product > 0f ? etaPlus : product < 0f ? etaMinus : 1f;
            float si = MathF.Min(MathF.Max(step[i] * factor, minStep), maxStep);
            if (product < 0f) gi = 0f;
            float sign = gi > 0f ? 1f : gi < 0f ? -1f : 0f;
            w[i] = w[i] - sign * si;
            step[i] = si;
            previous[i] = gi;
        }
    }
}
