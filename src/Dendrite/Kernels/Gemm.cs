namespace Dendrite.Kernels;

/// <summary>Single-precision matrix multiplication. (Temporary: delegates to the reference until the packed kernel lands.)</summary>
public static partial class Gemm
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
        => GemmReference.Multiply(m, n, k, a, lda, transposeA, b, ldb, transposeB, c, ldc, accumulate);
}
