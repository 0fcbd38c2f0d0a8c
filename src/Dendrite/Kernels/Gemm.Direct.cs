using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Dendrite.Kernels;

// The unpacked path for small products: no packing, no workspace, no threads, straight from the
// caller's memory. Framework overhead dominates there (a 4x2 · 2x4 product must cost well under a
// microsecond), and packing a few hundred elements would cost more than the arithmetic.
// Same arithmetic as the packed path (see the determinism note in Gemm.cs): per k block of
// DepthBlock steps, an FMA chain from zero in k order, then C = sum or C += sum.
public static partial class Gemm
{
    /// <summary>Whether the unpacked path is the faster one for this product.</summary>
    private static bool UseDirect(in Product product, Route route)
    {
        if (route != Route.Automatic) return route == Route.Direct;
        // With op(B) transposed the unpacked path cannot vectorise across columns, so it is only
        // used while the product is tiny; otherwise packing does the transpose cheaply.
        long limit = product.TransposeB ? DirectLimit / 8 : DirectLimit;
        return product.MultiplyAdds <= limit;
    }

    private static unsafe void MultiplyDirect(in Product product, InstructionSet kernel)
    {
        int m = product.M, n = product.N, k = product.K;
        long lda = product.Lda, ldb = product.Ldb, ldc = product.Ldc;
        // Step between consecutive k of one row of op(A), and between rows.
        long aDepthStep = product.TransposeA ? lda : 1;
        long aRowStep = product.TransposeA ? 1 : lda;
        for (int depthStart = 0; depthStart < k; depthStart += DepthBlock)
        {
            int depth = Math.Min(DepthBlock, k - depthStart);
            bool overwrite = depthStart == 0 && !product.Accumulate;
            for (int i = 0; i < m; i++)
            {
                float* aRow = product.A + i * aRowStep + depthStart * aDepthStep;
                float* cRow = product.C + i * ldc;
                if (product.TransposeB)
                {
                    // op(B) column j is stored row j of b: a dot product per element.
                    for (int j = 0; j < n; j++)
                    {
                        float* bColumn = product.B + j * ldb + depthStart;
                        float sum = 0f;
                        for (int p = 0; p < depth; p++)
                            sum = MathF.FusedMultiplyAdd(aRow[p * aDepthStep], bColumn[p], sum);
                        cRow[j] = overwrite ? sum : cRow[j] + sum;
                    }
                    continue;
                }

                float* bBlock = product.B + depthStart * ldb;
                int column = 0;
                if (kernel == InstructionSet.Avx512)
                {
                    for (; column + 32 <= n; column += 32)
                        DirectRow512(aRow, aDepthStep, bBlock + column, ldb, depth, cRow + column, overwrite);
                    for (; column + 16 <= n; column += 16)
                        DirectRow512Narrow(aRow, aDepthStep, bBlock + column, ldb, depth, cRow + column, overwrite);
                }
                else
                {
                    for (; column + 16 <= n; column += 16)
                        DirectRow256(aRow, aDepthStep, bBlock + column, ldb, depth, cRow + column, overwrite);
                    for (; column + 8 <= n; column += 8)
                        DirectRow256Narrow(aRow, aDepthStep, bBlock + column, ldb, depth, cRow + column, overwrite);
                }
                for (; column < n; column++)
                {
                    float sum = 0f;
                    for (int p = 0; p < depth; p++)
                        sum = MathF.FusedMultiplyAdd(aRow[p * aDepthStep], bBlock[p * ldb + column], sum);
                    cRow[column] = overwrite ? sum : cRow[column] + sum;
                }
            }
        }
    }

    // c[0..32) (=|+=) sum over p of a[p] * b[p, 0..32), b with row stride ldb.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void DirectRow512(float* a, long aStep, float* b, long ldb, int depth, float* c, bool overwrite)
    {
        Vector512<float> left = default, right = default;
        for (int p = 0; p < depth; p++)
        {
            Vector512<float> x = Vector512.Create(*a);
            left = Vector512.FusedMultiplyAdd(x, Vector512.Load(b), left);
            right = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 16), right);
            a += aStep;
            b += ldb;
        }
        Store512<Wide>(c, left, right, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void DirectRow512Narrow(float* a, long aStep, float* b, long ldb, int depth, float* c, bool overwrite)
    {
        Vector512<float> left = default;
        for (int p = 0; p < depth; p++)
        {
            left = Vector512.FusedMultiplyAdd(Vector512.Create(*a), Vector512.Load(b), left);
            a += aStep;
            b += ldb;
        }
        Store512<Narrow>(c, left, default, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void DirectRow256(float* a, long aStep, float* b, long ldb, int depth, float* c, bool overwrite)
    {
        Vector256<float> left = default, right = default;
        for (int p = 0; p < depth; p++)
        {
            Vector256<float> x = Vector256.Create(*a);
            left = Vector256.FusedMultiplyAdd(x, Vector256.Load(b), left);
            right = Vector256.FusedMultiplyAdd(x, Vector256.Load(b + 8), right);
            a += aStep;
            b += ldb;
        }
        Store256<Wide>(c, left, right, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void DirectRow256Narrow(float* a, long aStep, float* b, long ldb, int depth, float* c, bool overwrite)
    {
        Vector256<float> left = default;
        for (int p = 0; p < depth; p++)
        {
            left = Vector256.FusedMultiplyAdd(Vector256.Create(*a), Vector256.Load(b), left);
            a += aStep;
            b += ldb;
        }
        Store256<Narrow>(c, left, default, overwrite);
    }
}
