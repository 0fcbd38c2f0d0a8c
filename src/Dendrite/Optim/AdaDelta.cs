using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// AdaDelta (Zeiler 2012, "ADADELTA: An Adaptive Learning Rate Method"), as
/// <c>torch.optim.Adadelta</c>: the step is the ratio of running RMS values of past updates and
/// of gradients, so it carries the parameters' units and needs no hand-tuned rate (α = 1).
/// </summary>
/// <remarks>
/// v ← ρ·v + (1 − ρ)·g²; Δ = √(u + ε) / √(v + ε) · g; u ← ρ·u + (1 − ρ)·Δ²; w ← w − α·Δ.
/// State per parameter: <c>square_avg</c> (v) and <c>acc_delta</c> (u).
/// </remarks>
public sealed class AdaDelta : FirstOrderOptimizer
{
    private const string SquareAverage = "square_avg";
    private const string AccumulatedDelta = "acc_delta";
    private static readonly string[] Buffers = [SquareAverage, AccumulatedDelta];

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters to train (at least one).</param>
    /// <param name="learningRate">α (≥ 0), a scale on Δ; Zeiler's method has 1.</param>
    /// <param name="rho">ρ in [0, 1), the decay of both running averages.</param>
    /// <param name="epsilon">ε (&gt; 0).</param>
    /// <param name="weightDecay">λ (≥ 0), added to the gradient as λ·w.</param>
    public AdaDelta(IEnumerable<Parameter> parameters, float learningRate = 1f, float rho = 0.9f, float epsilon = 1e-6f, float weightDecay = 0f)
        : base(parameters, learningRate, weightDecay)
    {
        Rho = CheckFraction(rho, nameof(rho));
        Epsilon = CheckPositive(epsilon, nameof(epsilon));
    }

    /// <summary>ρ.</summary>
    public float Rho { get; }

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> BufferNames => Buffers;

    /// <inheritdoc/>
    protected override string KnownOverrides() => "; known: rho, epsilon";

    /// <inheritdoc/>
    protected override void ValidateHyperParameter(string name, float value)
    {
        switch (name)
        {
            case "rho": CheckFraction(value, name); break;
            case "epsilon": CheckPositive(value, name); break;
            default: base.ValidateHyperParameter(name, value); break;
        }
    }

    /// <inheritdoc/>
    protected override void UpdateStep(Parameter parameter, ReadOnlySpan<float> gradient, ParameterState state, ParameterGroup group, float learningRate)
    {
        Update(parameter.Data, gradient, state.Buffer(SquareAverage), state.Buffer(AccumulatedDelta), learningRate,
            group.Get("rho", Rho), group.Get("epsilon", Epsilon));
    }

    /// <summary>The rule in one pass; v and u flushed of denormals.</summary>
    internal static void Update(Span<float> w, ReadOnlySpan<float> g, Span<float> v, Span<float> u, float learningRate, float rho, float epsilon)
    {
        int n = w.Length;
        ref float wRef = ref MemoryMarshal.GetReference(w);
        ref float gRef = ref MemoryMarshal.GetReference(g);
        ref float vRef = ref MemoryMarshal.GetReference(v);
        ref float uRef = ref MemoryMarshal.GetReference(u);
        float keep = 1f - rho, alpha = -learningRate;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vRho = Vector256.Create(rho);
            var vKeep = Vector256.Create(keep);
            var vEps = Vector256.Create(epsilon);
            var vAlpha = Vector256.Create(alpha);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.LoadUnsafe(ref gRef, (nuint)i);
                var vi = Denormals.Flush(Vector256.LoadUnsafe(ref vRef, (nuint)i) * vRho + vKeep * gi * gi);
                var ui = Vector256.LoadUnsafe(ref uRef, (nuint)i);
                var delta = Vector256.Sqrt(ui + vEps) / Vector256.Sqrt(vi + vEps) * gi;
                ui = Denormals.Flush(ui * vRho + vKeep * delta * delta);
                var wi = Vector256.LoadUnsafe(ref wRef, (nuint)i);
                (wi + vAlpha * delta).StoreUnsafe(ref wRef, (nuint)i);
                vi.StoreUnsafe(ref vRef, (nuint)i);
                ui.StoreUnsafe(ref uRef, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i];
            float vi = Denormals.Flush(v[i] * rho + keep * gi * gi);
            float delta = MathF.Sqrt(u[i] + epsilon) / MathF.Sqrt(vi + epsilon) * gi;
            u[i] = Denormals.Flush(u[i] * rho + keep * delta * delta);
            w[i] = w[i] + alpha * delta;
            v[i] = vi;
        }
    }
}
