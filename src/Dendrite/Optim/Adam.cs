using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Dendrite.Kernels;
using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// Adam (Kingma and Ba 2015) with bias correction and the AMSGrad option (Reddi et al. 2018), as
/// <c>torch.optim.Adam</c>: per-weight steps from running estimates of the gradient's first and
/// second moments.
/// </summary>
/// <remarks>
/// <para>m ← β1·m + (1 − β1)·g (computed as m + (1 − β1)·(g − m), PyTorch's lerp);
/// v ← β2·v + (1 − β2)·g²; with AMSGrad v̂ ← max(v̂, v), else v̂ = v;
/// w ← w − α/(1 − β1^t) · m / (√v̂ / √(1 − β2^t) + ε).</para>
/// <para>That is θ ← θ − α·m̂/(√v̂ + ε) with m̂ = m/(1 − β1^t) and v̂ = v/(1 − β2^t), ε added
/// after the correction as PyTorch does. m, v (and v̂) and the update are one fused pass per
/// parameter; m and v are flushed of denormals. Weight decay here is coupled (added to the
/// gradient); <see cref="AdamW"/> decouples it. State per parameter: <c>exp_avg</c> (m),
/// <c>exp_avg_sq</c> (v), <c>max_exp_avg_sq</c> (v̂, AMSGrad only).</para>
/// </remarks>
public class Adam : FirstOrderOptimizer
{
    private const string FirstMoment = "exp_avg";
    private const string SecondMoment = "exp_avg_sq";
    private const string MaxSecondMoment = "max_exp_avg_sq";
    private static readonly string[] Buffers = [FirstMoment, SecondMoment, MaxSecondMoment];

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters to train (at least one).</param>
    /// <param name="learningRate">α (≥ 0).</param>
    /// <param name="beta1">β1 in [0, 1), the decay of the first moment.</param>
    /// <param name="beta2">β2 in [0, 1), the decay of the second moment.</param>
    /// <param name="epsilon">ε (&gt; 0).</param>
    /// <param name="weightDecay">λ (≥ 0), added to the gradient as λ·w (coupled; see <see cref="AdamW"/>).</param>
    /// <param name="amsgrad">Use the running maximum of v (AMSGrad).</param>
    public Adam(IEnumerable<Parameter> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float epsilon = 1e-8f, float weightDecay = 0f, bool amsgrad = false)
        : base(parameters, learningRate, weightDecay)
    {
        Beta1 = CheckFraction(beta1, nameof(beta1));
        Beta2 = CheckFraction(beta2, nameof(beta2));
        Epsilon = CheckPositive(epsilon, nameof(epsilon));
        Amsgrad = amsgrad;
    }

    /// <summary>β1.</summary>
    public float Beta1 { get; }

    /// <summary>β2.</summary>
    public float Beta2 { get; }

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <summary>Whether AMSGrad's running maximum of v is used.</summary>
    public bool Amsgrad { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> BufferNames => Buffers;

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
        float beta1 = group.Get("beta1", Beta1);
        float beta2 = group.Get("beta2", Beta2);
        float epsilon = group.Get("epsilon", Epsilon);
        // The bias corrections in double, as PyTorch computes them in Python floats.
        double biasCorrection1 = 1.0 - Math.Pow(beta1, state.Step);
        double biasCorrection2 = 1.0 - Math.Pow(beta2, state.Step);
        float stepSize = (float)(learningRate / biasCorrection1);
        float correction2Sqrt = (float)Math.Sqrt(biasCorrection2);
        Span<float> maxSecond = Amsgrad ? state.Buffer(MaxSecondMoment) : default;
        Span<float> w = parameter.Data;
        Span<float> m = state.Buffer(FirstMoment), v = state.Buffer(SecondMoment);
        if (w.Length < 2 * ParallelChunk)
        {
            Update(w, gradient, m, v, maxSecond, stepSize, beta1, beta2, epsilon, correction2Sqrt);
            return;
        }
        // A large parameter is updated in fixed chunks shared by the GEMM's threads. Every element's
        // update is independent of the others, so the result is the same bits on any number of threads.
        unsafe
        {
            fixed (float* pw = w)
            fixed (float* pg = gradient)
            fixed (float* pm = m)
            fixed (float* pv = v)
            fixed (float* px = maxSecond)
            {
                var work = _parallelUpdate ??= new ParallelUpdate();
                work.Set(pw, pg, pm, pv, Amsgrad ? px : null, w.Length, stepSize, beta1, beta2, epsilon, correction2Sqrt);
                Gemm.RunParallel(work, (w.Length + ParallelChunk - 1) / ParallelChunk);
                work.Clear();
            }
        }
    }

    /// <summary>Elements per task of a parallel update: 64 KB of each of w, g, m and v, so a task is tens of microseconds.</summary>
    private const int ParallelChunk = 16384;

    private ParallelUpdate? _parallelUpdate;

    /// <summary>One parameter's fused update cut into <see cref="ParallelChunk"/>-element tasks; the pointers are pinned by the caller for the call.</summary>
    private sealed unsafe class ParallelUpdate : ChunkJob
    {
        private float* _w, _g, _m, _v, _vMax;
        private int _count;
        private float _stepSize, _beta1, _beta2, _epsilon, _correction2Sqrt;

        public void Set(float* w, float* g, float* m, float* v, float* vMax, int count,
            float stepSize, float beta1, float beta2, float epsilon, float correction2Sqrt)
        {
            _w = w;
            _g = g;
            _m = m;
            _v = v;
            _vMax = vMax;
            _count = count;
            (_stepSize, _beta1, _beta2, _epsilon, _correction2Sqrt) = (stepSize, beta1, beta2, epsilon, correction2Sqrt);
        }

        public void Clear()
        {
            _w = _g = _m = _v = _vMax = null;
        }

        public override void RunChunk(int task)
        {
            int start = task * ParallelChunk;
            int length = Math.Min(ParallelChunk, _count - start);
            Update(new Span<float>(_w + start, length), new ReadOnlySpan<float>(_g + start, length),
                new Span<float>(_m + start, length), new Span<float>(_v + start, length),
                _vMax is null ? default : new Span<float>(_vMax + start, length),
                _stepSize, _beta1, _beta2, _epsilon, _correction2Sqrt);
        }
    }

    /// <summary>
    /// The fused Adam pass: m, v (and v̂ when <paramref name="vMax"/> is not empty) and w in one
    /// loop; m and v flushed of denormals.
    /// </summary>
    internal static void Update(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Span<float> vMax,
        float stepSize, float beta1, float beta2, float epsilon, float correction2Sqrt)
    {
        int n = w.Length;
        bool amsgrad = !vMax.IsEmpty;
        ref float wRef = ref MemoryMarshal.GetReference(w);
        ref float gRef = ref MemoryMarshal.GetReference(g);
        ref float mRef = ref MemoryMarshal.GetReference(m);
        ref float vRef = ref MemoryMarshal.GetReference(v);
        ref float xRef = ref MemoryMarshal.GetReference(vMax);
        float keep1 = 1f - beta1, keep2 = 1f - beta2, alpha = -stepSize;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vKeep1 = Vector256.Create(keep1);
            var vBeta2 = Vector256.Create(beta2);
            var vKeep2 = Vector256.Create(keep2);
            var vEps = Vector256.Create(epsilon);
            var vCorrection = Vector256.Create(correction2Sqrt);
            var vAlpha = Vector256.Create(alpha);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.LoadUnsafe(ref gRef, (nuint)i);
                var mi = Vector256.LoadUnsafe(ref mRef, (nuint)i);
                mi = Denormals.Flush(mi + vKeep1 * (gi - mi));
                var vi = Denormals.Flush(Vector256.LoadUnsafe(ref vRef, (nuint)i) * vBeta2 + vKeep2 * gi * gi);
                var vHat = vi;
                if (amsgrad)
                {
                    vHat = Vector256.MaxNative(Vector256.LoadUnsafe(ref xRef, (nuint)i), vi);
                    vHat.StoreUnsafe(ref xRef, (nuint)i);
                }
                var denominator = Vector256.Sqrt(vHat) / vCorrection + vEps;
                var wi = Vector256.LoadUnsafe(ref wRef, (nuint)i);
                (wi + vAlpha * (mi / denominator)).StoreUnsafe(ref wRef, (nuint)i);
                mi.StoreUnsafe(ref mRef, (nuint)i);
                vi.StoreUnsafe(ref vRef, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i];
            float mi = Denormals.Flush(m[i] + keep1 * (gi - m[i]));
            float vi = Denormals.Flush(v[i] * beta2 + keep2 * gi * gi);
            float vHat = vi;
            if (amsgrad)
            {
                vHat = MathF.Max(vMax[i], vi);
                vMax[i] = vHat;
            }
            float denominator = MathF.Sqrt(vHat) / correction2Sqrt + epsilon;
            w[i] = w[i] + alpha * (mi / denominator);
            m[i] = mi;
            v[i] = vi;
        }
    }
}
