namespace Dendrite.Kernels;

/// <summary>
/// Work cut into numbered chunks that may run in any order and on any thread (see
/// <see cref="Gemm.RunParallel"/>). Which thread runs a chunk is left to timing, so a job's chunks must
/// give the same bits on any thread: fixed chunks, each writing its own outputs or its own partial sums.
/// </summary>
internal abstract class ChunkJob
{
    /// <summary>Does chunk <paramref name="chunk"/>; chunks must not depend on each other.</summary>
    public abstract void RunChunk(int chunk);
}
