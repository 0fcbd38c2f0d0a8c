using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// Delta-bar-delta (Jacobs 1988, "Increased rates of convergence through learning rate
/// adaptation"): every weight has its own learning rate, increased by a constant while its
/// gradient agrees in sign with an exponential average of its past gradients, and cut by a
/// fraction when they disagree.
/// </summary>
/// <remarks>
/// <para>With δ the gradient and δ̄ its running average, per weight and step:</para>
/// <para>ε ← ε + κ if δ̄·δ &gt; 0; ε ← ε·(1 − φ) if δ̄·δ &lt; 0; ε unchanged otherwise;
/// then w ← w − ε·δ and δ̄ ← (1 − θ)·δ + θ·δ̄.</para>
/// <para>The rate is adapted before it is used (Jacobs's w(t+1) = w(t) − ε(t+1)·δ(t)), δ̄ starts
/// at 0 (so the first step uses the initial rate) and every ε starts at the learning rate. The
/// additive increase and multiplicative decrease keep rates from exploding while letting them
/// collapse quickly after an overshoot. State per parameter: <c>rate</c> (ε) and
/// <c>delta_bar</c> (δ̄), flushed of denormals.</para>
/// </remarks>
public sealed class DeltaBarDelta : FirstOrderOptimizer
{
    private const string Rate = "rate";
    private const string DeltaBar = "delta_bar";
    private static readonly string[] Buffers = [Rate, DeltaBar];

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters to train (at least one).</param>
    /// <param name="learningRate">The initial rate ε₀ of every weight (≥ 0).</param>
    /// <param name="kappa">κ (≥ 0), the additive increase.</param>
    /// <param name="phi">φ in [0, 1), the fraction cut on a sign change.</param>
    /// <param name="theta">θ in [0, 1), the weight of the past in δ̄.</param>
    /// <param name="weightDecay">λ (≥ 0), added to the gradient as λ·w.</param>
    public DeltaBarDelta(IEnumerable<Parameter> parameters, float learningRate = 0.01f, float kappa = 1e-3f, float phi = 0.1f,
        float theta = 0.7f, float weightDecay = 0f)
        : base(parameters, learningRate, weightDecay)
    {
        Kappa = CheckNonNegative(kappa, nameof(kappa));
        Phi = CheckFraction(phi, nameof(phi));
        Theta = CheckFraction(theta, nameof(theta));
    }

    /// <summary>κ.</summary>
    public float Kappa { get; }

    /// <summary>φ.</summary>
    public float Phi { get; }

    /// <summary>θ.</summary>
    public float Theta { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> BufferNames => Buffers;

    /// <inheritdoc/>
    protected override string KnownOverrides() => "; known: kappa, phi, theta";

    /// <inheritdoc/>
    protected override void ValidateHyperParameter(string name, float value)
    {
        switch (name)
        {
            case "kappa": CheckNonNegative(value, name); break;
            case "phi": case "theta": CheckFraction(value, name); break;
            default: base.ValidateHyperParameter(name, value); break;
        }
    }

    /// <inheritdoc/>
    protected override void UpdateStep(Parameter parameter, ReadOnlySpan<float> gradient, ParameterState state, ParameterGroup group, float learningRate)
    {
        // ε starts at the learning rate of the first step; from then on it adapts by itself.
        Update(parameter.Data, gradient, state.Buffer(Rate, learningRate), state.Buffer(DeltaBar),
            group.Get("kappa", Kappa), group.Get("phi", Phi), group.Get("theta", Theta));
    }

    /// <summary>The rule in one pass; ε and δ̄ flushed of denormals.</summary>
    internal static void Update(Span<float> w, ReadOnlySpan<float> g, Span<float> rate, Span<float> deltaBar, float kappa, float phi, float theta)
    {
        int n = w.Length;
        ref float wRef = ref MemoryMarshal.GetReference(w);
        ref float gRef = ref MemoryMarshal.GetReference(g);
        ref float rRef = ref MemoryMarshal.GetReference(rate);
        ref float dRef = ref MemoryMarshal.GetReference(deltaBar);
        float cut = 1f - phi, fresh = 1f - theta;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var zero = Vector256<float>.Zero;
            var vKappa = Vector256.Create(kappa);
            var vCut = Vector256.Create(cut);
            var vFresh = Vector256.Create(fresh);
            var vTheta = Vector256.Create(theta);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.LoadUnsafe(ref gRef, (nuint)i);
                var di = Vector256.LoadUnsafe(ref dRef, (nuint)i);
                var ri = Vector256.LoadUnsafe(ref rRef, (nuint)i);
                var agreement = di * gi;
                ri = Vector256.ConditionalSelect(Vector256.GreaterThan(agreement, zero), ri + vKappa,
                    Vector256.ConditionalSelect(Vector256.LessThan(agreement, zero), ri * vCut, ri));
                ri = Denormals.Flush(ri);
                var wi = Vector256.LoadUnsafe(ref wRef, (nuint)i);
                (wi - ri * gi).StoreUnsafe(ref wRef, (nuint)i);
                Denormals.Flush(vFresh * gi + vTheta * di).StoreUnsafe(ref dRef, (nuint)i);
                ri.StoreUnsafe(ref rRef, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i];
            float di = deltaBar[i];
            float agreement = di * gi;
            float ri = agreement > 0f ? rate[i] + kappa : agreement < 0f ? rate[i] * cut : rate[i];
            ri = Denormals.Flush(ri);
            w[i] = w[i] - ri * gi;
            deltaBar[i] = Denormals.Flush(fresh * gi + theta * di);
            rate[i] = ri;
        }
    }
}
