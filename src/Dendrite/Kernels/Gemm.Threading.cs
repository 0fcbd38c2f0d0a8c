using System.Diagnostics;

namespace Dendrite.Kernels;

// All cores without Parallel.For per call: one persistent team of worker threads that a caller takes
// for the duration of one call. A caller that cannot take it (another user thread has it) runs on its
// own thread instead, so concurrent callers never wait for each other and cannot deadlock.
//
// Work is shared by taking tasks from a counter (see Gemm.Blocked.cs), not by assigning halves: the
// caller starts at once and a worker joins whenever it wakes. On a busy machine a worker that is not
// scheduled soon simply finds the work done; there is no barrier at which the caller would wait for it.
// An idle worker spins briefly, because in a training loop the next product usually comes within
// microseconds, and then blocks, so that an idle team burns no CPU.
public static partial class Gemm
{
    /// <summary>
    /// Runs tasks [0, <paramref name="count"/>) of <paramref name="work"/> on the GEMM's thread team (up
    /// to <see cref="MaxThreads"/> threads, the caller being one), each exactly once, and returns when
    /// all are done. Which thread runs which task is not fixed, so tasks must be independent: each
    /// writes its own memory, and its result must not depend on the others (then the result is the
    /// same whatever the thread count). Runs everything on the calling thread when the team is taken.
    /// Chunks must not throw (a worker has no one to hand an exception to).
    /// </summary>
    /// <remarks>
    /// For element-wise passes that follow matrix products, such as an optimiser's update right after
    /// the backward pass: the team's worker is still spinning from the last product and joins at once,
    /// where a pool of its own would have to be woken (and, on two cores, would compete with the
    /// spinning GEMM worker).
    /// </remarks>
    internal static void RunParallel(ChunkJob work, int count)
    {
        int threads = Math.Min(ThreadBudget(), count);
        if (threads > 1)
        {
            Team? team = Team.TryAcquire(threads);
            if (team is not null)
            {
                try
                {
                    team.RunWork(work, count, threads);
                }
                finally
                {
                    team.Release();
                }
                return;
            }
        }
        for (int task = 0; task < count; task++) work.RunChunk(task);
    }

    private sealed unsafe class Team
    {
        /// <summary>A worker that is idle spins this long before it blocks.</summary>
        private static readonly long IdleSpinTicks = Stopwatch.Frequency / 5_000;           // 200 µs

        private static Team? shared;
        private static readonly object CreationGate = new();

        // Guards blocking waits; every wait re-checks its condition under it, so no wake-up is lost.
        private readonly object gate = new();
        private int sleepers;
        private int busy;
        private Worker[] workers = [];

        // The current call, written by the caller before it opens the call. Either a plan (one row
        // block of one product) or a batch of products, each taken whole.
        private Plan plan;
        private bool isBatch;
        private ChunkJob? work;
        private int workCount;
        private Product first;
        private int batch;
        private long strideA, strideB, strideC;
        private InstructionSet kernel;
        private Route route;

        // The task counter, whether the call is open to joiners, and how many workers are inside it.
        private int nextTask;
        private int open;
        private int active;

        /// <summary>Takes the team for one call, with at least threads - 1 workers; null if another caller has it.</summary>
        public static Team? TryAcquire(int threads)
        {
            Team? team = Volatile.Read(ref shared);
            if (team is null)
            {
                lock (CreationGate)
                {
                    team = shared ??= new Team();
                }
            }
            if (Interlocked.CompareExchange(ref team.busy, 1, 0) != 0) return null;
            team.EnsureWorkers(threads - 1);
            return team;
        }

        /// <summary>Gives the team back.</summary>
        public void Release() => Volatile.Write(ref busy, 0);

        /// <summary>Runs one product on up to <paramref name="threads"/> threads, the caller being one of them.</summary>
        public void RunProduct(in Product product, InstructionSet callKernel, int threads)
        {
            Workspace workspace = Workspace.Current;
            int rowBlock = RowBlockRows(in product, callKernel), columnBlock = ColumnBlockColumns(in product, callKernel);
            for (int rowStart = 0; rowStart < product.M; rowStart += rowBlock)
            {
                for (int columnStart = 0; columnStart < product.N; columnStart += columnBlock)
                {
                    // The plan's packed A and B and panel states live in the caller's workspace and are shared.
                    plan = new Plan(in product, callKernel, rowStart, Math.Min(rowBlock, product.M - rowStart),
                        columnStart, Math.Min(columnBlock, product.N - columnStart), threads, workspace);
                    isBatch = false;
                    work = null;
                    int helpers = Math.Min(threads, plan.TaskCount) - 1;
                    Open(helpers);
                    try
                    {
                        RunTasks(in plan, ref nextTask, workspace);
                    }
                    finally
                    {
                        // Even if something failed here, no worker may still be reading the fields afterwards.
                        Close();
                    }
                }
            }
        }

        /// <summary>Runs the products of a batch on up to <paramref name="threads"/> threads, each product on one thread.</summary>
        public void RunBatch(in Product firstProduct, int count, long firstStrideA, long firstStrideB, long firstStrideC, int threads,
            InstructionSet callKernel, Route callRoute)
        {
            first = firstProduct;
            batch = count;
            strideA = firstStrideA;
            strideB = firstStrideB;
            strideC = firstStrideC;
            kernel = callKernel;
            route = callRoute;
            isBatch = true;
            work = null;
            Open(Math.Min(threads, count) - 1);
            try
            {
                RunBatchTasks();
            }
            finally
            {
                Close();
            }
        }

        /// <summary>Runs the tasks of <paramref name="parallelWork"/> on up to <paramref name="threads"/> threads.</summary>
        public void RunWork(ChunkJob parallelWork, int count, int threads)
        {
            work = parallelWork;
            workCount = count;
            Open(threads - 1);
            try
            {
                RunWorkTasks(parallelWork);
            }
            finally
            {
                Close();
                work = null;
            }
        }

        private void RunWorkTasks(ChunkJob parallelWork)
        {
            while (true)
            {
                int index = Interlocked.Increment(ref nextTask) - 1;
                if (index >= workCount) return;
                parallelWork.RunChunk(index);
            }
        }

        private void RunBatchTasks()
        {
            while (true)
            {
                int index = Interlocked.Increment(ref nextTask) - 1;
                if (index >= batch) return;
                Product product = first.Offset(index, strideA, strideB, strideC);
                if (UseDirect(in product, route)) MultiplyDirect(in product, kernel);
                else RunSingle(in product, kernel);
            }
        }

        /// <summary>Opens the call written into the fields and wakes <paramref name="helpers"/> workers.</summary>
        private void Open(int helpers)
        {
            nextTask = 0;
            // Release: a worker that reads open == 1 also sees every field written above.
            Volatile.Write(ref open, 1);
            for (int i = 0; i < helpers; i++)
                Publish(ref workers[i].Start);
        }

        /// <summary>Closes the call and waits for the workers inside it, so that the fields (and the caller's pinned operands) can go.</summary>
        private void Close()
        {
            // Full fences here and in Join: a worker either is counted in `active` before the call
            // closes (and is waited for), or sees it closed and leaves without touching anything.
            Interlocked.Exchange(ref open, 0);
            var spinner = new SpinWait();
            while (Volatile.Read(ref active) != 0)
                spinner.SpinOnce(sleep1Threshold: -1);
        }

        /// <summary>A woken worker's part: take tasks of the open call, if it is still open.</summary>
        private void Join()
        {
            Interlocked.Increment(ref active);
            if (Volatile.Read(ref open) == 1)
            {
                if (work is { } parallelWork) RunWorkTasks(parallelWork);
                else if (isBatch) RunBatchTasks();
                else RunTasks(in plan, ref nextTask, Workspace.Current);
            }
            Interlocked.Decrement(ref active);
        }

        private void EnsureWorkers(int count)
        {
            if (workers.Length >= count) return;
            var grown = new Worker[count];
            workers.CopyTo(grown, 0);
            for (int i = workers.Length; i < count; i++)
            {
                var worker = new Worker(this, i + 1);
                grown[i] = worker;
                worker.Thread.Start();
            }
            workers = grown;
        }

        /// <summary>Advances a signal and wakes any thread blocked on it.</summary>
        private void Publish(ref long signal)
        {
            // Full fences on both sides (here and in WaitForChange) make sure that either the waiter sees
            // the new value or this thread sees the waiter counted in `sleepers`.
            Interlocked.Increment(ref signal);
            if (Volatile.Read(ref sleepers) != 0)
            {
                lock (gate)
                {
                    Monitor.PulseAll(gate);
                }
            }
        }

        /// <summary>Waits until <paramref name="signal"/> differs from <paramref name="seen"/>, spinning first; returns its new value.</summary>
        private long WaitForChange(ref long signal, long seen, long spinTicks)
        {
            long start = Stopwatch.GetTimestamp();
            int spins = 0;
            long value;
            while ((value = Volatile.Read(ref signal)) == seen)
            {
                if ((++spins & 63) == 0 && Stopwatch.GetTimestamp() - start > spinTicks)
                {
                    lock (gate)
                    {
                        Interlocked.Increment(ref sleepers);
                        while ((value = Volatile.Read(ref signal)) == seen)
                            Monitor.Wait(gate);
                        Interlocked.Decrement(ref sleepers);
                    }
                    return value;
                }
                Thread.SpinWait(1);
            }
            return value;
        }

        /// <summary>A persistent background thread that joins each call it is woken for.</summary>
        private sealed class Worker
        {
            private readonly Team team;

            /// <summary>Advanced by the caller to wake this worker for the current call.</summary>
            public long Start;

            public Worker(Team team, int threadIndex)
            {
                this.team = team;
                Thread = new Thread(Loop) { IsBackground = true, Name = $"Dendrite Gemm worker {threadIndex}" };
            }

            public Thread Thread { get; }

            private void Loop()
            {
                long seen = 0;
                while (true)
                {
                    seen = team.WaitForChange(ref Start, seen, IdleSpinTicks);
                    team.Join();
                }
            }
        }
    }
}
