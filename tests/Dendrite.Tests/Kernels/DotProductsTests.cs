using Dendrite.Kernels;

namespace Dendrite.Tests.Kernels;

public class DotProductsTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        // 4×4 blocks, 3×5 blocks (6 x 25, 3 x 5, 5 x 9), ragged edges of both, k = 0 and tails.
        { 1, 1, 1 }, { 3, 5, 7 }, { 4, 4, 16 }, { 5, 6, 17 }, { 6, 25, 784 }, { 16, 150, 800 }, { 7, 3, 0 }, { 2, 9, 33 }, { 5, 9, 40 }, { 7, 11, 19 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyMatchesItsTwin(int m, int n, int k)
    {
        var generator = new RandomGenerator(m * 100 + n * 10 + k);
        int lda = k + 3, ldb = k + 1, ldc = n + 2;
        float[] a = new float[Math.Max(0, (m - 1) * lda + k)], b = new float[Math.Max(0, (n - 1) * ldb + k)];
        generator.FillNormal(a);
        generator.FillNormal(b);
        foreach (bool accumulate in new[] { false, true })
        {
            float[] expected = new float[m * ldc], actual = new float[m * ldc];
            generator.FillNormal(expected);
            expected.CopyTo(actual, 0);
            DotProducts.MultiplyReference(m, n, k, a, lda, b, ldb, expected, ldc, accumulate);
            DotProducts.Multiply(m, n, k, a, lda, b, ldb, actual, ldc, accumulate);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < ldc; j++)
                {
                    if (j >= n)
                    {
                        Assert.Equal(expected[i * ldc + j], actual[i * ldc + j]);   // outside C: untouched
                        continue;
                    }
                    // Relative to Σ|a||b|, the size of the rounding error of any summation order.
                    double scale = 1e-30;
                    for (int x = 0; x < k; x++) scale += Math.Abs(a[i * lda + x] * b[j * ldb + x]);
                    Assert.True(Math.Abs(expected[i * ldc + j] - actual[i * ldc + j]) <= 1e-5 * (scale + Math.Abs(expected[i * ldc + j])),
                        $"C[{i}, {j}]: {actual[i * ldc + j]} vs {expected[i * ldc + j]}");
                }
        }
    }

    [Fact]
    public void EachElementIsTheSameWhereverItsBlockIs()
    {
        // Each element of a 9 x 7 (4×4 blocks) and a 6 x 10 (3×5 blocks) product computed alone gives the same bits.
        foreach (var (m, n) in new[] { (9, 7), (6, 10) })
            SameBits(m, n, 100);
    }

    private static void SameBits(int m, int n, int k)
    {
        var generator = new RandomGenerator(5);
        float[] a = new float[m * k], b = new float[n * k];
        generator.FillNormal(a);
        generator.FillNormal(b);
        float[] whole = new float[m * n];
        DotProducts.Multiply(m, n, k, a, k, b, k, whole, n);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float[] single = new float[1];
                DotProducts.Multiply(1, 1, k, a.AsSpan(i * k, k), k, b.AsSpan(j * k, k), k, single, 1);
                Assert.Equal(BitConverter.SingleToInt32Bits(single[0]), BitConverter.SingleToInt32Bits(whole[i * n + j]));
            }
    }
}
