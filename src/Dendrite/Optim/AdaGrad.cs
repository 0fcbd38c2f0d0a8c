using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// AdaGrad (Duchi, Hazan and Singer 2011), as <c>torch.optim.Adagrad</c>: each weight's step is
/// divided by the root of the sum of all its squared gradients, so often-updated weights slow down.
/// </summary>
/// <remarks>
/// α_t = α / (1 + (t − 1)·lr_decay); s ← s + g²; w ← w − α_t · g / (√s + ε).
/// State per parameter: <c>sum</c> (s), starting at <c>initialAccumulatorValue</c>.
/// </remarks>
public sealed class AdaGrad : FirstOrderOptimizer
{
    private const string Sum = "sum";
    private static readonly string[] Buffers = [Sum];

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters to train (at least one).</param>
    /// <param name="learningRate">α (≥ 0).</param>
    /// <param name="learningRateDecay">lr_decay (≥ 0).</param>
    /// <param name="weightDecay">λ (≥ 0), added to the gradient as λ·w.</param>
    /// <param name="initialAccumulatorValue">The starting value of s (≥ 0).</param>
    /// <param name="epsilon">ε (&gt; 0), keeps the division finite.</param>
    public AdaGrad(IEnumerable<Parameter> parameters, float learningRate = 0.01f, float learningRateDecay = 0f, float weightDecay = 0f,
        float initialAccumulatorValue = 0f, float epsilon = 1e-10f)
        : base(parameters, learningRate, weightDecay)
    {
        LearningRateDecay = CheckNonNegative(learningRateDecay, nameof(learningRateDecay));
        InitialAccumulatorValue = CheckNonNegative(initialAccumulatorValue, nameof(initialAccumulatorValue));
        Epsilon = CheckPositive(epsilon, nameof(epsilon));
    }

    /// <summary>lr_decay.</summary>
    public float LearningRateDecay { get; }

    /// <summary>The starting value of the sum of squares.</summary>
    public float InitialAccumulatorValue { get; }

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> BufferNames => Buffers;

    /// <inheritdoc/>
    protected override string KnownOverrides() => "; known: learningRateDecay, epsilon";

    /// <inheritdoc/>
    protected override void ValidateHyperParameter(string name, float value)
    {
        switch (name)
        {
            case "learningRateDecay": CheckNonNegative(value, name); break;
            case "epsilon": CheckPositive(value, name); break;
            default: base.ValidateHyperParameter(name, value); break;
        }
    }

    /// <inheritdoc/>
    protected override void UpdateStep(Parameter parameter, ReadOnlySpan<float> gradient, ParameterState state, ParameterGroup group, float learningRate)
    {
        float decay = group.Get("learningRateDecay", LearningRateDecay);
        float epsilon = group.Get("epsilon", Epsilon);
        float clr = (float)(learningRate / (1.0 + (state.Step - 1) * (double)decay));
        float[] sum = state.Buffer(Sum, InitialAccumulatorValue);
        Update(parameter.Data, gradient, sum, clr, epsilon);
    }

    /// <summary>s ← s + g²; w ← w − α_t·g/(√s + ε), one pass; s flushed of denormals.</summary>
    internal static void Update(Span<float> w, ReadOnlySpan<float> g, Span<float> s, float clr, float epsilon)
    {
        int n = w.Length;
        ref float wRef = ref MemoryMarshal.GetReference(w);
        ref float gRef = ref MemoryMarshal.GetReference(g);
        ref float sRef = ref MemoryMarshal.GetReference(s);
        float alpha = -clr;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vEps = Vector256.Create(epsilon);
            var vAlpha = Vector256.Create(alpha);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.LoadUnsafe(ref gRef, (nuint)i);
                var si = Denormals.Flush(Vector256.LoadUnsafe(ref sRef, (nuint)i) + gi * gi);
                var wi = Vector256.LoadUnsafe(ref wRef, (nuint)i);
                (wi + vAlpha * (gi / (Vector256.Sqrt(si) + vEps))).StoreUnsafe(ref wRef, (nuint)i);
                si.StoreUnsafe(ref sRef, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i];
            float si = Denormals.Flush(s[i] + gi * gi);
            w[i] = w[i] + alpha * (gi / (MathF.Sqrt(si) + epsilon));
            s[i] = si;
        }
    }
}
