using Dendrite.Kernels;
using Dendrite.Tests.Support;

namespace Dendrite.Tests.Kernels;

/// <summary>The fused gate kernels against their plain twin, for hidden sizes around the vector width.</summary>
public class RecurrentCellsTests
{
    public static TheoryData<int> Sizes() => new() { 1, 3, 7, 8, 9, 16, 17, 33 };

    private static float[] Random(RandomGenerator generator, int count, float scale = 2f) => Tensor.Uniform([count], -scale, scale, generator).ToArray();

    [Theory]
    [MemberData(nameof(Sizes))]
    public void LstmMatchesItsTwin(int hidden)
    {
        foreach (bool peep in new[] { false, true })
        {
            var generator = new RandomGenerator(hidden);
            float[] a = Random(generator, 4 * hidden, 3f), cp = Random(generator, hidden), p = peep ? Random(generator, 3 * hidden, 0.5f) : [];
            float[] bias = peep ? Random(generator, 4 * hidden, 0.5f) : [];
            float[] dh = Random(generator, hidden), dc = Random(generator, hidden);
            float[] gatesFast = (float[])a.Clone(), gatesPlain = (float[])a.Clone();
            float[] cFast = new float[hidden], cPlain = new float[hidden], tFast = new float[hidden], tPlain = new float[hidden], hFast = new float[hidden], hPlain = new float[hidden];
            RecurrentCells.LstmForward(gatesFast, bias, cp, p, cFast, tFast, hFast);
            RecurrentCellsReference.LstmForward(gatesPlain, bias, cp, p, cPlain, tPlain, hPlain);
            Assertions.AllClose(gatesPlain, gatesFast, 1e-5, 1e-6, "gates");
            Assertions.AllClose(cPlain, cFast, 1e-5, 1e-6, "cell");
            Assertions.AllClose(tPlain, tFast, 1e-5, 1e-6, "tanh(cell)");
            Assertions.AllClose(hPlain, hFast, 1e-5, 1e-6, "hidden");

            float[] daFast = new float[4 * hidden], daPlain = new float[4 * hidden], dcpFast = new float[hidden], dcpPlain = new float[hidden];
            float[] dpFast = new float[p.Length], dpPlain = new float[p.Length], dbFast = new float[4 * hidden], dbPlain = new float[4 * hidden];
            RecurrentCells.LstmBackward(gatesPlain, cp, cPlain, tPlain, p, dh, default, dc, default, daFast, dcpFast, dpFast, dbFast);
            RecurrentCellsReference.LstmBackward(gatesPlain, cp, cPlain, tPlain, p, dh, default, dc, default, daPlain, dcpPlain, dpPlain, dbPlain);
            Assertions.AllClose(daPlain, daFast, 1e-5, 1e-6, "dL/da");
            Assertions.AllClose(dcpPlain, dcpFast, 1e-5, 1e-6, "dL/dc_prev");
            Assertions.AllClose(dpPlain, dpFast, 1e-5, 1e-6, "dL/dpeepholes");
            Assertions.AllClose(daPlain, dbFast, 1e-5, 1e-6, "dL/db");

            // The gradients in two parts, and the cell carry overwritten in place by dL/dc_prev: the same as their sums.
            float[] half = dh.Select(v => v / 2).ToArray(), carry = dc.Select(v => v / 4).ToArray(), rest = dc.Select(v => v * 3 / 4).ToArray();
            float[] daSplit = new float[4 * hidden];
            RecurrentCells.LstmBackward(gatesPlain, cp, cPlain, tPlain, p, half, half, rest, carry, daSplit, carry, new float[p.Length], default);
            Assertions.AllClose(daPlain, daSplit, 1e-5, 1e-6, "dL/da from split gradients");
            Assertions.AllClose(dcpPlain, carry, 1e-5, 1e-6, "dL/dc_prev over the carry");
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void GruMatchesItsTwin(int hidden)
    {
        var generator = new RandomGenerator(100 + hidden);
        float[] u = Random(generator, 3 * hidden, 3f), v = Random(generator, 3 * hidden, 3f), hp = Random(generator, hidden), dh = Random(generator, hidden);
        float[] sFast = new float[4 * hidden], sPlain = new float[4 * hidden], hFast = new float[hidden], hPlain = new float[hidden];
        RecurrentCells.GruForward(u, v, hp, sFast, hFast);
        RecurrentCellsReference.GruForward(u, v, hp, sPlain, hPlain);
        Assertions.AllClose(sPlain, sFast, 1e-5, 1e-6, "saved gates");
        Assertions.AllClose(hPlain, hFast, 1e-5, 1e-6, "hidden");

        float[] duFast = new float[3 * hidden], duPlain = new float[3 * hidden], dvFast = new float[3 * hidden], dvPlain = new float[3 * hidden];
        float[] dhpFast = new float[hidden], dhpPlain = new float[hidden];
        RecurrentCells.GruBackward(sPlain, hp, dh, duFast, dvFast, dhpFast);
        RecurrentCellsReference.GruBackward(sPlain, hp, dh, duPlain, dvPlain, dhpPlain);
        Assertions.AllClose(duPlain, duFast, 1e-5, 1e-6, "dL/du");
        Assertions.AllClose(dvPlain, dvFast, 1e-5, 1e-6, "dL/dv");
        Assertions.AllClose(dhpPlain, dhpFast, 1e-5, 1e-6, "dL/dh_prev");
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void RnnMatchesItsTwin(int hidden)
    {
        foreach (bool relu in new[] { false, true })
        {
            var generator = new RandomGenerator(200 + hidden);
            float[] a = Random(generator, hidden, 4f), dh = Random(generator, hidden);
            float[] fast = (float[])a.Clone(), plain = (float[])a.Clone();
            RecurrentCells.RnnForward(fast, relu);
            RecurrentCellsReference.RnnForward(plain, relu);
            Assertions.AllClose(plain, fast, 1e-5, 1e-6, "activation");
            float[] dFast = new float[hidden], dPlain = new float[hidden];
            RecurrentCells.RnnBackward(plain, dh, dFast, relu);
            RecurrentCellsReference.RnnBackward(plain, dh, dPlain, relu);
            Assertions.AllClose(dPlain, dFast, 1e-5, 1e-6, "dL/da");
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(16)]
    public void TanhAndSigmoidHaveExactLimits(int hidden)
    {
        // i saturates at 0, f at 1, g at ±1 and o at ±: no NaN from overflowing exponentials, in the vector lanes and the tail.
        float[] gates = new float[4 * hidden];
        for (int j = 0; j < hidden; j++)
        {
            float sign = j % 2 == 0 ? 1f : -1f;
            gates[j] = -200f;
            gates[hidden + j] = 200f;
            gates[2 * hidden + j] = 1000f * sign;
            gates[3 * hidden + j] = 200f * sign;
        }
        float[] cell = new float[hidden], tanhCell = new float[hidden], hidden2 = new float[hidden];
        RecurrentCells.LstmForward(gates, [], Enumerable.Repeat(3f, hidden).ToArray(), [], cell, tanhCell, hidden2);
        for (int j = 0; j < hidden; j++)
        {
            float sign = j % 2 == 0 ? 1f : -1f;
            Assert.Equal(0f, gates[j]);
            Assert.Equal(1f, gates[hidden + j]);
            Assert.Equal(sign, gates[2 * hidden + j]);
            Assert.Equal(sign > 0 ? 1f : 0f, gates[3 * hidden + j]);
            Assert.Equal(3f, cell[j]);
        }
        Assert.All(hidden2, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void ZoneoutMixesAndSplitsTheGradient()
    {
        float[] state = [1f, 2f, 3f];
        RecurrentCells.ZoneoutForward([0f, 1f, 0.25f], [10f, 20f, 30f], state);
        Assert.Equal([1f, 20f, 3f + 0.25f * 27f], state);
        float[] gradient = [4f, 4f, 4f], previous = new float[3];
        RecurrentCells.ZoneoutBackward([0f, 1f, 0.25f], gradient, previous);
        Assert.Equal([4f, 0f, 3f], gradient);
        Assert.Equal([0f, 4f, 1f], previous);
    }
}

/// <summary>The per-step product with a packed recurrent weight against the plain GEMM twin.</summary>
public class RecurrentGemmTests
{
    [Theory]
    [InlineData(1, 7, 5, false)]
    [InlineData(8, 32, 16, false)]
    [InlineData(13, 40, 9, true)]
    [InlineData(16, 1024, 256, true)]
    [InlineData(5, 256, 1024, false)]
    public void MatchesTheReference(int m, int n, int k, bool transposeB)
    {
        var generator = new RandomGenerator(m * 1000 + n);
        int lda = k + 3, ldc = n + 5, ldb = transposeB ? k + 1 : n + 2;
        float[] a = Tensor.Uniform([m * lda], -1f, 1f, generator).ToArray();
        float[] b = Tensor.Uniform([(transposeB ? n : k) * ldb], -1f, 1f, generator).ToArray();
        float[] start = Tensor.Uniform([m * ldc], -1f, 1f, generator).ToArray();
        using var packed = new PackedMatrix();
        packed.Pack(k, n, b, ldb, transposeB);
        foreach (bool accumulate in new[] { false, true })
        {
            float[] fast = (float[])start.Clone(), plain = (float[])start.Clone();
            RecurrentGemm.Multiply(m, a, lda, packed, fast, ldc, accumulate);
            GemmReference.Multiply(m, n, k, a, lda, false, b, ldb, transposeB, plain, ldc, accumulate);
            Support.Assertions.AllClose(plain, fast, 1e-5, 1e-4, $"C ({m}x{n}x{k}, accumulate {accumulate})");
        }
    }

    [Theory]
    [InlineData(1, 7, 5, false)]
    [InlineData(13, 40, 9, true)]
    [InlineData(16, 1024, 256, true)]
    [InlineData(5, 256, 1024, false)]
    public void MultiplyAddIsCopyingTheRowsThenAccumulating(int m, int n, int k, bool transposeB)
    {
        var generator = new RandomGenerator(m * 1000 + n + 7);
        int lda = k + 3, ldc = n + 5, ldb = transposeB ? k + 1 : n + 2, tableRows = 11;
        float[] a = Tensor.Uniform([m * lda], -1f, 1f, generator).ToArray();
        float[] b = Tensor.Uniform([(transposeB ? n : k) * ldb], -1f, 1f, generator).ToArray();
        float[] table = Tensor.Uniform([tableRows * n], -1f, 1f, generator).ToArray();
        int[] rows = Enumerable.Range(0, m).Select(i => (i * 7 + 3) % tableRows).ToArray();
        using var packed = new PackedMatrix();
        packed.Pack(k, n, b, ldb, transposeB);
        float[] fast = Tensor.Uniform([m * ldc], -1f, 1f, generator).ToArray(), copied = (float[])fast.Clone();
        RecurrentGemm.MultiplyAdd(m, a, lda, packed, table, rows, fast, ldc);
        for (int i = 0; i < m; i++) table.AsSpan(rows[i] * n, n).CopyTo(copied.AsSpan(i * ldc, n));
        RecurrentGemm.Multiply(m, a, lda, packed, copied, ldc, accumulate: true);
        Assert.Equal(copied, fast);
    }

    [Theory]
    [InlineData(1, 7, 5)]
    [InlineData(13, 40, 9)]
    [InlineData(16, 64, 33)]
    public void FillingRowByRowIsPacking(int m, int n, int k)
    {
        // Allocate + SetRow (the LSTM's backward blocks write H_prev that way) must give the products of Pack,
        // bit for bit, also over a partial last panel whose padding was garbage before.
        var generator = new RandomGenerator(m * 31 + n);
        float[] a = Tensor.Uniform([m * k], -1f, 1f, generator).ToArray(), b = Tensor.Uniform([k * n], -1f, 1f, generator).ToArray();
        using var packed = new PackedMatrix();
        packed.Pack(k, n, b, n, transposeB: false);
        float[] expected = new float[m * n];
        RecurrentGemm.Multiply(m, a, k, packed, expected, n, accumulate: false);
        using var filled = new PackedMatrix();
        filled.Pack(k + 3, n + 20, Enumerable.Repeat(float.NaN, (k + 3) * (n + 20)).ToArray(), n + 20, transposeB: false);
        filled.Allocate(k, n);
        for (int row = 0; row < k; row++) filled.SetRow(row, b.AsSpan(row * n, n));
        float[] actual = new float[m * n];
        RecurrentGemm.Multiply(m, a, k, filled, actual, n, accumulate: false);
        Assert.Equal(expected, actual);
        Assert.Throws<ArgumentException>(() => filled.SetRow(k, b.AsSpan(0, n)));
    }
}
