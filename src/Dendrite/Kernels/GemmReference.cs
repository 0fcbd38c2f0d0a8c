namespace Dendrite.Kernels;

/// <summary>
/// The plain twin of <see cref="Gemm"/>: a triple loop with the same contract, kept as the
/// specification that the fast kernel's tests compare against.
/// </summary>
public static class GemmReference
{
    /// <summary>
    /// C = op(A)·op(B), or C += op(A)·op(B) when <paramref name="accumulate"/> is set.
    /// op(A) is [m, k]: A itself (row-major, row stride <paramref name="lda"/>) or, when
    /// <paramref name="transposeA"/> is set, the transpose of a [k, m] matrix with row stride lda.
    /// op(B) is [k, n] in the same way. C is [m, n] with row stride <paramref name="ldc"/>.
    /// </summary>
    public static void Multiply(int m, int n, int k,
        ReadOnlySpan<float> a, int lda, bool transposeA,
        ReadOnlySpan<float> b, int ldb, bool transposeB,
        Span<float> c, int ldc, bool accumulate = false)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0f;
                for (int p = 0; p < k; p++)
                {
                    float av = transposeA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transposeB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += av * bv;
                }
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum;
            }
        }
    }

    /// <summary>
    /// <paramref name="batch"/> independent products, as <see cref="Gemm.MultiplyBatched"/>: product i reads
    /// A from element i·strideA of <paramref name="a"/>, B from i·strideB of <paramref name="b"/> and writes
    /// C from i·strideC of <paramref name="c"/>; a stride of 0 uses one matrix for every product.
    /// </summary>
    public static void MultiplyBatched(int batch, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, long strideA, bool transposeA,
        ReadOnlySpan<float> b, int ldb, long strideB, bool transposeB,
        Span<float> c, int ldc, long strideC, bool accumulate = false)
    {
        for (int i = 0; i < batch; i++)
        {
            Multiply(m, n, k,
                a[checked((int)(i * strideA))..], lda, transposeA,
                b[checked((int)(i * strideB))..], ldb, transposeB,
                c[checked((int)(i * strideC))..], ldc, accumulate);
        }
    }
}
