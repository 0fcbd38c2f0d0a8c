using System.Diagnostics;

namespace Dendrite.Kernels;

// Both cores without Parallel.For per call: one persistent team of worker threads that a caller takes
// for the duration of one product. A caller that cannot take it (another user thread has it) runs on
// its own thread instead, so concurrent callers never wait for each other and cannot deadlock.
// Waiting (for work, or at a barrier) spins briefly, because in a training loop the next product
// usually comes within microseconds, and then blocks, so that an idle team burns no CPU.
public static partial class Gemm
{
    /// <summary>How the threads of a team divide one call.</summary>
    private enum Split
    {
        /// <summary>Each thread computes a run of whole B panels (columns of C); A blocks are packed jointly.</summary>
        Columns,

        /// <summary>Each thread computes a run of whole A panels (rows of C) on its own; used when C has too few column panels.</summary>
        Rows,

        /// <summary>Each thread computes a run of whole products of a batch.</summary>
        Batch,
    }

    private sealed unsafe class Team
    {
        /// <summary>A worker that is idle spins this long before it blocks.</summary>
        private static readonly long IdleSpinTicks = Stopwatch.Frequency / 5_000;           // 200 µs

        /// <summary>A thread at a barrier spins this long before it blocks.</summary>
        private static readonly long BarrierSpinTicks = Stopwatch.Frequency / 5_000;        // 200 µs

        private static Team? shared;
        private static readonly object CreationGate = new();

        // Guards blocking waits; every wait re-checks its condition under it, so no wake-up is lost.
        private readonly object gate = new();
        private int sleepers;
        private int busy;
        private Worker[] workers = [];

        // The current call, written by the caller before it signals the workers.
        private Product product;
        private InstructionSet kernel;
        private Route route;
        private Split split;
        private int threadCount;
        private float* packedA0;
        private float* packedA1;
        private int batch;
        private long strideA, strideB, strideC;

        // Barrier state: the last thread to arrive resets the count and advances the generation.
        private int arrived;
        private long barrierGeneration;

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

        /// <summary>Runs one product on <paramref name="threads"/> threads, the caller being thread 0.</summary>
        public void RunProduct(in Product call, InstructionSet callKernel, int threads)
        {
            (int panelRows, int panelColumns) = RegisterBlock(callKernel);
            int columnPanels = (call.N + panelColumns - 1) / panelColumns;
            int rowPanels = (call.M + panelRows - 1) / panelRows;
            Split callSplit = columnPanels >= threads ? Split.Columns : Split.Rows;
            threads = Math.Min(threads, Math.Max(columnPanels, rowPanels));
            if (threads < 2)
            {
                RunSingle(in call, callKernel);
                return;
            }

            product = call;
            kernel = callKernel;
            split = callSplit;
            threadCount = threads;
            if (callSplit == Split.Columns)
            {
                Workspace workspace = Workspace.Current;
                long length = PackedABlockLength(callKernel, call.M);
                packedA0 = workspace.PackedA(0, length);
                packedA1 = workspace.PackedA(1, length);
            }
            Start(threads);
        }

        /// <summary>Runs the products of a batch on <paramref name="threads"/> threads, the caller being thread 0.</summary>
        public void RunBatch(in Product first, int count, long firstStrideA, long firstStrideB, long firstStrideC, int threads,
            InstructionSet callKernel, Route callRoute)
        {
            product = first;
            kernel = callKernel;
            route = callRoute;
            split = Split.Batch;
            threadCount = threads;
            batch = count;
            strideA = firstStrideA;
            strideB = firstStrideB;
            strideC = firstStrideC;
            Start(threads);
        }

        private void Start(int threads)
        {
            for (int i = 0; i < threads - 1; i++)
                Publish(ref workers[i].Start);
            Execute(0);
        }

        /// <summary>Thread <paramref name="threadIndex"/>'s part of the current call, ending at the closing barrier.</summary>
        private void Execute(int threadIndex)
        {
            switch (split)
            {
                case Split.Columns:
                    RunBlocked(in product, kernel, packedA0, packedA1, threadIndex, threadCount, this);
                    break;
                case Split.Rows:
                {
                    int panelRows = RegisterBlock(kernel).Rows;
                    int rowPanels = (product.M + panelRows - 1) / panelRows;
                    int start = (int)((long)rowPanels * threadIndex / threadCount) * panelRows;
                    int end = Math.Min(product.M, (int)((long)rowPanels * (threadIndex + 1) / threadCount) * panelRows);
                    if (end > start)
                    {
                        Product rows = product.Rows(start, end - start);
                        RunSingle(in rows, kernel);
                    }
                    break;
                }
                case Split.Batch:
                    RunBatchRange(in product, (long)batch * threadIndex / threadCount, (long)batch * (threadIndex + 1) / threadCount,
                        strideA, strideB, strideC, kernel, route);
                    break;
            }
            // The caller returns (and unpins the operands) only after every thread is past this point.
            Barrier();
        }

        /// <summary>Waits until every thread of the current call has arrived.</summary>
        public void Barrier()
        {
            long generation = Volatile.Read(ref barrierGeneration);
            if (Interlocked.Increment(ref arrived) == threadCount)
            {
                Volatile.Write(ref arrived, 0);
                Publish(ref barrierGeneration);
            }
            else
            {
                WaitForChange(ref barrierGeneration, generation, BarrierSpinTicks);
            }
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
            // Full fences on both sides (here and in Block) make sure that either the waiter sees the new
            // value or this thread sees the waiter counted in `sleepers`.
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

        /// <summary>A persistent background thread that runs its part of each call it is signalled for.</summary>
        private sealed class Worker
        {
            private readonly Team team;
            private readonly int threadIndex;

            /// <summary>Advanced by the caller to start this worker on the current call.</summary>
            public long Start;

            public Worker(Team team, int threadIndex)
            {
                this.team = team;
                this.threadIndex = threadIndex;
                Thread = new Thread(Loop) { IsBackground = true, Name = $"Dendrite Gemm worker {threadIndex}" };
            }

            public Thread Thread { get; }

            private void Loop()
            {
                long seen = 0;
                while (true)
                {
                    seen = team.WaitForChange(ref Start, seen, IdleSpinTicks);
                    team.Execute(threadIndex);
                }
            }
        }
    }
}
