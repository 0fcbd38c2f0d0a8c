using Dendrite.Kernels;

namespace Dendrite.Tests.Kernels;

// Gemm against a double-precision triple loop (and GemmReference), on every path: the unpacked
// small-product path, the packed path on one and two threads, and each micro-kernel this machine has.
// Error measure: max |c - ref| / sum_k |a_ik b_kj| (plain relative error is dominated by entries
// near zero); float32 accumulation over a few hundred terms stays around 1e-7.
public sealed class GemmTests
{
    private const double Tolerance = 1e-6;

    /// <summary>The kernels to cover, every one up to what the hardware has, by name (the enum is internal).</summary>
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (Gemm.InstructionSet kernel in Enum.GetValues<Gemm.InstructionSet>())
        {
            // The scalar kernel is the reference itself (see ScalarKernel_IsTheReference); cover it here
            // only on a machine that has nothing else.
            bool vector = kernel != Gemm.InstructionSet.Scalar || Gemm.HardwareKernel == Gemm.InstructionSet.Scalar;
            if (kernel <= Gemm.HardwareKernel && vector) data.Add(kernel.ToString());
        }
        return data;
    }

    public static TheoryData<bool, bool> Transposes() => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    public static TheoryData<string, int, int, int, bool, bool> MlpShapes() => new()
    {
        // name, m, n, k, transposeA, transposeB: the products of a 784-500-10 MLP at batch 128.
        { "forward 128x784 · 784x500", 128, 500, 784, false, false },
        { "weight gradient (784x128)ᵀ · 128x500", 784, 500, 128, true, false },
        { "input gradient 128x500 · (784x500)ᵀ", 128, 784, 500, false, true },
        { "output layer 128x500 · 500x10", 128, 10, 500, false, false },
        { "odd 1000x784 · 784x500", 1000, 500, 784, false, false },
    };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void EverySmallShape_MatchesReference_OnDirectAndPackedPaths(string kernelName)
    {
        var kernel = Enum.Parse<Gemm.InstructionSet>(kernelName);
        var random = new Random(1);
        int saved = Gemm.MaxThreads;
        try
        {
            // One thread: here the packing and the edge kernels are under test; the threaded split is
            // covered by EveryPath_GivesIdenticalBits, and a worker woken for 20,000 tiny products
            // would dominate the run time.
            Gemm.MaxThreads = 1;
            Gemm.Kernel = kernel;
            foreach (int k in new[] { 1, 7, 19 })
            {
                for (int m = 1; m <= 40; m++)
                {
                    for (int n = 1; n <= 40; n++)
                    {
                        foreach (bool transposeA in new[] { false, true })
                        {
                            foreach (bool transposeB in new[] { false, true })
                            {
                                var problem = Problem.Random(random, m, n, k, transposeA, transposeB);
                                foreach (Gemm.Route route in new[] { Gemm.Route.Direct, Gemm.Route.Packed })
                                {
                                    Gemm.ForcedRoute = route;
                                    float[] c = problem.Run();
                                    problem.AssertClose(c, $"{kernel} {route}");
                                }
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            Gemm.MaxThreads = saved;
            ResetThreadOverrides();
        }
    }

    [Theory]
    [MemberData(nameof(Transposes))]
    public void LargerOddShapes_MatchReference_AcrossBlockBoundaries(bool transposeA, bool transposeB)
    {
        var random = new Random(2);
        // k = 259 and 513 cross one and two k blocks; n = 543 crosses a 512-column task; with k = 8000
        // all of k packed fits 504 rows, so m = 520 crosses a row block (on one thread and on two), and
        // 512 columns, so n = 530 crosses a column block.
        foreach ((int m, int n, int k) in new[] { (29, 61, 259), (1030, 45, 300), (33, 543, 513), (128, 500, 20), (1, 700, 100), (700, 1, 100), (520, 40, 8000), (30, 530, 8000) })
        {
            var problem = Problem.Random(random, m, n, k, transposeA, transposeB);
            // Tall products are checked on the rows around each panel and block edge, to keep the test fast.
            int[]? rows = m > 500 ? new[] { 0, 1, 13, 14, 15, 27, 28, 503, 504, 505, 1006, 1007, 1008, 1009, m - 1 }.Where(row => row < m).ToArray() : null;
            problem.AssertClose(problem.Run(), "automatic", rows);
        }
    }

    [Theory]
    [MemberData(nameof(Transposes))]
    public void PaddedLeadingDimensions_AreRespected_AndPaddingIsUntouched(bool transposeA, bool transposeB)
    {
        var random = new Random(3);
        try
        {
            foreach ((int m, int n, int k) in new[] { (3, 5, 7), (17, 33, 21), (45, 70, 300) })
            {
                // Padding of A and B is NaN, so any read of it shows in C; padding of C must stay as it was.
                var problem = Problem.Random(random, m, n, k, transposeA, transposeB, paddingA: 3, paddingB: 5, paddingC: 7);
                foreach (Gemm.Route route in new[] { Gemm.Route.Direct, Gemm.Route.Packed, Gemm.Route.Automatic })
                {
                    Gemm.ForcedRoute = route;
                    problem.AssertClose(problem.Run(), route.ToString());
                    problem.AssertClose(problem.Run(accumulate: true), route + " accumulate", accumulate: true);
                }
            }
        }
        finally
        {
            ResetThreadOverrides();
        }
    }

    [Theory]
    [MemberData(nameof(MlpShapes))]
    public void MlpShapes_MatchReference(string name, int m, int n, int k, bool transposeA, bool transposeB)
    {
        var problem = Problem.Random(new Random(4), m, n, k, transposeA, transposeB);
        float[] c = problem.Run();
        // Checked on the rows around the first panel edges, one in the middle and the last ones (the
        // bottom edge panel), which keeps the double-precision reference fast.
        int[] rows = [0, 1, 5, 6, 13, 14, 15, 27, 28, m / 2, m - 3, m - 2, m - 1];
        problem.AssertClose(c, name, rows);
        problem.AssertClose(problem.Run(accumulate: true), name + " accumulate", rows, accumulate: true);
    }

    [Theory]
    [MemberData(nameof(MlpShapes))]
    public void OneAndTwoThreads_GiveIdenticalBits(string name, int m, int n, int k, bool transposeA, bool transposeB)
    {
        var problem = Problem.Random(new Random(5), m, n, k, transposeA, transposeB);
        int saved = Gemm.MaxThreads;
        try
        {
            Gemm.MaxThreads = 1;
            float[] one = problem.Run();
            Gemm.MaxThreads = 2;
            float[] two = problem.Run();
            Assert.True(one.AsSpan().SequenceEqual(two), $"{name}: MaxThreads=1 and 2 differ");
        }
        finally
        {
            Gemm.MaxThreads = saved;
        }
    }

    [Theory]
    [MemberData(nameof(MlpShapes))]
    public void PanelsPackedPrivately_WhenAnotherThreadIsSlow_GiveIdenticalBits(string name, int m, int n, int k, bool transposeA, bool transposeB)
    {
        // With no wait at all, a thread that finds a panel being packed by the other packs its own copy.
        var problem = Problem.Random(new Random(11), m, n, k, transposeA, transposeB);
        int saved = Gemm.MaxThreads;
        long savedWait = Gemm.PanelWaitTicks;
        try
        {
            Gemm.MaxThreads = 1;
            float[] one = problem.Run();
            Gemm.MaxThreads = 2;
            Gemm.PanelWaitTicks = 0;
            for (int i = 0; i < 5; i++)
                Assert.True(one.AsSpan().SequenceEqual(problem.Run()), $"{name}: private panels changed the result");
        }
        finally
        {
            Gemm.MaxThreads = saved;
            Gemm.PanelWaitTicks = savedWait;
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void EveryPath_GivesIdenticalBits(string kernelName)
    {
        var kernel = Enum.Parse<Gemm.InstructionSet>(kernelName);
        // Direct, packed on one thread, packed on two threads, A packed or read in place, and the AVX2 and AVX-512 kernels all sum
        // each element in the same order, so they agree to the bit, not just within tolerance.
        var random = new Random(6);
        int saved = Gemm.MaxThreads;
        try
        {
            foreach ((int m, int n, int k) in new[] { (1, 1, 1), (4, 2, 4), (13, 31, 17), (40, 40, 270), (300, 70, 600), (64, 200, 33), (30, 16, 300), (45, 10, 520) })
            {
                foreach ((bool transposeA, bool transposeB) in new[] { (false, false), (true, false), (false, true), (true, true) })
                {
                    var problem = Problem.Random(random, m, n, k, transposeA, transposeB);
                    Gemm.ForcedRoute = Gemm.Route.Direct;
                    float[] expected = problem.Run();
                    foreach (int threads in new[] { 1, 2 })
                    {
                        // packA: the AVX-512 kernel reads a row-major A in place unless told to pack it.
                        foreach (bool packA in new[] { false, true })
                        {
                            Gemm.MaxThreads = threads;
                            Gemm.ForcedRoute = Gemm.Route.Packed;
                            Gemm.Kernel = kernel;
                            Gemm.PackAAlways = packA;
                            float[] actual = problem.Run();
                            ResetThreadOverrides();
                            Assert.True(expected.AsSpan().SequenceEqual(actual),
                                $"{m}x{n}x{k} transposeA={transposeA} transposeB={transposeB}: {kernel} packed (packA={packA}) on {threads} threads differs from direct");
                        }
                    }
                }
            }
        }
        finally
        {
            Gemm.MaxThreads = saved;
            ResetThreadOverrides();
        }
    }

    [Fact]
    public void ScalarKernel_IsTheReference()
    {
        var problem = Problem.Random(new Random(7), 23, 19, 37, true, false);
        try
        {
            Gemm.Kernel = Gemm.InstructionSet.Scalar;
            float[] actual = problem.Run();
            float[] expected = problem.Initial();
            GemmReference.Multiply(problem.M, problem.N, problem.K, problem.A, problem.Lda, problem.TransposeA,
                problem.B, problem.Ldb, problem.TransposeB, expected, problem.Ldc);
            Assert.Equal(expected, actual);
        }
        finally
        {
            ResetThreadOverrides();
        }
    }

    [Theory]
    [InlineData(0L, 1L)]
    [InlineData(1L, 0L)]
    [InlineData(1L, 1L)]
    public void Batched_MatchesReference_IncludingBroadcast(long aFactor, long bFactor)
    {
        var random = new Random(8);
        try
        {
            foreach (Gemm.Route route in new[] { Gemm.Route.Automatic, Gemm.Route.Direct, Gemm.Route.Packed })
            {
                Gemm.ForcedRoute = route;
                foreach ((int batch, int m, int n, int k) in new[] { (5, 7, 9, 11), (16, 64, 64, 64), (3, 40, 33, 300) })
                {
                    // Stride 0 for a factor of 0: the one matrix is used by every product.
                    long strideA = aFactor * (m * k + 3), strideB = bFactor * (k * n + 1), strideC = m * n + 2;
                    float[] a = RandomArray(random, (int)((batch - 1) * strideA + m * k));
                    float[] b = RandomArray(random, (int)((batch - 1) * strideB + k * n));
                    float[] c = new float[(batch - 1) * strideC + m * n];
                    Gemm.MultiplyBatched(batch, m, n, k, a, k, strideA, false, b, n, strideB, false, c, n, strideC);
                    for (int i = 0; i < batch; i++)
                    {
                        var problem = new Problem(m, n, k, a[(int)(i * strideA)..], k, false, b[(int)(i * strideB)..], n, false, n);
                        problem.AssertClose(c[(int)(i * strideC)..], $"{route} batch {i} of {batch} ({m}x{n}x{k})");
                    }
                }
            }
        }
        finally
        {
            ResetThreadOverrides();
        }
    }

    [Fact]
    public void Batched_WithOverlappingC_AccumulatesInBatchOrder()
    {
        // strideC = 0 with accumulate sums the products, exactly as the same calls one after another do.
        var random = new Random(9);
        const int Batch = 6, M = 20, N = 30, K = 40;
        float[] a = RandomArray(random, Batch * M * K), b = RandomArray(random, Batch * K * N);
        float[] c = RandomArray(random, M * N), expected = (float[])c.Clone();
        Gemm.MultiplyBatched(Batch, M, N, K, a, K, M * K, false, b, N, K * N, false, c, N, 0, accumulate: true);
        for (int i = 0; i < Batch; i++)
        {
            var problem = new Problem(M, N, K, a[(i * M * K)..], K, false, b[(i * K * N)..], N, false, N, initial: expected);
            expected = problem.Run(accumulate: true);
        }
        Assert.Equal(expected, c);
    }

    [Fact]
    public void ZeroDepth_ClearsC_OrLeavesItWhenAccumulating()
    {
        float[] c = [1, 2, 3, 4, 5, 6, 99];
        Gemm.Multiply(2, 3, 0, [], 0, false, [], 3, false, c, 3, accumulate: true);
        Assert.Equal([1, 2, 3, 4, 5, 6, 99], c);
        Gemm.Multiply(2, 3, 0, [], 0, false, [], 3, false, c, 3);
        Assert.Equal([0, 0, 0, 0, 0, 0, 99], c);
    }

    [Fact]
    public void EmptyResult_DoesNothing()
    {
        float[] c = [7, 7];
        Gemm.Multiply(0, 2, 3, [], 3, false, new float[6], 2, false, c, 2);
        Gemm.Multiply(2, 0, 3, new float[6], 3, false, [], 0, false, c, 0);
        Gemm.MultiplyBatched(0, 1, 2, 3, [], 3, 3, false, [], 2, 6, false, c, 2, 2);
        Assert.Equal([7, 7], c);
    }

    [Theory]
    [InlineData("a", 10, 20, 30, 20, 30, 30, 100, "Gemm: a has 100 elements but m=10, k=20, lda=20 (transposeA=false) needs 200")]
    [InlineData("lda", 10, 20, 30, 19, 30, 30, 200, "lda=19 is less than the 20 elements of a row of a")]
    [InlineData("ldb", 10, 20, 30, 20, 29, 30, 200, "ldb=29 is less than the 30 elements of a row of b")]
    [InlineData("ldc", 10, 20, 30, 20, 30, 29, 200, "ldc=29 is less than n=30")]
    [InlineData("m", -1, 20, 30, 20, 30, 30, 200, "m=-1")]
    [InlineData("n", 10, 20, -2, 20, 30, 30, 200, "n=-2")]
    [InlineData("k", 10, -3, 30, 20, 30, 30, 200, "k=-3")]
    public void InvalidArguments_ThrowArgumentException_NamingTheArgument(string parameter, int m, int k, int n, int lda, int ldb, int ldc, int aLength, string message)
    {
        var exception = Assert.Throws<ArgumentException>(() => Gemm.Multiply(m, n, k,
            new float[aLength], lda, false, new float[Math.Max(0, k * ldb)], ldb, false, new float[Math.Max(0, m * ldc)], ldc));
        Assert.Equal(parameter, exception.ParamName);
        Assert.Contains(message, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShortSpans_AreReportedWithTheirLayout()
    {
        var b = Assert.Throws<ArgumentException>(() => Gemm.Multiply(4, 5, 6, new float[24], 6, false, new float[29], 6, true, new float[20], 5));
        Assert.Equal("b", b.ParamName);
        Assert.Contains("b has 29 elements but k=6, n=5, ldb=6 (transposeB=true) needs 30", b.Message, StringComparison.Ordinal);

        var c = Assert.Throws<ArgumentException>(() => Gemm.Multiply(4, 5, 6, new float[24], 6, false, new float[30], 5, false, new float[19], 5));
        Assert.Equal("c", c.ParamName);
        Assert.Contains("c has 19 elements but m=4, n=5, ldc=5 needs 20", c.Message, StringComparison.Ordinal);

        var batched = Assert.Throws<ArgumentException>(() => Gemm.MultiplyBatched(3, 2, 2, 2,
            new float[4], 2, 4, false, new float[4], 2, 0, false, new float[12], 2, 4));
        Assert.Equal("a", batched.ParamName);
        Assert.Contains("batch=3, strideA=4", batched.Message, StringComparison.Ordinal);

        var stride = Assert.Throws<ArgumentException>(() => Gemm.MultiplyBatched(2, 2, 2, 2,
            new float[8], 2, -4, false, new float[4], 2, 0, false, new float[8], 2, 4));
        Assert.Equal("strideA", stride.ParamName);
    }

    [Fact]
    public void RandomArguments_EitherWorkOrThrowArgumentException()
    {
        // No IndexOutOfRangeException (or worse, a silent out-of-bounds write) may come from inside the kernel.
        var random = new Random(10);
        for (int trial = 0; trial < 3000; trial++)
        {
            int m = random.Next(-1, 6), n = random.Next(-1, 6), k = random.Next(-1, 6);
            int lda = random.Next(-1, 7), ldb = random.Next(-1, 7), ldc = random.Next(-1, 7);
            bool transposeA = random.Next(2) == 1, transposeB = random.Next(2) == 1;
            float[] a = RandomArray(random, random.Next(0, 40)), b = RandomArray(random, random.Next(0, 40));
            float[] c = new float[random.Next(0, 40) + 8];
            // The last 8 elements are outside the span given to Gemm and must never change.
            Span<float> target = c.AsSpan(0, c.Length - 8);
            try
            {
                Gemm.Multiply(m, n, k, a, lda, transposeA, b, ldb, transposeB, target, ldc);
            }
            catch (ArgumentException)
            {
                continue;
            }
            Assert.All(c[^8..], value => Assert.Equal(0f, value));
            float[] expected = new float[target.Length];
            GemmReference.Multiply(m, n, k, a, lda, transposeA, b, ldb, transposeB, expected, ldc);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                    Assert.True(Math.Abs(expected[i * ldc + j] - c[i * ldc + j]) <= 1e-5f, $"trial {trial}: [{i}, {j}]");
            }
        }
    }

    [Fact]
    public void MaxThreads_RejectsLessThanOne()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.MaxThreads = 0);
    }

    [Fact]
    public void AfterWarmUp_CallsAllocateNoManagedMemory()
    {
        int saved = Gemm.MaxThreads;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                Gemm.MaxThreads = threads;
                foreach ((int m, int n, int k, bool transposeA, bool transposeB) in new[] { (4, 2, 4, false, false), (30, 20, 40, false, true), (128, 500, 300, false, false), (300, 128, 200, true, true) })
                {
                    var problem = Problem.Random(new Random(11), m, n, k, transposeA, transposeB);
                    float[] c = problem.Initial();
                    // Warm-up: thread-local workspaces, the worker thread, and the JIT's tiering.
                    for (int i = 0; i < 20; i++) problem.RunInto(c);
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < 3; i++) problem.RunInto(c);
                    long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    Assert.True(allocated == 0, $"{m}x{n}x{k} on {threads} threads allocated {allocated} bytes");
                }

                float[] batchA = new float[16 * 32 * 32], batchB = new float[32 * 32], batchC = new float[16 * 32 * 32];
                Gemm.MultiplyBatched(16, 32, 32, 32, batchA, 32, 32 * 32, false, batchB, 32, 0, false, batchC, 32, 32 * 32);
                long start = GC.GetAllocatedBytesForCurrentThread();
                Gemm.MultiplyBatched(16, 32, 32, 32, batchA, 32, 32 * 32, false, batchB, 32, 0, false, batchC, 32, 32 * 32);
                Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - start);
            }
        }
        finally
        {
            Gemm.MaxThreads = saved;
        }
    }

    [Fact]
    public void ConcurrentCallers_GetTheSameBitsAsOneCaller()
    {
        // Several user threads at once (e.g. parallel hyper-parameter trials): one gets the worker team,
        // the others run on their own threads; all must finish and agree with a lone call.
        var problems = Enumerable.Range(0, 4).Select(i => Problem.Random(new Random(12 + i), 150 + i, 130, 260, i % 2 == 1, i >= 2)).ToArray();
        float[][] expected = problems.Select(p => p.Run()).ToArray();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, caller =>
        {
            var problem = problems[caller % 4];
            for (int repeat = 0; repeat < 10; repeat++)
            {
                if (!problem.Run().AsSpan().SequenceEqual(expected[caller % 4]))
                    failures.Add($"caller {caller} repeat {repeat}");
            }
        });
        Assert.Empty(failures);
    }

    private static void ResetThreadOverrides()
    {
        Gemm.Kernel = Gemm.HardwareKernel;
        Gemm.ForcedRoute = Gemm.Route.Automatic;
        Gemm.PackAAlways = false;
    }

    private static float[] RandomArray(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    /// <summary>One product with its operands, stored with the given transposes and row strides.</summary>
    private sealed class Problem(int m, int n, int k, float[] a, int lda, bool transposeA, float[] b, int ldb, bool transposeB, int ldc, float[]? initial = null)
    {
        public int M { get; } = m;
        public int N { get; } = n;
        public int K { get; } = k;
        public float[] A { get; } = a;
        public int Lda { get; } = lda;
        public bool TransposeA { get; } = transposeA;
        public float[] B { get; } = b;
        public int Ldb { get; } = ldb;
        public bool TransposeB { get; } = transposeB;
        public int Ldc { get; } = ldc;

        /// <summary>C before the call: random values in the rows, a sentinel in the padding.</summary>
        private readonly float[] initialC = initial ?? MakeInitial(m, n, ldc);

        public static Problem Random(Random random, int m, int n, int k, bool transposeA, bool transposeB,
            int paddingA = 0, int paddingB = 0, int paddingC = 0)
        {
            (int aRows, int aColumns) = transposeA ? (k, m) : (m, k);
            (int bRows, int bColumns) = transposeB ? (n, k) : (k, n);
            return new Problem(m, n, k,
                Padded(random, aRows, aColumns, aColumns + paddingA), aColumns + paddingA, transposeA,
                Padded(random, bRows, bColumns, bColumns + paddingB), bColumns + paddingB, transposeB,
                n + paddingC);
        }

        public float[] Initial() => (float[])initialC.Clone();

        public float[] Run(bool accumulate = false)
        {
            float[] c = Initial();
            RunInto(c, accumulate);
            return c;
        }

        public void RunInto(float[] c, bool accumulate = false)
            => Gemm.Multiply(M, N, K, A, Lda, TransposeA, B, Ldb, TransposeB, c, Ldc, accumulate);

        /// <summary>Checks C (= op(A)·op(B), or initial C + op(A)·op(B) when accumulating) against a double triple loop.</summary>
        // The double-precision product and sum_k |a_ik b_kj| per row, computed once per row on demand.
        private readonly Dictionary<int, (double[] Sum, double[] Magnitude)> reference = [];

        public void AssertClose(float[] c, string context, int[]? rows = null, bool accumulate = false)
        {
            double worst = 0;
            string where = "";
            foreach (int i in rows ?? Enumerable.Range(0, M).ToArray())
            {
                (double[] sums, double[] magnitudes) = Reference(i);
                for (int j = 0; j < N; j++)
                {
                    double sum = sums[j], magnitude = magnitudes[j];
                    if (accumulate)
                    {
                        sum += initialC[i * Ldc + j];
                        magnitude += Math.Abs(initialC[i * Ldc + j]);
                    }
                    double error = Math.Abs(c[i * Ldc + j] - sum);
                    double ratio = double.IsNaN(c[i * Ldc + j]) ? double.PositiveInfinity : error / Math.Max(magnitude + 1e-30, 1e-30);
                    if (ratio > worst)
                    {
                        worst = ratio;
                        where = $"[{i}, {j}] = {c[i * Ldc + j]}, expected {sum}";
                    }
                }
                for (int j = N; j < Ldc && i * Ldc + j < c.Length; j++)
                    Assert.True(c[i * Ldc + j] == initialC[i * Ldc + j], $"{context}: padding of C at [{i}, {j}] changed");
            }
            Assert.True(worst <= Tolerance,
                $"{context}: {M}x{N}x{K} transposeA={TransposeA} transposeB={TransposeB} lda={Lda} ldb={Ldb} ldc={Ldc}: error {worst:E2} at {where}");
        }

        private (double[] Sum, double[] Magnitude) Reference(int i)
        {
            if (reference.TryGetValue(i, out var row)) return row;
            row = (new double[N], new double[N]);
            for (int p = 0; p < K; p++)
            {
                double a = TransposeA ? A[p * Lda + i] : A[i * Lda + p];
                for (int j = 0; j < N; j++)
                {
                    double product = a * (TransposeB ? B[j * Ldb + p] : B[p * Ldb + j]);
                    row.Sum[j] += product;
                    row.Magnitude[j] += Math.Abs(product);
                }
            }
            reference[i] = row;
            return row;
        }

        private static float[] Padded(Random random, int rows, int columns, int stride)
        {
            var values = new float[Math.Max(0, (rows - 1) * stride + columns)];
            Array.Fill(values, float.NaN);
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < columns; j++) values[r * stride + j] = (float)(random.NextDouble() * 2 - 1);
            }
            return values;
        }

        private static float[] MakeInitial(int m, int n, int ldc)
        {
            var random = new Random(m * 1000 + n);
            var values = new float[Math.Max(0, (m - 1) * ldc + n)];
            for (int i = 0; i < values.Length; i++) values[i] = i % ldc < n ? (float)(random.NextDouble() * 2 - 1) : 12345f;
            return values;
        }
    }
}
