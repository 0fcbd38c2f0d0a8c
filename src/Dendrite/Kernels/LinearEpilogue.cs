using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dendrite.Kernels;

// The element-wise ends of a dense layer y = f(x·Wᵀ + b), applied to a block of C while it is still
// in cache: the GEMM calls Apply on each finished rectangle of its output, and the backward of the
// fused op calls ReluBackward once over dy. Letters: C, y, dy, dz are [rows, columns] with a row
// stride; bias and db are [columns].
//
// Identical to LinearEpilogueReference, element for element and bit for bit: the same one rounding
// per addition, in the same order, as the separate bias-add, ReLU and bias-gradient ops.

/// <summary>
/// Bias and ReLU fused onto a matrix product's output (forward), and the ReLU mask fused with the
/// bias gradient (backward). The plain twin is <see cref="LinearEpilogueReference"/>.
/// </summary>
public static class LinearEpilogue
{
    /// <summary>
    /// c[i, j] = f(c[i, j] + bias[j]) for i &lt; <paramref name="rows"/>, j &lt; <paramref name="columns"/>,
    /// with f = ReLU (max(0, ·), NaN to 0 as <see cref="ReluOperator"/>) when <paramref name="relu"/>, else the identity.
    /// An empty <paramref name="bias"/> adds nothing.
    /// </summary>
    /// <param name="rows">Rows of C.</param>
    /// <param name="columns">Columns of C (and the length of the bias, when given).</param>
    /// <param name="c">C, [rows, columns] with row stride <paramref name="ldc"/>, changed in place.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="bias">[columns], or empty.</param>
    /// <param name="relu">Whether to clamp at zero after the bias.</param>
    public static unsafe void Apply(int rows, int columns, Span<float> c, int ldc, ReadOnlySpan<float> bias, bool relu)
    {
        Check(rows, columns, c.Length, ldc, "c");
        if (!bias.IsEmpty && bias.Length < columns)
            throw new ArgumentException($"LinearEpilogue.Apply: bias has {bias.Length} elements but C has {columns} columns.", nameof(bias));
        if (rows == 0 || columns == 0) return;
        fixed (float* pc = c)
        fixed (float* pb = bias)
        {
            Apply(pc, ldc, rows, columns, bias.IsEmpty ? null : pb, relu);
        }
    }

    /// <summary>The unchecked form of <see cref="Apply(int, int, Span{float}, int, ReadOnlySpan{float}, bool)"/> for the GEMM; bias may be null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Apply(float* c, long ldc, int rows, int columns, float* bias, bool relu)
    {
        if (bias is null && !relu) return;
        for (int i = 0; i < rows; i++)
        {
            float* row = c + i * ldc;
            int j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; j <= columns - 16; j += 16)
                {
                    Vector512<float> v = Vector512.Load(row + j);
                    if (bias is not null) v += Vector512.Load(bias + j);
                    if (relu) v = Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, Vector512<float>.Zero);
                    Vector512.Store(v, row + j);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (; j <= columns - 8; j += 8)
                {
                    Vector256<float> v = Vector256.Load(row + j);
                    if (bias is not null) v += Vector256.Load(bias + j);
                    if (relu) v = Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, Vector256<float>.Zero);
                    Vector256.Store(v, row + j);
                }
            }
            for (; j < columns; j++)
            {
                float v = row[j];
                if (bias is not null) v += bias[j];
                if (relu) v = v > 0f ? v : 0f;
                row[j] = v;
            }
        }
    }

    /// <summary>
    /// The backward of y = ReLU(z) followed by the bias's share of z = x·Wᵀ + b, in one pass:
    /// dz[i, j] = dy[i, j] where y[i, j] &gt; 0, else 0 (y &gt; 0 exactly where z &gt; 0), and
    /// db[j] (+)= Σ_i dz[i, j], summed in row order.
    /// </summary>
    /// <param name="rows">Rows (samples).</param>
    /// <param name="columns">Columns (units).</param>
    /// <param name="output">y, the ReLU's output, [rows, columns] contiguous.</param>
    /// <param name="outputGradient">dy, [rows, columns] contiguous.</param>
    /// <param name="inputGradient">dz, [rows, columns] contiguous, written; may be <paramref name="outputGradient"/> itself.</param>
    /// <param name="biasGradient">db, [columns], or empty when no bias gradient is wanted.</param>
    /// <param name="accumulateBias">Add to <paramref name="biasGradient"/> instead of overwriting it.</param>
    public static void ReluBackward(int rows, int columns, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient,
        Span<float> inputGradient, Span<float> biasGradient, bool accumulateBias)
    {
        long count = (long)rows * columns;
        if (rows < 0 || columns < 0 || output.Length < count || outputGradient.Length < count || inputGradient.Length < count
            || (!biasGradient.IsEmpty && biasGradient.Length < columns))
            throw new ArgumentException($"LinearEpilogue.ReluBackward: [{rows}, {columns}] needs y, dy and dz of {count} elements and db of {columns} (or none); got {output.Length}, {outputGradient.Length}, {inputGradient.Length} and {biasGradient.Length}.");
        bool bias = !biasGradient.IsEmpty;
        if (bias && !accumulateBias) biasGradient[..columns].Clear();
        ref float yRef = ref MemoryMarshal.GetReference(output);
        ref float dyRef = ref MemoryMarshal.GetReference(outputGradient);
        ref float dzRef = ref MemoryMarshal.GetReference(inputGradient);
        ref float dbRef = ref MemoryMarshal.GetReference(biasGradient);
        for (int i = 0; i < rows; i++)
        {
            nuint row = (nuint)((long)i * columns);
            int j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; j <= columns - 16; j += 16)
                {
                    nuint at = row + (nuint)j;
                    Vector512<float> g = Vector512.ConditionalSelect(
                        Vector512.GreaterThan(Vector512.LoadUnsafe(ref yRef, at), Vector512<float>.Zero),
                        Vector512.LoadUnsafe(ref dyRef, at), Vector512<float>.Zero);
                    g.StoreUnsafe(ref dzRef, at);
                    if (bias) (Vector512.LoadUnsafe(ref dbRef, (nuint)j) + g).StoreUnsafe(ref dbRef, (nuint)j);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (; j <= columns - 8; j += 8)
                {
                    nuint at = row + (nuint)j;
                    Vector256<float> g = Vector256.ConditionalSelect(
                        Vector256.GreaterThan(Vector256.LoadUnsafe(ref yRef, at), Vector256<float>.Zero),
                        Vector256.LoadUnsafe(ref dyRef, at), Vector256<float>.Zero);
                    g.StoreUnsafe(ref dzRef, at);
                    if (bias) (Vector256.LoadUnsafe(ref dbRef, (nuint)j) + g).StoreUnsafe(ref dbRef, (nuint)j);
                }
            }
            for (; j < columns; j++)
            {
                nuint at = row + (nuint)j;
                float g = Unsafe.Add(ref yRef, at) > 0f ? Unsafe.Add(ref dyRef, at) : 0f;
                Unsafe.Add(ref dzRef, at) = g;
                if (bias) Unsafe.Add(ref dbRef, j) += g;
            }
        }
    }

    private static void Check(int rows, int columns, int length, int ld, string name)
    {
        if (rows < 0 || columns < 0 || ld < columns || (rows > 0 && columns > 0 && length < (long)(rows - 1) * ld + columns))
            throw new ArgumentException($"LinearEpilogue: {name} has {length} elements with row stride {ld}, too few for [{rows}, {columns}].", name);
    }
}
