using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// RMSProp (Tieleman and Hinton 2012), optionally centred (Graves 2013) and with momentum, as
/// <c>torch.optim.RMSprop</c>: each weight's step is divided by a running root-mean-square of its
/// recent gradients.
/// </summary>
/// <remarks>
/// <para>v ← ρ·v + (1 − ρ)·g². Centred: m ← m + (1 − ρ)·(g − m) and d = √max(v − m², 0) + ε; otherwise
/// d = √v + ε. (v ≥ m² in exact arithmetic; when the gradient hardly varies, rounding can make
/// v − m² slightly negative, where PyTorch's square root gives NaN; the clamp keeps it at 0.)</para>
/// <para>Without momentum: w ← w − α·g/d. With momentum μ: b ← μ·b + g/d; w ← w − α·b.</para>
/// <para>ρ is PyTorch's <c>alpha</c> (default 0.99; Keras and Hinton's lecture use 0.9). State per
/// parameter: <c>square_avg</c> (v), <c>grad_avg</c> (m, centred only), <c>momentum_buffer</c> (b,
/// with momentum only).</para>
/// </remarks>
public sealed class RmsProp : FirstOrderOptimizer
{
    private const string SquareAverage = "square_avg";
    private const string GradientAverage = "grad_avg";
    private const string MomentumBuffer = "momentum_buffer";
    private static readonly string[] Buffers = [SquareAverage, GradientAverage, MomentumBuffer];

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters to train (at least one).</param>
    /// <param name="learningRate">α (≥ 0).</param>
    /// <param name="rho">ρ in [0, 1), the decay of the running averages (PyTorch's alpha).</param>
    /// <param name="epsilon">ε (&gt; 0).</param>
    /// <param name="weightDecay">λ (≥ 0), added to the gradient as λ·w.</param>
    /// <param name="momentum">μ in [0, 1).</param>
    /// <param name="centered">Divide by the running standard deviation instead of the root mean square.</param>
    public RmsProp(IEnumerable<Parameter> parameters, float learningRate = 0.01f, float rho = 0.99f, float epsilon = 1e-8f,
        float weightDecay = 0f, float momentum = 0f, bool centered = false)
        : base(parameters, learningRate, weightDecay)
    {
        Rho = CheckFraction(rho, nameof(rho));
        Epsilon = CheckPositive(epsilon, nameof(epsilon));
        Momentum = CheckFraction(momentum, nameof(momentum));
        Centered = centered;
    }

    /// <summary>ρ.</summary>
    public float Rho { get; }

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <summary>μ.</summary>
    public float Momentum { get; }

    /// <summary>Whether the gradient's running mean is subtracted.</summary>
    public bool Centered { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> BufferNames => Buffers;

    /// <inheritdoc/>
    protected override string KnownOverrides() => "; known: rho, epsilon, momentum";

    /// <inheritdoc/>
    protected override void ValidateHyperParameter(string name, float value)
    {
        switch (name)
        {
            case "rho": case "momentum": CheckFraction(value, name); break;
            case "epsilon": CheckPositive(value, name); break;
            default: base.ValidateHyperParameter(name, value); break;
        }
    }

    /// <inheritdoc/>
    protected override void UpdateStep(Parameter parameter, ReadOnlySpan<float> gradient, ParameterState state, ParameterGroup group, float learningRate)
    {
        float rho = group.Get("rho", Rho);
        float epsilon = group.Get("epsilon", Epsilon);
        float momentum = group.Get("momentum", Momentum);
        float[] squareAverage = state.Buffer(SquareAverage);
        Span<float> gradientAverage = Centered ? state.Buffer(GradientAverage) : default;
        Span<float> buffer = momentum > 0f ? state.Buffer(MomentumBuffer) : default;
        Update(parameter.Data, gradient, squareAverage, gradientAverage, buffer, learningRate, rho, epsilon, momentum);
    }

    /// <summary>The whole rule in one pass (m and b are empty when unused); state flushed of denormals.</summary>
    internal static void Update(Span<float> w, ReadOnlySpan<float> g, Span<float> v, Span<float> m, Span<float> b,
        float learningRate, float rho, float epsilon, float momentum)
    {
        int n = w.Length;
        bool centered = !m.IsEmpty, useMomentum = !b.IsEmpty;
        ref float wRef = ref MemoryMarshal.GetReference(w);
        ref float gRef = ref MemoryMarshal.GetReference(g);
        ref float vRef = ref MemoryMarshal.GetReference(v);
        ref float mRef = ref MemoryMarshal.GetReference(m);
        ref float bRef = ref MemoryMarshal.GetReference(b);
        float keep = 1f - rho, alpha = -learningRate;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vRho = Vector256.Create(rho);
            var vKeep = Vector256.Create(keep);
            var vEps = Vector256.Create(epsilon);
            var vMomentum = Vector256.Create(momentum);
            var vAlpha = Vector256.Create(alpha);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.LoadUnsafe(ref gRef, (nuint)i);
                var vi = Denormals.Flush(Vector256.LoadUnsafe(ref vRef, (nuint)i) * vRho + vKeep * gi * gi);
                vi.StoreUnsafe(ref vRef, (nuint)i);
                Vector256<float> d;
                if (centered)
                {
                    var mi = Vector256.LoadUnsafe(ref mRef, (nuint)i);
                    mi = Denormals.Flush(mi + vKeep * (gi - mi));
                    mi.StoreUnsafe(ref mRef, (nuint)i);
                    d = Vector256.Sqrt(Vector256.MaxNative(vi - mi * mi, Vector256<float>.Zero)) + vEps;
                }
                else
                {
                    d = Vector256.Sqrt(vi) + vEps;
                }
                var wi = Vector256.LoadUnsafe(ref wRef, (nuint)i);
                if (useMomentum)
                {
                    var bi = Denormals.Flush(Vector256.LoadUnsafe(ref bRef, (nuint)i) * vMomentum + gi / d);
                    bi.StoreUnsafe(ref bRef, (nuint)i);
                    (wi + vAlpha * bi).StoreUnsafe(ref wRef, (nuint)i);
                }
                else
                {
                    (wi + vAlpha * (gi / d)).StoreUnsafe(ref wRef, (nuint)i);
                }
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i];
            float vi = Denormals.Flush(v[i] * rho + keep * gi * gi);
            v[i] = vi;
            float d;
            if (centered)
            {
                float mi = Denormals.Flush(m[i] + keep * (gi - m[i]));
                m[i] = mi;
                d = MathF.Sqrt(MathF.Max(vi - mi * mi, 0f)) + epsilon;
            }
            else
            {
                d = MathF.Sqrt(vi) + epsilon;
            }
            if (useMomentum)
            {
                float bi = Denormals.Flush(b[i] * momentum + gi / d);
                b[i] = bi;
                w[i] = w[i] + alpha * bi;
            }
            else
            {
                w[i] = w[i] + alpha * (gi / d);
            }
        }
    }
}
