using System.Runtime.ExceptionServices;

namespace Dendrite.Kernels;

/// <summary>Work cut into numbered chunks that may run in any order and on any thread.</summary>
internal abstract class ChunkJob
{
    /// <summary>Does chunk <paramref name="chunk"/>; chunks must not depend on each other.</summary>
    public abstract void RunChunk(int chunk);
}

/// <summary>
/// Runs the chunks of a <see cref="ChunkJob"/> on the calling thread and on one background worker per
/// other core, each taking the next chunk from a shared counter. Nothing is allocated per call
/// (unlike <c>Parallel.For</c> with a closure), and a worker that the operating system leaves waiting
/// costs only the chunk it has taken: the caller takes the rest. Which thread runs a chunk is left to
/// timing, so a job's chunks must give the same bits on any thread (fixed chunks, each writing its own
/// outputs or its own partial sums).
/// </summary>
/// <remarks>
/// Uses at most <see cref="Gemm.MaxThreads"/> threads, the calling one included. One job at a time: a call made while another runs (from a chunk, or from another thread) runs its
/// chunks itself, in order.
/// </remarks>
internal static class ChunkRunner
{
    // Closed: no chunk left to take. Far from int.MaxValue, so late increments cannot overflow.
    private const int Closed = int.MaxValue / 2;

    private static readonly object StartLock = new();
    private static readonly SemaphoreSlim Wake = new(0);
    private static int _workers = -1;
    private static int _busy;
    private static ChunkJob? _job;
    private static int _count;
    private static int _next = Closed;
    private static int _finished;
    private static Exception? _failure;

    /// <summary>Runs chunks 0..<paramref name="chunks"/>−1 of <paramref name="job"/> and returns when all are done; rethrows the first failure.</summary>
    public static void Run(ChunkJob job, int chunks)
    {
        int workers = Math.Min(Workers(), Gemm.MaxThreads - 1);
        if (chunks <= 1 || workers <= 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int chunk = 0; chunk < chunks; chunk++) job.RunChunk(chunk);
            return;
        }
        Exception? failure;
        try
        {
            _job = job;
            _count = chunks;
            _finished = 0;
            _failure = null;
            // Publishes the fields above: a worker reads them only after taking a chunk from the counter.
            Volatile.Write(ref _next, 0);
            Wake.Release(Math.Min(workers, chunks - 1));
            TakeChunks();
            var spin = new SpinWait();
            while (Volatile.Read(ref _finished) < chunks) spin.SpinOnce(sleep1Threshold: -1);
            failure = _failure;
        }
        finally
        {
            Volatile.Write(ref _next, Closed);
            _job = null;
            Volatile.Write(ref _busy, 0);
        }
        if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
    }

    private static void TakeChunks()
    {
        while (true)
        {
            int chunk = Interlocked.Increment(ref _next) - 1;
            // The increment is a full fence: a chunk number below Closed belongs to the job published before the counter opened.
            if (chunk >= Volatile.Read(ref _count) || chunk >= Closed) return;
            try
            {
                _job!.RunChunk(chunk);
            }
            catch (Exception error)
            {
                Interlocked.CompareExchange(ref _failure, error, null);
            }
            Interlocked.Increment(ref _finished);
        }
    }

    private static int Workers()
    {
        int workers = Volatile.Read(ref _workers);
        if (workers >= 0) return workers;
        lock (StartLock)
        {
            if (_workers >= 0) return _workers;
            int count = Math.Max(0, Environment.ProcessorCount - 1);
            for (int i = 0; i < count; i++)
                new Thread(WorkerLoop) { IsBackground = true, Name = $"Dendrite chunk worker {i + 1}" }.Start();
            Volatile.Write(ref _workers, count);
            return count;
        }
    }

    private static void WorkerLoop()
    {
        while (true)
        {
            Wake.Wait();
            TakeChunks();
        }
    }
}
