using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

// The unpacked path for small products: no packing, no workspace, no threads, straight from the
// caller's memory. Framework overhead dominates there (a 4x2 · 2x4 product must cost well under a
// microsecond), and packing would cost more than the arithmetic.
// Same arithmetic as the packed path (see the determinism note in Gemm.cs): per k block of
// DepthBlock steps, an FMA chain from zero in k order, then C = sum or C += sum. Masked loads and
// stores handle the right edge, so that no element falls back to a (latency-bound) scalar chain.
public static partial class Gemm
{
    /// <summary>Rows of C computed together by the unpacked path: 4 rows x 2 vectors = 8 independent FMA chains.</summary>
    private const int DirectRows = 4;

    /// <summary>Largest [k block, n] slice of a transposed B that the unpacked path reorders on the stack (16 KB).</summary>
    private const int DirectTransposedLimit = 4096;

    /// <summary>
    /// Up to this many multiply-adds the unpacked path also takes products that have only a few rows
    /// (m up to 8) or columns (n up to 16): packing them wastes most of a register block and costs a
    /// full pass over the large operand, while the unpacked kernel still runs near peak there.
    /// Measured: 1x500x784 34 µs unpacked vs 81 µs packed; 128x10x500 22 µs vs 33 µs.
    /// </summary>
    internal const long NarrowDirectLimit = 16L << 20;

    /// <summary>Whether the unpacked path is the faster one for this product.</summary>
    private static bool UseDirect(in Product product, Route route)
    {
        if (route != Route.Automatic) return route == Route.Direct;
        long work = product.MultiplyAdds;
        if (product.TransposeB)
        {
            // Here the unpacked path must reorder B through a stack buffer first; only worth it when tiny.
            return work <= DirectLimit && (long)Math.Min(product.K, DepthBlock) * product.N <= DirectTransposedLimit;
        }
        return work <= DirectLimit
            || (work <= NarrowDirectLimit && (product.M <= 2 * DirectRows || product.N <= 16));
    }

    // SkipLocalsInit: the reorder buffer is written before it is read, and zeroing 16 KB per call
    // would cost more than a tiny product itself.
    [SkipLocalsInit]
    private static unsafe void MultiplyDirect(in Product product, InstructionSet kernel)
    {
        if (product.MultiplyAdds <= TinyLimit)
        {
            MultiplyTiny(in product);
            return;
        }
        int m = product.M, n = product.N, k = product.K;
        long ldc = product.Ldc;
        // Step between consecutive k of one row of op(A), and between rows.
        long aDepthStep = product.TransposeA ? product.Lda : 1;
        long aRowStep = product.TransposeA ? 1 : product.Lda;
        int vector = kernel == InstructionSet.Avx512 ? 16 : 8;

        // A transposed B is reordered, one k block at a time, into [depth, n] on the stack when it is
        // small; larger ones go through a loop of narrow slices of n so the buffer stays bounded.
        int sliceColumns = product.TransposeB ? Math.Max(1, Math.Min(n, DirectTransposedLimit / Math.Min(k, DepthBlock))) : n;
        float* reordered = stackalloc float[product.TransposeB ? Math.Min(k, DepthBlock) * sliceColumns : 1];

        for (int depthStart = 0; depthStart < k; depthStart += DepthBlock)
        {
            int depth = Math.Min(DepthBlock, k - depthStart);
            bool overwrite = depthStart == 0 && !product.Accumulate;
            for (int sliceStart = 0; sliceStart < n; sliceStart += sliceColumns)
            {
                int columns = Math.Min(sliceColumns, n - sliceStart);
                float* b;
                long ldb;
                if (product.TransposeB)
                {
                    // reordered[p, j] = op(B)[depthStart + p, sliceStart + j] = b[(sliceStart + j) * ldb + depthStart + p]
                    for (int j = 0; j < columns; j++)
                    {
                        float* source = product.B + (long)(sliceStart + j) * product.Ldb + depthStart;
                        for (int p = 0; p < depth; p++) reordered[p * columns + j] = source[p];
                    }
                    b = reordered;
                    ldb = columns;
                }
                else
                {
                    b = product.B + (long)depthStart * product.Ldb + sliceStart;
                    ldb = product.Ldb;
                }

                for (int row = 0; row < m; row += DirectRows)
                {
                    int rows = Math.Min(DirectRows, m - row);
                    float* a = product.A + row * aRowStep + depthStart * aDepthStep;
                    float* c = product.C + row * ldc + sliceStart;
                    for (int column = 0; column < columns; column += 2 * vector)
                    {
                        int width = Math.Min(2 * vector, columns - column);
                        if (kernel == InstructionSet.Avx512)
                            DirectTile512(rows, width, a, aRowStep, aDepthStep, b + column, ldb, depth, c + column, ldc, overwrite);
                        else
                            DirectTile256(rows, width, a, aRowStep, aDepthStep, b + column, ldb, depth, c + column, ldc, overwrite);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Up to this many multiply-adds a plain loop of scalar FMA chains beats setting up masks and
    /// vector tiles (a 2-4-1 network's products: about 60 ns instead of 150).
    /// </summary>
    private const long TinyLimit = 256;

    /// <summary>The unpacked path for tiny products: one scalar FMA chain per element, same order and rounding.</summary>
    private static unsafe void MultiplyTiny(in Product product)
    {
        long aDepthStep = product.TransposeA ? product.Lda : 1, aRowStep = product.TransposeA ? 1 : product.Lda;
        long bDepthStep = product.TransposeB ? 1 : product.Ldb, bColumnStep = product.TransposeB ? product.Ldb : 1;
        for (int depthStart = 0; depthStart < product.K; depthStart += DepthBlock)
        {
            int depth = Math.Min(DepthBlock, product.K - depthStart);
            bool overwrite = depthStart == 0 && !product.Accumulate;
            for (int i = 0; i < product.M; i++)
            {
                float* aRow = product.A + i * aRowStep + depthStart * aDepthStep;
                float* cRow = product.C + i * (long)product.Ldc;
                for (int j = 0; j < product.N; j++)
                {
                    float* bColumn = product.B + j * bColumnStep + depthStart * bDepthStep;
                    float sum = 0f;
                    for (int p = 0; p < depth; p++)
                        sum = MathF.FusedMultiplyAdd(aRow[p * aDepthStep], bColumn[p * bDepthStep], sum);
                    cRow[j] = overwrite ? sum : cRow[j] + sum;
                }
            }
        }
    }

    private static unsafe void DirectTile512(int rows, int width, float* a, long aRowStep, long aDepthStep,
        float* b, long ldb, int depth, float* c, long ldc, bool overwrite)
    {
        Vector512<int> indices = Vector512<int>.Indices;
        Vector512<float> left = Vector512.LessThan(indices, Vector512.Create(width)).AsSingle();
        Vector512<float> right = Vector512.LessThan(indices, Vector512.Create(width - 16)).AsSingle();
        bool wide = width > 16;
        switch (rows)
        {
            case 1:
                if (wide) DirectKernel512<Rows1, Wide>(a, aRowStep, aDepthStep, b, ldb, depth, c, ldc, left, right, overwrite);
                else DirectKernel512<Rows1, Narrow>(a, aRowStep, aDepthStep, b, ldb, depth, c, ldc, left, right, overwrite);
                break;
            case 2:
                if (wide) DirectKernel512<Rows2, Wide>(a, aRowStep, aDepthStep, b, ldb, depth, c, ldc, left, right, overwrite);
                else DirectKernel512<Rows2, Narrow>(a, aRowStep, aDepthStep, b, ldb, depth, c, ldc, left, right, overwrite);
                break;
            case 3:
                if (wide) DirectKernel512<Rows3, Wide>(a, aRowStep, aDepthStep, b, ldb, depth, c, ldc, left, right, overwrite);
                else DirectKernel512<Rows3, Narrow>(a, aRowStep, aDepthStep, b, ldb, depth, c, ldc, left, right, overwrite);
                break;
            default:
                if (wide) DirectKernel512<Rows4, Wide>(a, aRowStep, aDepthStep, b, ldb, depth, c, ldc, left, right, overwrite);
                else DirectKernel512<Rows4, Narrow>(a, aRowStep, aDepthStep, b, ldb, depth, c, ldc, left, right, overwrite);
                break;
        }
    }

    private static unsafe void DirectTile256(int rows, int width, float* a, long aRowStep, long aDepthStep,
        float* b, long ldb, int depth, float* c, long ldc, bool overwrite)
    {
        Vector256<int> indices = Vector256<int>.Indices;
        Vector256<float> left = Vector256.LessThan(indices, Vector256.Create(width)).AsSingle();
        Vector256<float> right = Vector256.LessThan(indices, Vector256.Create(width - 8)).AsSingle();
        bool wide = width > 8;
        switch (rows)
        {
            case 1:
                if (wide) DirectKernel256<Rows1, Wide>(a, aRowStep, aDepthStep, b, ldb, depth, c, ldc, left, right, overwrite);
                else DirectKernel256<Rows1, Narrow>(a, aRowStep, aDepthStep, b, ldb, depth, c, ldc, left, right, overwrite);
                break;
            case 2:
                if (wide) DirectKernel256<Rows2, Wide>(a, aRowStep, aDepthStep, b, ldb, depth, c, ldc, left, right, overwrite);
                else DirectKernel256<Rows2, Narrow>(a, aRowStep, aDepthStep, b, ldb, depth, c, ldc, left, right, overwrite);
                break;
            case 3:
                if (wide) DirectKernel256<Rows3, Wide>(a, aRowStep, aDepthStep, b, ldb, depth, c, ldc, left, right, overwrite);
                else DirectKernel256<Rows3, Narrow>(a, aRowStep, aDepthStep, b, ldb, depth, c, ldc, left, right, overwrite);
                break;
            default:
                if (wide) DirectKernel256<Rows4, Wide>(a, aRowStep, aDepthStep, b, ldb, depth, c, ldc, left, right, overwrite);
                else DirectKernel256<Rows4, Narrow>(a, aRowStep, aDepthStep, b, ldb, depth, c, ldc, left, right, overwrite);
                break;
        }
    }

    /// <summary>
    /// Up to 4 rows x 32 columns of C from unpacked operands: a points at op(A)[row, depthStart]
    /// (next row aRowStep, next k aDepthStep floats on), b at op(B)[depthStart, column] (next k ldb on).
    /// Lanes outside <paramref name="leftMask"/>/<paramref name="rightMask"/> are neither read nor written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DirectKernel512<TRows, TWide>(float* a, long aRowStep, long aDepthStep, float* b, long ldb, int depth,
        float* c, long ldc, Vector512<float> leftMask, Vector512<float> rightMask, bool overwrite)
        where TRows : struct, IRowCount where TWide : struct, IPanelWidth
    {
        Vector512<float> zero = Vector512<float>.Zero;
        Vector512<float> left0 = zero, right0 = zero, left1 = zero, right1 = zero;
        Vector512<float> left2 = zero, right2 = zero, left3 = zero, right3 = zero;
        for (int p = 0; p < depth; p++)
        {
            Vector512<float> b0 = Avx512F.MaskLoad(b, leftMask, zero);
            Vector512<float> b1 = TWide.Value ? Avx512F.MaskLoad(b + 16, rightMask, zero) : zero;
            Vector512<float> x = Vector512.Create(a[0]);
            left0 = Avx512F.FusedMultiplyAdd(x, b0, left0);
            if (TWide.Value) right0 = Avx512F.FusedMultiplyAdd(x, b1, right0);
            if (TRows.Value > 1)
            {
                x = Vector512.Create(a[aRowStep]);
                left1 = Avx512F.FusedMultiplyAdd(x, b0, left1);
                if (TWide.Value) right1 = Avx512F.FusedMultiplyAdd(x, b1, right1);
            }
            if (TRows.Value > 2)
            {
                x = Vector512.Create(a[2 * aRowStep]);
                left2 = Avx512F.FusedMultiplyAdd(x, b0, left2);
                if (TWide.Value) right2 = Avx512F.FusedMultiplyAdd(x, b1, right2);
            }
            if (TRows.Value > 3)
            {
                x = Vector512.Create(a[3 * aRowStep]);
                left3 = Avx512F.FusedMultiplyAdd(x, b0, left3);
                if (TWide.Value) right3 = Avx512F.FusedMultiplyAdd(x, b1, right3);
            }
            a += aDepthStep;
            b += ldb;
        }
        StoreMasked512<TWide>(c, left0, right0, leftMask, rightMask, overwrite);
        if (TRows.Value > 1) StoreMasked512<TWide>(c + ldc, left1, right1, leftMask, rightMask, overwrite);
        if (TRows.Value > 2) StoreMasked512<TWide>(c + 2 * ldc, left2, right2, leftMask, rightMask, overwrite);
        if (TRows.Value > 3) StoreMasked512<TWide>(c + 3 * ldc, left3, right3, leftMask, rightMask, overwrite);
    }

    /// <summary>The AVX2 twin of <see cref="DirectKernel512{TRows, TWide}"/>: up to 4 rows x 16 columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DirectKernel256<TRows, TWide>(float* a, long aRowStep, long aDepthStep, float* b, long ldb, int depth,
        float* c, long ldc, Vector256<float> leftMask, Vector256<float> rightMask, bool overwrite)
        where TRows : struct, IRowCount where TWide : struct, IPanelWidth
    {
        Vector256<float> zero = Vector256<float>.Zero;
        Vector256<float> left0 = zero, right0 = zero, left1 = zero, right1 = zero;
        Vector256<float> left2 = zero, right2 = zero, left3 = zero, right3 = zero;
        for (int p = 0; p < depth; p++)
        {
            Vector256<float> b0 = Avx.MaskLoad(b, leftMask);
            Vector256<float> b1 = TWide.Value ? Avx.MaskLoad(b + 8, rightMask) : zero;
            Vector256<float> x = Vector256.Create(a[0]);
            left0 = Fma.MultiplyAdd(x, b0, left0);
            if (TWide.Value) right0 = Fma.MultiplyAdd(x, b1, right0);
            if (TRows.Value > 1)
            {
                x = Vector256.Create(a[aRowStep]);
                left1 = Fma.MultiplyAdd(x, b0, left1);
                if (TWide.Value) right1 = Fma.MultiplyAdd(x, b1, right1);
            }
            if (TRows.Value > 2)
            {
                x = Vector256.Create(a[2 * aRowStep]);
                left2 = Fma.MultiplyAdd(x, b0, left2);
                if (TWide.Value) right2 = Fma.MultiplyAdd(x, b1, right2);
            }
            if (TRows.Value > 3)
            {
                x = Vector256.Create(a[3 * aRowStep]);
                left3 = Fma.MultiplyAdd(x, b0, left3);
                if (TWide.Value) right3 = Fma.MultiplyAdd(x, b1, right3);
            }
            a += aDepthStep;
            b += ldb;
        }
        StoreMasked256<TWide>(c, left0, right0, leftMask, rightMask, overwrite);
        if (TRows.Value > 1) StoreMasked256<TWide>(c + ldc, left1, right1, leftMask, rightMask, overwrite);
        if (TRows.Value > 2) StoreMasked256<TWide>(c + 2 * ldc, left2, right2, leftMask, rightMask, overwrite);
        if (TRows.Value > 3) StoreMasked256<TWide>(c + 3 * ldc, left3, right3, leftMask, rightMask, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreMasked512<TWide>(float* c, Vector512<float> left, Vector512<float> right,
        Vector512<float> leftMask, Vector512<float> rightMask, bool overwrite)
        where TWide : struct, IPanelWidth
    {
        if (!overwrite)
        {
            left += Avx512F.MaskLoad(c, leftMask, Vector512<float>.Zero);
            if (TWide.Value) right += Avx512F.MaskLoad(c + 16, rightMask, Vector512<float>.Zero);
        }
        Avx512F.MaskStore(c, leftMask, left);
        if (TWide.Value) Avx512F.MaskStore(c + 16, rightMask, right);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreMasked256<TWide>(float* c, Vector256<float> left, Vector256<float> right,
        Vector256<float> leftMask, Vector256<float> rightMask, bool overwrite)
        where TWide : struct, IPanelWidth
    {
        if (!overwrite)
        {
            left += Avx.MaskLoad(c, leftMask);
            if (TWide.Value) right += Avx.MaskLoad(c + 8, rightMask);
        }
        Avx.MaskStore(c, leftMask, left);
        if (TWide.Value) Avx.MaskStore(c + 8, rightMask, right);
    }
}
