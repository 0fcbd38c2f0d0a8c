using Dendrite.Kernels;

namespace Dendrite.Tests.Kernels;

// LinearEpilogue against its scalar twin (bit for bit), and the GEMM's fused epilogue against the
// plain product followed by the twin, on every path and thread count.
public sealed class LinearEpilogueTests
{
    private static float[] RandomArray(Random random, int length, float scale = 2f)
    {
        var values = new float[length];
        for (int i = 0; i < values.Length; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return values;
    }

    [Fact]
    public void Apply_MatchesTwin_ForEveryWidth_WithAndWithoutBiasAndRelu()
    {
        var random = new Random(1);
        foreach (int rows in new[] { 0, 1, 3 })
        {
            for (int columns = 0; columns <= 40; columns++)
            {
                int ldc = columns + 3;
                float[] initial = RandomArray(random, Math.Max(0, rows * ldc));
                // Special values in the first row: NaN and -0 must come out as the ReLU op gives them.
                if (rows > 0 && columns > 2) (initial[0], initial[1], initial[2]) = (float.NaN, -0f, float.NegativeInfinity);
                float[] bias = RandomArray(random, columns);
                foreach (bool withBias in new[] { false, true })
                {
                    foreach (bool relu in new[] { false, true })
                    {
                        float[] actual = (float[])initial.Clone(), expected = (float[])initial.Clone();
                        LinearEpilogue.Apply(rows, columns, actual, ldc, withBias ? bias : default, relu);
                        LinearEpilogueReference.Apply(rows, columns, expected, ldc, withBias ? bias : default, relu);
                        Assert.True(BitEqual(expected, actual), $"[{rows}, {columns}] bias={withBias} relu={relu}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Relu_OfApply_IsTheReluOp()
    {
        float[] values = [float.NaN, -0f, 0f, -1f, 2f, float.PositiveInfinity, float.NegativeInfinity, 1e-40f, -1e-40f];
        float[] fused = (float[])values.Clone();
        LinearEpilogue.Apply(1, values.Length, fused, values.Length, default, relu: true);
        float[] op = Tensor.FromArray(values).Relu().ToArray();
        Assert.True(BitEqual(op, fused));
    }

    [Fact]
    public void ReluBackward_MatchesTwin_InPlaceOrNot_AccumulatingOrNot()
    {
        var random = new Random(2);
        foreach (int rows in new[] { 1, 2, 5 })
        {
            for (int columns = 1; columns <= 37; columns++)
            {
                float[] y = RandomArray(random, rows * columns);
                for (int i = 0; i < y.Length; i++) if (y[i] < 0) y[i] = i % 3 == 0 ? 0f : -0f;   // a ReLU's output: >= 0
                float[] dy = RandomArray(random, rows * columns);
                float[] db0 = RandomArray(random, columns);
                foreach (bool accumulate in new[] { false, true })
                {
                    foreach (bool inPlace in new[] { false, true })
                    {
                        float[] dzActual = inPlace ? (float[])dy.Clone() : new float[dy.Length];
                        float[] dzExpected = new float[dy.Length];
                        float[] dbActual = (float[])db0.Clone(), dbExpected = (float[])db0.Clone();
                        LinearEpilogue.ReluBackward(rows, columns, y, inPlace ? dzActual : dy, dzActual, dbActual, accumulate);
                        LinearEpilogueReference.ReluBackward(rows, columns, y, dy, dzExpected, dbExpected, accumulate);
                        Assert.True(BitEqual(dzExpected, dzActual), $"dz [{rows}, {columns}] accumulate={accumulate} inPlace={inPlace}");
                        Assert.True(BitEqual(dbExpected, dbActual), $"db [{rows}, {columns}] accumulate={accumulate} inPlace={inPlace}");
                    }
                }
                float[] dzNoBias = new float[dy.Length], dzTwin = new float[dy.Length];
                LinearEpilogue.ReluBackward(rows, columns, y, dy, dzNoBias, default, false);
                LinearEpilogueReference.ReluBackward(rows, columns, y, dy, dzTwin, default, false);
                Assert.True(BitEqual(dzTwin, dzNoBias));
            }
        }
    }

    public static TheoryData<int, int, int, bool, bool> Shapes() => new()
    {
        // m, n, k, transposeA, transposeB: tiny (scalar path), small (direct), the MLP's layers, odd edges.
        { 4, 4, 2, false, true },
        { 13, 31, 17, false, false },
        { 40, 40, 270, false, true },
        { 128, 500, 784, false, true },
        { 128, 500, 500, false, true },
        { 128, 10, 500, false, true },
        { 300, 70, 600, true, false },
        { 1000, 45, 300, false, true },
        { 7, 3, 0, false, true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FusedProduct_IsTheProductThenTheEpilogue_OnEveryPathAndThreadCount(int m, int n, int k, bool transposeA, bool transposeB)
    {
        var random = new Random(m * 31 + n * 7 + k);
        int lda = (transposeA ? m : k) + 1, ldb = (transposeB ? k : n) + 2, ldc = n + 3;
        float[] a = RandomArray(random, Math.Max(1, (transposeA ? k : m) * lda));
        float[] b = RandomArray(random, Math.Max(1, (transposeB ? n : k) * ldb));
        float[] bias = RandomArray(random, n, 5f);
        const float Sentinel = 12345f;
        int saved = Gemm.MaxThreads;
        try
        {
            foreach (bool relu in new[] { false, true })
            {
                foreach (bool withBias in new[] { false, true })
                {
                    float[] expected = Filled(m * ldc, Sentinel);
                    Gemm.Multiply(m, n, k, a, lda, transposeA, b, ldb, transposeB, expected, ldc);
                    LinearEpilogueReference.Apply(m, n, expected, ldc, withBias ? bias : default, relu);
                    foreach (Gemm.Route route in new[] { Gemm.Route.Automatic, Gemm.Route.Direct, Gemm.Route.Packed })
                    {
                        foreach (int threads in new[] { 1, 2 })
                        {
                            Gemm.MaxThreads = threads;
                            Gemm.ForcedRoute = route;
                            float[] actual = Filled(m * ldc, Sentinel);
                            Gemm.MultiplyWithEpilogue(m, n, k, a, lda, transposeA, b, ldb, transposeB, actual, ldc, withBias ? bias : default, relu);
                            Gemm.ForcedRoute = Gemm.Route.Automatic;
                            Assert.True(BitEqual(expected, actual), $"{m}x{n}x{k} relu={relu} bias={withBias} {route} on {threads} threads");
                        }
                    }
                }
            }
        }
        finally
        {
            Gemm.MaxThreads = saved;
            Gemm.ForcedRoute = Gemm.Route.Automatic;
        }
    }

    [Fact]
    public void FusedProduct_RejectsABiasOfTheWrongLength()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplyWithEpilogue(2, 3, 4, new float[8], 4, false, new float[12], 3, false, new float[6], 3, new float[2], relu: true));
        Assert.Equal("bias", error.ParamName);
        Assert.Contains("n=3", error.Message, StringComparison.Ordinal);
    }

    private static float[] Filled(int length, float value)
    {
        var values = new float[length];
        values.AsSpan().Fill(value);
        return values;
    }

    private static bool BitEqual(float[] expected, float[] actual) =>
        expected.Length == actual.Length && expected.Select(BitConverter.SingleToInt32Bits).SequenceEqual(actual.Select(BitConverter.SingleToInt32Bits));
}
