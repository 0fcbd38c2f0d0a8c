using Dendrite.Kernels;

namespace Dendrite.Tests.Kernels;

// Gemm.RunParallel: the thread team's runner for the element-wise and per-chunk passes (optimisers,
// convolution chunks, the LSTM's weight-gradient pass).
public sealed class ParallelChunksTests
{
    private sealed class Counting(int chunks) : ChunkJob
    {
        public readonly int[] Runs = new int[chunks];
        public readonly int[] Threads = new int[chunks];

        public override void RunChunk(int chunk)
        {
            Interlocked.Increment(ref Runs[chunk]);
            Threads[chunk] = Environment.CurrentManagedThreadId;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(64)]
    public void EveryChunkRunsExactlyOnce(int chunks)
    {
        for (int repeat = 0; repeat < 50; repeat++)
        {
            var job = new Counting(chunks);
            Gemm.RunParallel(job, chunks);
            Assert.All(job.Runs, runs => Assert.Equal(1, runs));
        }
    }

    [Fact]
    public void NoChunksRunsNothing()
    {
        var job = new Counting(4);
        Gemm.RunParallel(job, 0);
        Assert.All(job.Runs, runs => Assert.Equal(0, runs));
    }

    [Fact]
    public void ARunStartedFromAChunkRunsItsChunksOnThatChunksThread()
    {
        // The team is taken by the outer run, so each inner run does all its chunks itself, in order.
        var outer = new Nested(4);
        Gemm.RunParallel(outer, 3);
        Assert.All(outer.Inner, inner =>
        {
            Assert.NotNull(inner);
            Assert.All(inner!.Runs, runs => Assert.Equal(1, runs));
        });
        for (int chunk = 0; chunk < 3; chunk++)
            Assert.All(outer.Inner[chunk]!.Threads, thread => Assert.Equal(outer.Threads[chunk], thread));
    }

    [Fact]
    public void AProductInsideAChunkGivesTheSameBitsAsOutside()
    {
        // A chunk that multiplies while the team is busy gets the one-thread path; its bits must not change.
        const int m = 150, n = 140, k = 130;
        var random = new Random(5);
        float[] a = new float[m * k], b = new float[k * n], expected = new float[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)random.NextDouble() - 0.5f;
        for (int i = 0; i < b.Length; i++) b[i] = (float)random.NextDouble() - 0.5f;
        Gemm.Multiply(m, n, k, a, k, false, b, n, false, expected, n);
        var job = new Multiplying(a, b, m, n, k, chunks: 3);
        Gemm.RunParallel(job, 3);
        foreach (float[] c in job.Results) Assert.Equal(expected, c);
    }

    private sealed class Nested(int innerChunks) : ChunkJob
    {
        public readonly Counting?[] Inner = new Counting?[3];
        public readonly int[] Threads = new int[3];

        public override void RunChunk(int chunk)
        {
            Threads[chunk] = Environment.CurrentManagedThreadId;
            var inner = new Counting(innerChunks);
            Gemm.RunParallel(inner, innerChunks);
            Inner[chunk] = inner;
        }
    }

    private sealed class Multiplying(float[] a, float[] b, int m, int n, int k, int chunks) : ChunkJob
    {
        public readonly float[][] Results = Enumerable.Range(0, chunks).Select(_ => new float[m * n]).ToArray();

        public override void RunChunk(int chunk) => Gemm.Multiply(m, n, k, a, k, false, b, n, false, Results[chunk], n);
    }
}
