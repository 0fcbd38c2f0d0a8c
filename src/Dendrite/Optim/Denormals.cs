using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dendrite.Optim;

/// <summary>
/// Keeps optimiser state out of the denormal range. .NET cannot switch the CPU to flush-to-zero,
/// and arithmetic on denormal floats is many times slower on x86 (libtorch lost about a third of
/// its speed on Fashion-MNIST when Adam's moments decayed into them), so the update kernels flush
/// any state value with |x| &lt; <see cref="MinNormal"/> to exactly 0 as they write it.
/// </summary>
/// <remarks>
/// A compare and an AND-NOT per vector: lanes with |x| &lt; 2^−126 become +0, every other lane (normal
/// numbers, infinities, NaN) passes unchanged, so a diverging run still shows its NaN.
/// </remarks>
public static class Denormals
{
    /// <summary>The smallest positive normal float, 2^−126 ≈ 1.1754944e−38.</summary>
    public const float MinNormal = 1.17549435e-38f;

    /// <summary>0 when |<paramref name="x"/>| &lt; <see cref="MinNormal"/>, else <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Flush(float x) => MathF.Abs(x) < MinNormal ? 0f : x;

    /// <summary>The lane-wise <see cref="Flush(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Flush(Vector256<float> x) =>
        Vector256.AndNot(x, Vector256.LessThan(Vector256.Abs(x), Vector256.Create(MinNormal)));

    /// <summary>Flushes every element of <paramref name="values"/> in place.</summary>
    public static void Flush(Span<float> values)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float start = ref MemoryMarshal.GetReference(values);
            for (; i <= values.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float> v = Vector256.LoadUnsafe(ref start, (nuint)i);
                Flush(v).StoreUnsafe(ref start, (nuint)i);
            }
        }
        for (; i < values.Length; i++) values[i] = Flush(values[i]);
    }

    /// <summary>True when no element of <paramref name="values"/> is denormal (every one is 0, at least <see cref="MinNormal"/> in magnitude, infinite or NaN).</summary>
    public static bool NoneDenormal(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
            if (v != 0f && MathF.Abs(v) < MinNormal) return false;
        return true;
    }
}
