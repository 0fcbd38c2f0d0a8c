using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// NAdam (Dozat 2016, "Incorporating Nesterov Momentum into Adam"), as <c>torch.optim.NAdam</c>:
/// Adam whose first-moment step looks one step ahead, with a momentum warm-up schedule.
/// </summary>
/// <remarks>
/// <para>μ_t = β1·(1 − ½·0.96^(t·ψ)), ψ the momentum decay; Π_t = Π_{t−1}·μ_t (Π₀ = 1).
/// m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²; d = √(v / (1 − β2^t)) + ε;
/// w ← w − α·(1 − μ_t)/(1 − Π_t) · g/d − α·μ_{t+1}/(1 − Π_t·μ_{t+1}) · m/d.</para>
/// <para>State per parameter: <c>exp_avg</c> (m), <c>exp_avg_sq</c> (v) and the scalar
/// <c>mu_product</c> (Π). m and v are flushed of denormals.</para>
/// </remarks>
public sealed class NAdam : FirstOrderOptimizer
{
    private const string FirstMoment = "exp_avg";
    private const string SecondMoment = "exp_avg_sq";
    private const string MuProduct = "mu_product";
    private static readonly string[] Buffers = [FirstMoment, SecondMoment];
    private static readonly string[] Scalars = [MuProduct];

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters to train (at least one).</param>
    /// <param name="learningRate">α (≥ 0).</param>
    /// <param name="beta1">β1 in [0, 1).</param>
    /// <param name="beta2">β2 in [0, 1).</param>
    /// <param name="epsilon">ε (&gt; 0).</param>
    /// <param name="weightDecay">λ (≥ 0), added to the gradient as λ·w.</param>
    /// <param name="momentumDecay">ψ (≥ 0), the speed of the momentum warm-up.</param>
    public NAdam(IEnumerable<Parameter> parameters, float learningRate = 2e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float epsilon = 1e-8f, float weightDecay = 0f, float momentumDecay = 4e-3f)
        : base(parameters, learningRate, weightDecay)
    {
        Beta1 = CheckFraction(beta1, nameof(beta1));
        Beta2 = CheckFraction(beta2, nameof(beta2));
        Epsilon = CheckPositive(epsilon, nameof(epsilon));
        MomentumDecay = CheckNonNegative(momentumDecay, nameof(momentumDecay));
    }

    /// <summary>β1.</summary>
    public float Beta1 { get; }

    /// <summary>β2.</summary>
    public float Beta2 { get; }

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <summary>ψ.</summary>
    public float MomentumDecay { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> BufferNames => Buffers;

    /// <inheritdoc/>
    protected override IReadOnlyList<string> ScalarNames => Scalars;

    /// <inheritdoc/>
    protected override string KnownOverrides() => "; known: beta1, beta2, epsilon";

    /// <inheritdoc/>
    protected override void ValidateHyperParameter(string name, float value)
    {
        switch (name)
        {
            case "beta1": case "beta2": CheckFraction(value, name); break;
            case "epsilon": CheckPositive(value, name); break;
            default: base.ValidateHyperParameter(name, value); break;
        }
    }

    /// <inheritdoc/>
    protected override void UpdateStep(Parameter parameter, ReadOnlySpan<float> gradient, ParameterState state, ParameterGroup group, float learningRate)
    {
        double beta1 = group.Get("beta1", Beta1), beta2 = group.Get("beta2", Beta2);
        long t = state.Step;
        double mu = beta1 * (1.0 - 0.5 * Math.Pow(0.96, t * (double)MomentumDecay));
        double muNext = beta1 * (1.0 - 0.5 * Math.Pow(0.96, (t + 1) * (double)MomentumDecay));
        double muProduct = state.Scalar(MuProduct, 1.0) * mu;
        state.SetScalar(MuProduct, muProduct);
        float gradientScale = (float)(-learningRate * (1.0 - mu) / (1.0 - muProduct));
        float momentScale = (float)(-learningRate * muNext / (1.0 - muProduct * muNext));
        float correction2Sqrt = (float)Math.Sqrt(1.0 - Math.Pow(beta2, t));
        Update(parameter.Data, gradient, state.Buffer(FirstMoment), state.Buffer(SecondMoment), (float)beta1, (float)beta2,
            group.Get("epsilon", Epsilon), correction2Sqrt, gradientScale, momentScale);
    }

    /// <summary>m, v and w in one pass; m and v flushed of denormals.</summary>
    internal static void Update(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, float beta1, float beta2,
        float epsilon, float correction2Sqrt, float gradientScale, float momentScale)
    {
        int n = w.Length;
        ref float wRef = ref MemoryMarshal.GetReference(w);
        ref float gRef = ref MemoryMarshal.GetReference(g);
        ref float mRef = ref MemoryMarshal.GetReference(m);
        ref float vRef = ref MemoryMarshal.GetReference(v);
        float keep1 = 1f - beta1, keep2 = 1f - beta2;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vKeep1 = Vector256.Create(keep1);
            var vBeta2 = Vector256.Create(beta2);
            var vKeep2 = Vector256.Create(keep2);
            var vEps = Vector256.Create(epsilon);
            var vCorrection = Vector256.Create(correction2Sqrt);
            var vGradientScale = Vector256.Create(gradientScale);
            var vMomentScale = Vector256.Create(momentScale);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.LoadUnsafe(ref gRef, (nuint)i);
                var mi = Vector256.LoadUnsafe(ref mRef, (nuint)i);
                mi = Denormals.Flush(mi + vKeep1 * (gi - mi));
                var vi = Denormals.Flush(Vector256.LoadUnsafe(ref vRef, (nuint)i) * vBeta2 + vKeep2 * gi * gi);
                var denominator = Vector256.Sqrt(vi) / vCorrection + vEps;
                var wi = Vector256.LoadUnsafe(ref wRef, (nuint)i);
                wi += vGradientScale * (gi / denominator);
                wi += vMomentScale * (mi / denominator);
                wi.StoreUnsafe(ref wRef, (nuint)i);
                mi.StoreUnsafe(ref mRef, (nuint)i);
                vi.StoreUnsafe(ref vRef, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i];
            float mi = Denormals.Flush(m[i] + keep1 * (gi - m[i]));
            float vi = Denormals.Flush(v[i] * beta2 + keep2 * gi * gi);
            float denominator = MathF.Sqrt(vi) / correction2Sqrt + epsilon;
            float wi = w[i] + gradientScale * (gi / denominator);
            w[i] = wi + momentScale * (mi / denominator);
            m[i] = mi;
            v[i] = vi;
        }
    }
}
