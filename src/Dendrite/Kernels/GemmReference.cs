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
}
