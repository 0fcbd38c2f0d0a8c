using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

/// <summary>
/// C[m, n] = A·Bᵀ for operands that both hold k contiguously: C[i, j] = Σ_k A[i, k]·B[j, k], every row
/// of A dotted with every row of B. This is the shape of a weight gradient (dW = dz·colᵀ, summed over
/// pixels and samples: small m and n, long k). <see cref="Gemm.Multiply"/> computes it too, but its
/// packing must transpose the long operand into k-major panels first; here each dot product runs
/// along the rows as they are stored.
/// </summary>
/// <remarks>
/// Each element is summed the same way whatever its position: a 16-lane vector of partial sums,
/// one fused multiply-add per 16 steps of k in k order (zeros past the end), then
/// <see cref="Vector512.Sum{T}(Vector512{T})"/>. So the result does not depend on how a caller splits
/// m or n; it may differ in the last bits from <see cref="MultiplyReference"/>, which sums in k order.
/// </remarks>
public static class DotProducts
{
    /// <summary>Whether the vector kernel runs here (AVX-512); without, <see cref="Multiply"/> falls back to the plain twin, and a GEMM is faster.</summary>
    public static bool IsAccelerated => Avx512F.IsSupported;

    /// <summary>C = A·Bᵀ, or C += A·Bᵀ when <paramref name="accumulate"/>.</summary>
    /// <param name="m">Rows of A and of C.</param>
    /// <param name="n">Rows of B, columns of C.</param>
    /// <param name="k">Length of each dot product (columns of A and B).</param>
    /// <param name="a">A, [m, k] with row stride <paramref name="lda"/>.</param>
    /// <param name="lda">Row stride of A, at least k.</param>
    /// <param name="b">B, [n, k] with row stride <paramref name="ldb"/>.</param>
    /// <param name="ldb">Row stride of B, at least k.</param>
    /// <param name="c">C, [m, n] with row stride <paramref name="ldc"/>.</param>
    /// <param name="ldc">Row stride of C, at least n.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    public static unsafe void Multiply(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate = false)
    {
        Check(m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (!Avx512F.IsSupported)
        {
            MultiplyReference(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            return;
        }
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            Vector512<float> tail = k % 16 == 0 ? Vector512<float>.AllBitsSet : Im2Col.TailMask(k % 16);
            // Blocks of 4×4 or 3×5 dot products, whichever wastes less at the edges (there the missing rows
            // repeat the last one and their sums are dropped): LeNet's 6 x 25 weight gradient is 10 blocks of
            // 3×5 instead of 14 of 4×4.
            long square = (long)((m + 3) / 4) * ((n + 3) / 4) * 16, oblong = (long)((m + 2) / 3) * ((n + 4) / 5) * 15;
            if (oblong < square)
            {
                for (int i = 0; i < m; i += 3)
                    for (int j = 0; j < n; j += 5)
                        Block3x5(pa, lda, i, Math.Min(3, m - i), pb, ldb, j, Math.Min(5, n - j), k, tail, pc, ldc, accumulate);
                return;
            }
            for (int i = 0; i < m; i += 4)
                for (int j = 0; j < n; j += 4)
                    Block(pa, lda, i, Math.Min(4, m - i), pb, ldb, j, Math.Min(4, n - j), k, tail, pc, ldc, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Block(float* a, int lda, int i, int rows, float* b, int ldb, int j, int columns, int k,
        Vector512<float> tail, float* c, int ldc, bool accumulate)
    {
        float* a0 = a + (long)i * lda, a1 = a + (long)(i + Math.Min(1, rows - 1)) * lda;
        float* a2 = a + (long)(i + Math.Min(2, rows - 1)) * lda, a3 = a + (long)(i + Math.Min(3, rows - 1)) * lda;
        float* b0 = b + (long)j * ldb, b1 = b + (long)(j + Math.Min(1, columns - 1)) * ldb;
        float* b2 = b + (long)(j + Math.Min(2, columns - 1)) * ldb, b3 = b + (long)(j + Math.Min(3, columns - 1)) * ldb;
        Vector512<float> c00 = Vector512<float>.Zero, c01 = c00, c02 = c00, c03 = c00;
        Vector512<float> c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        Vector512<float> c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        Vector512<float> c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        int full = k & ~15;
        for (int x = 0; x <= k; x += 16)
        {
            Vector512<float> va0, va1, va2, va3, vb0, vb1, vb2, vb3;
            if (x < full)
            {
                va0 = Vector512.Load(a0 + x); va1 = Vector512.Load(a1 + x); va2 = Vector512.Load(a2 + x); va3 = Vector512.Load(a3 + x);
                vb0 = Vector512.Load(b0 + x); vb1 = Vector512.Load(b1 + x); vb2 = Vector512.Load(b2 + x); vb3 = Vector512.Load(b3 + x);
            }
            else
            {
                if (x == k) break;
                var z = Vector512<float>.Zero;
                va0 = Avx512F.MaskLoad(a0 + x, tail, z); va1 = Avx512F.MaskLoad(a1 + x, tail, z); va2 = Avx512F.MaskLoad(a2 + x, tail, z); va3 = Avx512F.MaskLoad(a3 + x, tail, z);
                vb0 = Avx512F.MaskLoad(b0 + x, tail, z); vb1 = Avx512F.MaskLoad(b1 + x, tail, z); vb2 = Avx512F.MaskLoad(b2 + x, tail, z); vb3 = Avx512F.MaskLoad(b3 + x, tail, z);
            }
            c00 = Avx512F.FusedMultiplyAdd(va0, vb0, c00); c01 = Avx512F.FusedMultiplyAdd(va0, vb1, c01);
            c02 = Avx512F.FusedMultiplyAdd(va0, vb2, c02); c03 = Avx512F.FusedMultiplyAdd(va0, vb3, c03);
            c10 = Avx512F.FusedMultiplyAdd(va1, vb0, c10); c11 = Avx512F.FusedMultiplyAdd(va1, vb1, c11);
            c12 = Avx512F.FusedMultiplyAdd(va1, vb2, c12); c13 = Avx512F.FusedMultiplyAdd(va1, vb3, c13);
            c20 = Avx512F.FusedMultiplyAdd(va2, vb0, c20); c21 = Avx512F.FusedMultiplyAdd(va2, vb1, c21);
            c22 = Avx512F.FusedMultiplyAdd(va2, vb2, c22); c23 = Avx512F.FusedMultiplyAdd(va2, vb3, c23);
            c30 = Avx512F.FusedMultiplyAdd(va3, vb0, c30); c31 = Avx512F.FusedMultiplyAdd(va3, vb1, c31);
            c32 = Avx512F.FusedMultiplyAdd(va3, vb2, c32); c33 = Avx512F.FusedMultiplyAdd(va3, vb3, c33);
        }
        float* row = c + (long)i * ldc + j;
        Row(row, columns, c00, c01, c02, c03, accumulate);
        if (rows > 1) Row(row + ldc, columns, c10, c11, c12, c13, accumulate);
        if (rows > 2) Row(row + 2L * ldc, columns, c20, c21, c22, c23, accumulate);
        if (rows > 3) Row(row + 3L * ldc, columns, c30, c31, c32, c33, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Block3x5(float* a, int lda, int i, int rows, float* b, int ldb, int j, int columns, int k,
        Vector512<float> tail, float* c, int ldc, bool accumulate)
    {
        float* a0 = a + (long)i * lda, a1 = a + (long)(i + Math.Min(1, rows - 1)) * lda, a2 = a + (long)(i + Math.Min(2, rows - 1)) * lda;
        float* b0 = b + (long)j * ldb, b1 = b + (long)(j + Math.Min(1, columns - 1)) * ldb, b2 = b + (long)(j + Math.Min(2, columns - 1)) * ldb;
        float* b3 = b + (long)(j + Math.Min(3, columns - 1)) * ldb, b4 = b + (long)(j + Math.Min(4, columns - 1)) * ldb;
        Vector512<float> c00 = Vector512<float>.Zero, c01 = c00, c02 = c00, c03 = c00, c04 = c00;
        Vector512<float> c10 = c00, c11 = c00, c12 = c00, c13 = c00, c14 = c00;
        Vector512<float> c20 = c00, c21 = c00, c22 = c00, c23 = c00, c24 = c00;
        int full = k & ~15;
        for (int x = 0; x <= k; x += 16)
        {
            Vector512<float> va0, va1, va2, vb0, vb1, vb2, vb3, vb4;
            if (x < full)
            {
                va0 = Vector512.Load(a0 + x); va1 = Vector512.Load(a1 + x); va2 = Vector512.Load(a2 + x);
                vb0 = Vector512.Load(b0 + x); vb1 = Vector512.Load(b1 + x); vb2 = Vector512.Load(b2 + x); vb3 = Vector512.Load(b3 + x); vb4 = Vector512.Load(b4 + x);
            }
            else
            {
                if (x == k) break;
                var z = Vector512<float>.Zero;
                va0 = Avx512F.MaskLoad(a0 + x, tail, z); va1 = Avx512F.MaskLoad(a1 + x, tail, z); va2 = Avx512F.MaskLoad(a2 + x, tail, z);
                vb0 = Avx512F.MaskLoad(b0 + x, tail, z); vb1 = Avx512F.MaskLoad(b1 + x, tail, z); vb2 = Avx512F.MaskLoad(b2 + x, tail, z);
                vb3 = Avx512F.MaskLoad(b3 + x, tail, z); vb4 = Avx512F.MaskLoad(b4 + x, tail, z);
            }
            c00 = Avx512F.FusedMultiplyAdd(va0, vb0, c00); c01 = Avx512F.FusedMultiplyAdd(va0, vb1, c01); c02 = Avx512F.FusedMultiplyAdd(va0, vb2, c02);
            c03 = Avx512F.FusedMultiplyAdd(va0, vb3, c03); c04 = Avx512F.FusedMultiplyAdd(va0, vb4, c04);
            c10 = Avx512F.FusedMultiplyAdd(va1, vb0, c10); c11 = Avx512F.FusedMultiplyAdd(va1, vb1, c11); c12 = Avx512F.FusedMultiplyAdd(va1, vb2, c12);
            c13 = Avx512F.FusedMultiplyAdd(va1, vb3, c13); c14 = Avx512F.FusedMultiplyAdd(va1, vb4, c14);
            c20 = Avx512F.FusedMultiplyAdd(va2, vb0, c20); c21 = Avx512F.FusedMultiplyAdd(va2, vb1, c21); c22 = Avx512F.FusedMultiplyAdd(va2, vb2, c22);
            c23 = Avx512F.FusedMultiplyAdd(va2, vb3, c23); c24 = Avx512F.FusedMultiplyAdd(va2, vb4, c24);
        }
        float* row = c + (long)i * ldc + j;
        Row5(row, columns, c00, c01, c02, c03, c04, accumulate);
        if (rows > 1) Row5(row + ldc, columns, c10, c11, c12, c13, c14, accumulate);
        if (rows > 2) Row5(row + 2L * ldc, columns, c20, c21, c22, c23, c24, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Row5(float* row, int columns, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3, Vector512<float> s4, bool accumulate)
    {
        Row(row, Math.Min(columns, 4), s0, s1, s2, s3, accumulate);
        if (columns > 4) *(row + 4) = accumulate ? *(row + 4) + Vector512.Sum(s4) : Vector512.Sum(s4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Row(float* row, int columns, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3, bool accumulate)
    {
        Put(row, Vector512.Sum(s0), accumulate);
        if (columns > 1) Put(row + 1, Vector512.Sum(s1), accumulate);
        if (columns > 2) Put(row + 2, Vector512.Sum(s2), accumulate);
        if (columns > 3) Put(row + 3, Vector512.Sum(s3), accumulate);

        static void Put(float* at, float value, bool accumulate) => *at = accumulate ? *at + value : value;
    }

    /// <summary>The plain twin: each dot product summed in k order, for tests.</summary>
    public static void MultiplyReference(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate = false)
    {
        Check(m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float sum = 0f;
                for (int x = 0; x < k; x++) sum += a[i * lda + x] * b[j * ldb + x];
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum;
            }
    }

    private static void Check(int m, int n, int k, int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0 || lda < k || ldb < k || ldc < n)
            throw new ArgumentException($"DotProducts: sizes m={m}, n={n}, k={k} must be non-negative and the row strides lda={lda}, ldb={ldb} at least k, ldc={ldc} at least n.");
        if ((m > 0 && aLength < (long)(m - 1) * lda + k) || (n > 0 && bLength < (long)(n - 1) * ldb + k) || (m > 0 && n > 0 && cLength < (long)(m - 1) * ldc + n))
            throw new ArgumentException($"DotProducts: a has {aLength}, b {bLength} and c {cLength} elements; m={m}, n={n}, k={k} with strides {lda}, {ldb}, {ldc} need {(long)(m - 1) * lda + k}, {(long)(n - 1) * ldb + k} and {(long)(m - 1) * ldc + n}.");
    }
}
