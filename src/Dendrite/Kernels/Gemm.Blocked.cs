using System.Runtime.InteropServices;

namespace Dendrite.Kernels;

// The cache-blocked loop nest around the micro-kernel, cut into tasks that any thread can take.
//
//   for each block of C (as many rows and columns as keep packed A and packed B, all of k, within
//   PackedALimit and PackedBLimit; one block for every product of a training step)
//     tasks = a grid over the block: runs of B panels (columns) x runs of A panels (rows), column-major,
//             each about TaskWork multiply-adds; threads take them in turn
//     for each task:
//       for each k block (KC = DepthBlock steps)
//         for each A panel (MR rows) of the task       -> packed once, by whichever thread needs it first
//                                                          (with AVX-512 a row-major A is read in place, 8 rows at a time)
//           for each B panel (NR columns) of the task  -> packed once, by whichever thread needs it first
//             micro-kernel: C tile (=|+=) A panel · B panel     (the 14 KB A panel stays in L1 across them)
//       epilogue (bias, ReLU) on the task's rectangle of C, now final and still in cache
//
// A task owns its C rectangle for all of k, so the k blocks of one C element are always summed by
// one thread in order: the result does not depend on who runs which task. Because tasks are taken,
// not assigned, a thread that is late (descheduled by another process on a busy machine) costs at
// most the task it holds, never a barrier wait for the whole product; and because both operands are
// packed into shared panels on demand, a finer grid of tasks (a shorter uneven finish) packs nothing twice.
public static partial class Gemm
{
    /// <summary>Floats of packed A per block of C at most (16 MB): all of k stays packed so that tasks need no barrier.</summary>
    private const long PackedALimit = 4L << 20;

    /// <summary>Floats of packed B per block of C at most (16 MB), for the same reason.</summary>
    private const long PackedBLimit = 4L << 20;

    /// <summary>Tasks per thread to aim for at least: enough that an uneven finish costs little.</summary>
    private const int TasksPerThread = 4;

    /// <summary>
    /// Multiply-adds per task to aim for at most (about 70 µs on one core of the 2-core AVX-512 machine):
    /// on large products the last task is what the other thread may wait for, so tasks stay short.
    /// Measured on 1000x500x784: 8 tasks of 49M left one core idle for up to ~0.8 ms at the end.
    /// </summary>
    private const long TaskWork = 4L << 20;

    /// <summary>
    /// B panels per task at least, where there are enough: a task then reuses each A panel it loads
    /// for two micro-kernel calls, and two threads starting on the same column run wait less for
    /// each other's B panels.
    /// </summary>
    private const int MinimumColumnPanelsPerTask = 2;

    /// <summary>A packed panel state: not packed yet.</summary>
    private const int PanelEmpty = 0;

    /// <summary>A packed panel state: a thread is packing it.</summary>
    private const int PanelPacking = 1;

    /// <summary>A packed panel state: ready to use.</summary>
    private const int PanelReady = 2;

    /// <summary>Register block (rows, columns) of a kernel.</summary>
    private static (int Rows, int Columns) RegisterBlock(InstructionSet kernel)
        => kernel == InstructionSet.Avx512 ? (Avx512Rows, Avx512Columns) : (Avx2Rows, Avx2Columns);

    /// <summary>One block of C of a product, cut into tasks, with the shared packed A and B and their panel states.</summary>
    private readonly unsafe struct Plan
    {
        public readonly Product Product;
        public readonly InstructionSet Kernel;
        public readonly int PanelRows, PanelColumns;
        public readonly int RowStart, Rows, ColumnStart, Columns;
        public readonly int DepthBlocks;
        public readonly int RowPanels, ColumnPanels;
        public readonly int RowTasks, RowPanelsPerTask, ColumnPanelsPerTask;
        public readonly int TaskCount;

        /// <summary>
        /// Whether the micro-kernel reads A where it is (row-major, k contiguous) instead of from packed
        /// panels: see <see cref="ReadsAInPlace"/>. Then <see cref="PackedA"/> is unused.
        /// </summary>
        public readonly bool AInPlace;

        /// <summary>Packed A: unit (row panel, depth block) at (panel * DepthBlocks + block) * AUnitLength.</summary>
        public readonly float* PackedA;

        /// <summary>Packed B: unit (column panel, depth block) at (panel * DepthBlocks + block) * BUnitLength.</summary>
        public readonly float* PackedB;

        /// <summary>[row panels * DepthBlocks] states of the units of <see cref="PackedA"/> (none when A is read in place).</summary>
        public readonly int* AStates;

        /// <summary>[column panels * DepthBlocks] states of the units of <see cref="PackedB"/>.</summary>
        public readonly int* BStates;

        public Plan(in Product product, InstructionSet kernel, int rowStart, int rows, int columnStart, int columns, int threads, Workspace workspace)
        {
            Product = product;
            Kernel = kernel;
            AInPlace = ReadsAInPlace(in product, kernel);
            (PanelRows, PanelColumns) = AInPlace ? (InPlaceRows, Avx512Columns) : RegisterBlock(kernel);
            RowStart = rowStart;
            Rows = rows;
            ColumnStart = columnStart;
            Columns = columns;
            DepthBlocks = (product.K + DepthBlock - 1) / DepthBlock;
            RowPanels = (rows + PanelRows - 1) / PanelRows;
            ColumnPanels = (columns + PanelColumns - 1) / PanelColumns;

            // Split columns first (a task then touches few B panels); split rows as well when there are
            // too few column runs for the threads, or when tasks would be long.
            long work = (long)rows * columns * product.K;
            int target = threads == 1 ? 1 : (int)Math.Min(RowPanels * (long)ColumnPanels, Math.Max(threads * TasksPerThread, (work + TaskWork - 1) / TaskWork));
            int columnRuns = Math.Min((ColumnPanels + MinimumColumnPanelsPerTask - 1) / MinimumColumnPanelsPerTask, target);
            ColumnPanelsPerTask = (ColumnPanels + columnRuns - 1) / columnRuns;
            int columnTasks = (ColumnPanels + ColumnPanelsPerTask - 1) / ColumnPanelsPerTask;
            int rowRuns = Math.Min(RowPanels, (target + columnTasks - 1) / columnTasks);
            RowPanelsPerTask = (RowPanels + rowRuns - 1) / rowRuns;
            RowTasks = (RowPanels + RowPanelsPerTask - 1) / RowPanelsPerTask;
            TaskCount = columnTasks * RowTasks;

            PackedA = AInPlace ? null : workspace.PackedA((long)RowPanels * DepthBlocks * AUnitLength);
            PackedB = workspace.PackedB((long)ColumnPanels * DepthBlocks * BUnitLength);
            int aUnits = AInPlace ? 0 : RowPanels * DepthBlocks, bUnits = ColumnPanels * DepthBlocks;
            AStates = workspace.States(aUnits + bUnits);
            BStates = AStates + aUnits;
            new Span<int>(AStates, aUnits + bUnits).Clear();
        }

        /// <summary>Floats per packed A unit: a panel of one full k block plus the transposer's spill room.</summary>
        public int AUnitLength => PanelRows * DepthBlock + ATailPadding;

        /// <summary>Floats per packed B unit: a panel of one full k block.</summary>
        public int BUnitLength => PanelColumns * DepthBlock;
    }

    /// <summary>Rows of C per micro-kernel call when A is read in place: 8 row pointers fit the general registers.</summary>
    private const int InPlaceRows = 8;

    // Per thread, so that a test forcing it does not change other tests' products.
    [ThreadStatic] private static bool packAAlways;

    /// <summary>Tests only: pack A even where it could be read in place, to compare the two to the bit.</summary>
    internal static bool PackAAlways
    {
        get => packAAlways;
        set => packAAlways = value;
    }

    /// <summary>
    /// Whether the AVX-512 micro-kernel broadcasts A straight from its rows: A stored [m, k] has each
    /// row contiguous along k, which is what a broadcast per row and k step needs, so packing it (a
    /// 14-row transpose of all of A, 5 % of an MLP forward pass) buys nothing. B is packed as always.
    /// </summary>
    private static bool ReadsAInPlace(in Product product, InstructionSet kernel)
        => kernel == InstructionSet.Avx512 && !product.TransposeA && !packAAlways;

    /// <summary>Rows per block of C: as many whole panels as keep all of k packed within <see cref="PackedALimit"/> (all rows when A is read in place).</summary>
    private static int RowBlockRows(in Product product, InstructionSet kernel)
    {
        if (ReadsAInPlace(in product, kernel)) return product.M;
        int panelRows = RegisterBlock(kernel).Rows;
        long depthBlocks = (product.K + DepthBlock - 1) / DepthBlock;
        long unitLength = (long)panelRows * DepthBlock + ATailPadding;
        long panels = Math.Max(1, PackedALimit / (depthBlocks * unitLength));
        return (int)Math.Min(product.M, panels * panelRows);
    }

    /// <summary>Columns per block of C: as many whole panels as keep all of k packed within <see cref="PackedBLimit"/>.</summary>
    private static int ColumnBlockColumns(in Product product, InstructionSet kernel)
    {
        int panelColumns = RegisterBlock(kernel).Columns;
        long depthBlocks = (product.K + DepthBlock - 1) / DepthBlock;
        long panels = Math.Max(1, PackedBLimit / (depthBlocks * panelColumns * DepthBlock));
        return (int)Math.Min(product.N, panels * panelColumns);
    }

    /// <summary>Runs a product on the calling thread: the same tasks, taken one after another.</summary>
    private static unsafe void RunSingle(in Product product, InstructionSet kernel)
    {
        Workspace workspace = Workspace.Current;
        int rowBlock = RowBlockRows(in product, kernel), columnBlock = ColumnBlockColumns(in product, kernel);
        for (int rowStart = 0; rowStart < product.M; rowStart += rowBlock)
        {
            for (int columnStart = 0; columnStart < product.N; columnStart += columnBlock)
            {
                var plan = new Plan(in product, kernel, rowStart, Math.Min(rowBlock, product.M - rowStart),
                    columnStart, Math.Min(columnBlock, product.N - columnStart), 1, workspace);
                int nextTask = 0;
                RunTasks(in plan, ref nextTask, workspace);
            }
        }
    }

    /// <summary>Takes tasks of <paramref name="plan"/> (shared counter <paramref name="nextTask"/>) until none is left.</summary>
    private static void RunTasks(in Plan plan, ref int nextTask, Workspace workspace)
    {
        while (true)
        {
            int task = Interlocked.Increment(ref nextTask) - 1;
            if (task >= plan.TaskCount) return;
            RunTask(in plan, task, workspace);
        }
    }

    private static unsafe void RunTask(in Plan plan, int task, Workspace workspace)
    {
        ref readonly Product product = ref plan.Product;
        int panelRows = plan.PanelRows, panelColumns = plan.PanelColumns;
        // Column-major over the grid: the threads work on the same column run (the same B panels) at once.
        int columnTask = task / plan.RowTasks, rowTask = task % plan.RowTasks;
        int columnPanelStart = columnTask * plan.ColumnPanelsPerTask;
        int columnPanelEnd = Math.Min(plan.ColumnPanels, columnPanelStart + plan.ColumnPanelsPerTask);
        int panelStart = rowTask * plan.RowPanelsPerTask;
        int panelEnd = Math.Min(plan.RowPanels, panelStart + plan.RowPanelsPerTask);

        float* tile = workspace.Tile;
        for (int block = 0; block < plan.DepthBlocks; block++)
        {
            int depth = Math.Min(DepthBlock, product.K - block * DepthBlock);
            bool overwrite = block == 0 && !product.Accumulate;
            for (int rowPanel = panelStart; rowPanel < panelEnd; rowPanel++)
            {
                int row = rowPanel * panelRows;
                float* aPanel = plan.AInPlace
                    ? product.A + (long)(plan.RowStart + row) * product.Lda + block * DepthBlock
                    : PackedAPanel(in plan, rowPanel, block, panelEnd, workspace);
                int rows = Math.Min(panelRows, plan.Rows - row);
                float* cRow = product.C + (long)(plan.RowStart + row) * product.Ldc + plan.ColumnStart;
                for (int columnPanel = columnPanelStart; columnPanel < columnPanelEnd; columnPanel++)
                {
                    float* bPanel = PackedBPanel(in plan, columnPanel, block, columnPanelEnd, workspace);
                    int column = columnPanel * panelColumns;
                    if (plan.AInPlace)
                        RunInPlaceTile(rows, Math.Min(panelColumns, plan.Columns - column), depth, aPanel, product.Lda, bPanel, cRow + column, product.Ldc, overwrite, tile);
                    else
                        RunTile(plan.Kernel, rows, Math.Min(panelColumns, plan.Columns - column), depth,
                            aPanel, bPanel, cRow + column, product.Ldc, overwrite, tile);
                }
            }
        }

        // The task's rectangle of C is final (all of k is in): bias and activation now, while it is in cache.
        if (product.HasEpilogue)
        {
            int firstRow = panelStart * panelRows, lastRow = Math.Min(plan.Rows, panelEnd * panelRows);
            int firstColumn = columnPanelStart * panelColumns, lastColumn = Math.Min(plan.Columns, columnPanelEnd * panelColumns);
            product.ApplyEpilogue(plan.RowStart + firstRow, lastRow - firstRow, plan.ColumnStart + firstColumn, lastColumn - firstColumn);
        }
    }

    /// <summary>
    /// The packed A panel <paramref name="rowPanel"/> of k block <paramref name="block"/>: packed by this
    /// thread if nobody has started it; if another thread is packing it, this one packs a later panel of
    /// its run meanwhile (it will need that one next) and then waits the microsecond or so that is left,
    /// but no longer than <see cref="PanelWaitTicks"/>: a packer that the operating system has
    /// descheduled (on a busy machine) would otherwise hold this thread for a whole time slice, so
    /// after that this thread packs the same panel into its own scratch and goes on.
    /// </summary>
    private static unsafe float* PackedAPanel(in Plan plan, int rowPanel, int block, int panelEnd, Workspace workspace)
    {
        int unit = rowPanel * plan.DepthBlocks + block;
        float* panel = plan.PackedA + (long)unit * plan.AUnitLength;
        ref int state = ref plan.AStates[unit];
        if (Volatile.Read(ref state) == PanelReady) return panel;
        if (TryPackAPanel(in plan, rowPanel, block)) return panel;

        for (int ahead = rowPanel + 1; ahead < panelEnd; ahead++)
        {
            if (Volatile.Read(ref plan.AStates[ahead * plan.DepthBlocks + block]) == PanelEmpty)
            {
                TryPackAPanel(in plan, ahead, block);
                break;
            }
        }
        if (WaitForPanel(ref state)) return panel;
        int row = rowPanel * plan.PanelRows;
        int depthStart = block * DepthBlock;
        ref readonly Product product = ref plan.Product;
        float* scratch = workspace.ScratchA(plan.AUnitLength);
        PackAPanel(product.A, product.Lda, product.TransposeA, plan.RowStart + row, Math.Min(plan.PanelRows, plan.Rows - row),
            depthStart, Math.Min(DepthBlock, product.K - depthStart), plan.PanelRows, scratch);
        return scratch;
    }

    /// <summary>
    /// How long a thread waits for a panel that another thread is packing before packing it itself
    /// (20 µs; a panel takes 1-3 µs). Either way the panel holds the same values; tests set 0 to cover
    /// the private copies.
    /// </summary>
    internal static long PanelWaitTicks = Math.Max(1, System.Diagnostics.Stopwatch.Frequency / 50_000);

    /// <summary>Spins until <paramref name="state"/> is ready, for at most <see cref="PanelWaitTicks"/>; returns whether it became ready.</summary>
    private static bool WaitForPanel(ref int state)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        while (Volatile.Read(ref state) != PanelReady)
        {
            if (System.Diagnostics.Stopwatch.GetTimestamp() - start > PanelWaitTicks) return false;
            Thread.SpinWait(8);
        }
        return true;
    }

    /// <summary>Packs one A unit if no thread has claimed it yet; returns whether it is ready now.</summary>
    private static unsafe bool TryPackAPanel(in Plan plan, int rowPanel, int block)
    {
        int unit = rowPanel * plan.DepthBlocks + block;
        ref int state = ref plan.AStates[unit];
        if (Interlocked.CompareExchange(ref state, PanelPacking, PanelEmpty) != PanelEmpty)
            return Volatile.Read(ref state) == PanelReady;
        int row = rowPanel * plan.PanelRows;
        int depthStart = block * DepthBlock;
        ref readonly Product product = ref plan.Product;
        PackAPanel(product.A, product.Lda, product.TransposeA, plan.RowStart + row, Math.Min(plan.PanelRows, plan.Rows - row),
            depthStart, Math.Min(DepthBlock, product.K - depthStart), plan.PanelRows, plan.PackedA + (long)unit * plan.AUnitLength);
        Volatile.Write(ref state, PanelReady);
        return true;
    }

    /// <summary>The packed B panel <paramref name="columnPanel"/> of k block <paramref name="block"/>, as <see cref="PackedAPanel"/> for A.</summary>
    private static unsafe float* PackedBPanel(in Plan plan, int columnPanel, int block, int columnPanelEnd, Workspace workspace)
    {
        int unit = columnPanel * plan.DepthBlocks + block;
        float* panel = plan.PackedB + (long)unit * plan.BUnitLength;
        ref int state = ref plan.BStates[unit];
        if (Volatile.Read(ref state) == PanelReady) return panel;
        if (TryPackBPanel(in plan, columnPanel, block)) return panel;

        for (int ahead = columnPanel + 1; ahead < columnPanelEnd; ahead++)
        {
            if (Volatile.Read(ref plan.BStates[ahead * plan.DepthBlocks + block]) == PanelEmpty)
            {
                TryPackBPanel(in plan, ahead, block);
                break;
            }
        }
        if (WaitForPanel(ref state)) return panel;
        int column = columnPanel * plan.PanelColumns;
        int depthStart = block * DepthBlock;
        ref readonly Product product = ref plan.Product;
        float* scratch = workspace.ScratchB(plan.BUnitLength);
        PackBPanel(product.B, product.Ldb, product.TransposeB, plan.ColumnStart + column, Math.Min(plan.PanelColumns, plan.Columns - column),
            depthStart, Math.Min(DepthBlock, product.K - depthStart), plan.PanelColumns, scratch);
        return scratch;
    }

    /// <summary>Packs one B unit if no thread has claimed it yet; returns whether it is ready now.</summary>
    private static unsafe bool TryPackBPanel(in Plan plan, int columnPanel, int block)
    {
        int unit = columnPanel * plan.DepthBlocks + block;
        ref int state = ref plan.BStates[unit];
        if (Interlocked.CompareExchange(ref state, PanelPacking, PanelEmpty) != PanelEmpty)
            return Volatile.Read(ref state) == PanelReady;
        int column = columnPanel * plan.PanelColumns;
        int depthStart = block * DepthBlock;
        ref readonly Product product = ref plan.Product;
        PackBPanel(product.B, product.Ldb, product.TransposeB, plan.ColumnStart + column, Math.Min(plan.PanelColumns, plan.Columns - column),
            depthStart, Math.Min(DepthBlock, product.K - depthStart), plan.PanelColumns, plan.PackedB + (long)unit * plan.BUnitLength);
        Volatile.Write(ref state, PanelReady);
        return true;
    }

    /// <summary>
    /// One C tile of rows x columns (at most one register block). Full-width tiles (and exactly half
    /// width ones) go straight to C; other right-edge tiles are computed into a scratch tile and the
    /// valid part is then stored or added, with the same single rounding.
    /// </summary>
    private static unsafe void RunTile(InstructionSet kernel, int rows, int columns, int depth,
        float* a, float* b, float* c, int ldc, bool overwrite, float* tile)
    {
        int panelColumns = kernel == InstructionSet.Avx512 ? Avx512Columns : Avx2Columns;
        int half = panelColumns / 2;
        if (columns == panelColumns || columns == half)
        {
            if (kernel == InstructionSet.Avx512) RunTile512(rows, columns == panelColumns, depth, a, b, c, ldc, overwrite);
            else RunTile256(rows, columns == panelColumns, depth, a, b, c, ldc, overwrite);
            return;
        }

        if (kernel == InstructionSet.Avx512) RunTile512(rows, columns > half, depth, a, b, tile, panelColumns, overwrite: true);
        else RunTile256(rows, columns > half, depth, a, b, tile, panelColumns, overwrite: true);
        StoreEdgeTile(rows, columns, tile, panelColumns, c, ldc, overwrite);
    }

    /// <summary>Stores (or adds) the first <paramref name="columns"/> of each of <paramref name="rows"/> rows of a scratch tile into C.</summary>
    internal static unsafe void StoreEdgeTile(int rows, int columns, float* tile, int tileColumns, float* c, int ldc, bool overwrite)
    {
        for (int r = 0; r < rows; r++)
        {
            float* source = tile + r * tileColumns;
            float* target = c + (long)r * ldc;
            if (overwrite)
            {
                for (int j = 0; j < columns; j++) target[j] = source[j];
            }
            else
            {
                for (int j = 0; j < columns; j++) target[j] += source[j];
            }
        }
    }

    /// <summary>
    /// <see cref="RunTile"/> for A read in place (rows <paramref name="lda"/> apart): the recurrent
    /// layers' 8 x 32 kernel, the same FMA chain per element and the same single store or add.
    /// </summary>
    private static unsafe void RunInPlaceTile(int rows, int columns, int depth, float* a, int lda, float* b, float* c, int ldc, bool overwrite, float* tile)
    {
        int half = Avx512Columns / 2;
        if (columns == Avx512Columns || columns == half)
        {
            if (columns == half) RecurrentGemm.InPlaceNarrowTile(rows, depth, a, lda, b, c, ldc, accumulate: !overwrite);
            else RecurrentGemm.InPlaceTile(rows, depth, a, lda, b, c, ldc, accumulate: !overwrite);
            return;
        }
        // A right edge: the valid columns of a full (or, up to 16 columns, half) tile computed into scratch.
        if (columns < half) RecurrentGemm.InPlaceNarrowTile(rows, depth, a, lda, b, tile, Avx512Columns, accumulate: false);
        else RecurrentGemm.InPlaceTile(rows, depth, a, lda, b, tile, Avx512Columns, accumulate: false);
        StoreEdgeTile(rows, columns, tile, Avx512Columns, c, ldc, overwrite);
    }

    /// <summary>
    /// A thread's buffers: allocated on first use, grown when a larger product needs it, never per call;
    /// 64-byte aligned native memory, freed when the thread (and so this object) is gone.
    /// </summary>
    private sealed unsafe class Workspace
    {
        [ThreadStatic] private static Workspace? current;

        private float* packedA;
        private long packedALength;
        private float* packedB;
        private long packedBLength;
        private float* scratchA;
        private long scratchALength;
        private float* scratchB;
        private long scratchBLength;
        private int* states;
        private int statesLength;

        private Workspace()
        {
            Tile = (float*)NativeMemory.AlignedAlloc(Avx512Rows * Avx512Columns * sizeof(float), 64);
        }

        ~Workspace()
        {
            NativeMemory.AlignedFree(packedA);
            NativeMemory.AlignedFree(packedB);
            NativeMemory.AlignedFree(scratchA);
            NativeMemory.AlignedFree(scratchB);
            NativeMemory.AlignedFree(states);
            NativeMemory.AlignedFree(Tile);
        }

        /// <summary>This thread's workspace.</summary>
        public static Workspace Current => current ??= new Workspace();

        /// <summary>Scratch for one register tile at the right edge of C: [14, 32] floats.</summary>
        public float* Tile { get; }

        /// <summary>Packed A of a row block (shared with the team when this thread is the caller), at least <paramref name="length"/> floats.</summary>
        public float* PackedA(long length) => GrowAligned(ref packedA, ref packedALength, length);

        /// <summary>Packed B of a block of C (shared with the team when this thread is the caller), at least <paramref name="length"/> floats.</summary>
        public float* PackedB(long length) => GrowAligned(ref packedB, ref packedBLength, length);

        /// <summary>This thread's own A panel, for a panel another thread claimed but has not finished (at least <paramref name="length"/> floats).</summary>
        public float* ScratchA(long length) => GrowAligned(ref scratchA, ref scratchALength, length);

        /// <summary>This thread's own B panel, as <see cref="ScratchA"/>.</summary>
        public float* ScratchB(long length) => GrowAligned(ref scratchB, ref scratchBLength, length);

        /// <summary>Panel states of a block of C (A's, then B's), at least <paramref name="length"/> of them.</summary>
        public int* States(int length)
        {
            if (statesLength < length)
            {
                NativeMemory.AlignedFree(states);
                states = null;
                states = (int*)NativeMemory.AlignedAlloc((nuint)length * sizeof(int), 64);
                statesLength = length;
            }
            return states;
        }
    }

    /// <summary>
    /// Grows a 64-byte aligned native buffer of floats to at least <paramref name="length"/> (its contents are
    /// not kept) and returns it; a buffer that is large enough is returned as it is. The GEMM's workspaces and
    /// <see cref="PackedMatrix"/> keep their memory this way.
    /// </summary>
    internal static unsafe float* GrowAligned(ref float* buffer, ref long capacity, long length)
    {
        if (capacity < length)
        {
            NativeMemory.AlignedFree(buffer);
            buffer = null;
            capacity = 0;
            buffer = (float*)NativeMemory.AlignedAlloc((nuint)(length * sizeof(float)), 64);
            capacity = length;
        }
        return buffer;
    }
}
