using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

/// <summary>
/// What a convolution does around its GEMMs, one output plane at a time: the bias and the ReLU after
/// the forward product, and the ReLU's derivative before the backward products. Each has a plain twin
/// (<c>...Reference</c>) that tests compare it with; the fast ones give the same bits.
/// </summary>
public static class ConvolutionEpilogue
{
    /// <summary>
    /// destination = f(source + bias), or f(source) when <paramref name="bias"/> is null, where f is
    /// the identity or, with <paramref name="relu"/>, ReLU (x &gt; 0 ? x : 0, so NaN gives 0).
    /// <paramref name="destination"/> may be <paramref name="source"/> itself.
    /// </summary>
    public static unsafe void BiasActivation(ReadOnlySpan<float> source, float? bias, bool relu, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException($"ConvolutionEpilogue: destination has {destination.Length} elements, source {source.Length}.", nameof(destination));
        int count = source.Length;
        if (bias is null && !relu)
        {
            source.CopyTo(destination);
            return;
        }
        float b = bias ?? 0f;
        bool add = bias is not null;
        fixed (float* s = source)
        fixed (float* d = destination)
        {
            int i = 0;
            if (Avx512F.IsSupported)
            {
                Vector512<float> vb = Vector512.Create(b);
                for (; i + 16 <= count; i += 16) Vector512.Store(Apply(Vector512.Load(s + i), vb, add, relu), d + i);
                if (i < count)
                {
                    Vector512<float> mask = Im2Col.TailMask(count - i);
                    Avx512F.MaskStore(d + i, mask, Apply(Avx512F.MaskLoad(s + i, mask, Vector512<float>.Zero), vb, add, relu));
                }
                return;
            }
            for (; i < count; i++)
            {
                float z = add ? s[i] + b : s[i];
                d[i] = relu ? (z > 0f ? z : 0f) : z;
            }
        }

        static Vector512<float> Apply(Vector512<float> z, Vector512<float> b, bool add, bool relu)
        {
            if (add) z += b;
            return relu ? Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<float>.Zero), z, Vector512<float>.Zero) : z;
        }
    }

    /// <summary>The plain twin of <see cref="BiasActivation"/>.</summary>
    public static void BiasActivationReference(ReadOnlySpan<float> source, float? bias, bool relu, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++)
        {
            float z = bias is float b ? source[i] + b : source[i];
            destination[i] = relu && !(z > 0f) ? 0f : z;
        }
    }

    /// <summary>
    /// destination = gradient where output &gt; 0, else 0: the gradient through a ReLU, read off its
    /// output (positive exactly where its input was).
    /// </summary>
    public static unsafe void ReluGradient(ReadOnlySpan<float> output, ReadOnlySpan<float> gradient, Span<float> destination)
    {
        if (gradient.Length != output.Length || destination.Length < output.Length)
            throw new ArgumentException($"ConvolutionEpilogue: output has {output.Length} elements, gradient {gradient.Length}, destination {destination.Length}.", nameof(gradient));
        int count = output.Length;
        fixed (float* y = output)
        fixed (float* dy = gradient)
        fixed (float* d = destination)
        {
            int i = 0;
            if (Avx512F.IsSupported)
            {
                for (; i + 16 <= count; i += 16)
                    Vector512.Store(Vector512.GreaterThan(Vector512.Load(y + i), Vector512<float>.Zero) & Vector512.Load(dy + i), d + i);
                if (i < count)
                {
                    Vector512<float> mask = Im2Col.TailMask(count - i);
                    Vector512<float> positive = Vector512.GreaterThan(Avx512F.MaskLoad(y + i, mask, Vector512<float>.Zero), Vector512<float>.Zero);
                    Avx512F.MaskStore(d + i, mask, positive & Avx512F.MaskLoad(dy + i, mask, Vector512<float>.Zero));
                }
                return;
            }
            for (; i < count; i++) d[i] = y[i] > 0f ? dy[i] : 0f;
        }
    }

    /// <summary>The plain twin of <see cref="ReluGradient"/>.</summary>
    public static void ReluGradientReference(ReadOnlySpan<float> output, ReadOnlySpan<float> gradient, Span<float> destination)
    {
        for (int i = 0; i < output.Length; i++) destination[i] = output[i] > 0f ? gradient[i] : 0f;
    }
}
