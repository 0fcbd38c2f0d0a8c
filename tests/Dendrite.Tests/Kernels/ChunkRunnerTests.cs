using Dendrite.Kernels;

namespace Dendrite.Tests.Kernels;

public class ChunkRunnerTests
{
    private sealed class Counting(int chunks, int failAt = -1) : ChunkJob
    {
        public readonly int[] Runs = new int[chunks];

        public override void RunChunk(int chunk)
        {
            Interlocked.Increment(ref Runs[chunk]);
            if (chunk == failAt) throw new InvalidOperationException($"chunk {chunk}");
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
            ChunkRunner.Run(job, chunks);
            Assert.All(job.Runs, runs => Assert.Equal(1, runs));
        }
    }

    [Fact]
    public void AFailingChunkIsRethrown()
    {
        var job = new Counting(16, failAt: 5);
        var error = Assert.Throws<InvalidOperationException>(() => ChunkRunner.Run(job, 16));
        Assert.Equal("chunk 5", error.Message);
        // No chunk ran twice (whether the later ones ran depends on whether the runner was free).
        Assert.All(job.Runs, runs => Assert.InRange(runs, 0, 1));
        // The runner is usable again.
        var next = new Counting(8);
        ChunkRunner.Run(next, 8);
        Assert.All(next.Runs, runs => Assert.Equal(1, runs));
    }

    [Fact]
    public void ANestedRunRunsItsChunksOnTheCallingThread()
    {
        var inner = new Counting(4);
        var outer = new Nested(inner);
        ChunkRunner.Run(outer, 3);
        Assert.All(inner.Runs, runs => Assert.Equal(3, runs));
    }

    private sealed class Nested(Counting inner) : ChunkJob
    {
        public override void RunChunk(int chunk) => ChunkRunner.Run(inner, 4);
    }
}
