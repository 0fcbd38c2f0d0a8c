using System.Runtime.InteropServices;

namespace Dendrite.Kernels;

// The cache-blocked loop nest around the micro-kernel, cut into tasks that any thread can take.
//
//   for each row block of C (as many rows as keep packed A, all of k, within PackedALimit)
//     tasks = a grid over C: runs of B panels (columns) x runs of A panels (rows); threads take them in turn
//     for each task:
//       for each k block (KC = DepthBlock steps)
//         pack the task's B columns                     -> private, stays in L2 (at most KC x 512 = 512 KB)
//         for each A panel (MR rows) of the task        -> packed once, by whichever thread needs it first
//           for each B panel (NR columns)                  the 14 KB A panel stays in L1 across them
//             micro-kernel: C tile (=|+=) A panel · B panel
//
// A task owns its C rectangle for all of k, so the k blocks of one C element are always summed by
// one thread in order: the result does not depend on who runs which task. Because tasks are taken,
// not assigned, a thread that is late (descheduled by another process on a busy machine) costs at
// most the task it holds, never a barrier wait for the whole product.
public static partial class Gemm
{
    /// <summary>Columns of one task at most (NC): a 256 x 512 packed B block is 512 KB, half of the 1 MB L2.</summary>
    private const int ColumnBlock = 512;

    /// <summary>Floats of packed A per row block at most (16 MB): all of k stays packed so that tasks need no barrier.</summary>
    private const long PackedALimit = 4L << 20;

    /// <summary>Tasks per thread to aim for: enough that an uneven finish costs little, few enough that A panels are reused.</summary>
    private const int TasksPerThread = 4;

    /// <summary>A packed A panel state: not packed yet.</summary>
    private const int PanelEmpty = 0;

    /// <summary>A packed A panel state: a thread is packing it.</summary>
    private const int PanelPacking = 1;

    /// <summary>A packed A panel state: ready to use.</summary>
    private const int PanelReady = 2;

    /// <summary>Register block (rows, columns) of a kernel.</summary>
    private static (int Rows, int Columns) RegisterBlock(InstructionSet kernel)
        => kernel == InstructionSet.Avx512 ? (Avx512Rows, Avx512Columns) : (Avx2Rows, Avx2Columns);

    /// <summary>One row block of a product, cut into tasks, with the shared packed A and its panel states.</summary>
    private readonly unsafe struct Plan
    {
        public readonly Product Product;
        public readonly InstructionSet Kernel;
        public readonly int PanelRows, PanelColumns;
        public readonly int RowStart, Rows;
        public readonly int DepthBlocks;
        public readonly int ColumnTasks, ColumnPanelsPerTask, RowPanelsPerTask;
        public readonly int TaskCount;

        /// <summary>Packed A: unit (panel, depth block) at (panel * DepthBlocks + block) * UnitLength.</summary>
        public readonly float* PackedA;

        /// <summary>[row panels * DepthBlocks] states of the units of <see cref="PackedA"/>.</summary>
        public readonly int* States;

        public Plan(in Product product, InstructionSet kernel, int rowStart, int rows, int threads, Workspace workspace)
        {
            Product = product;
            Kernel = kernel;
            (PanelRows, PanelColumns) = RegisterBlock(kernel);
            RowStart = rowStart;
            Rows = rows;
            DepthBlocks = (product.K + DepthBlock - 1) / DepthBlock;
            int rowPanels = (rows + PanelRows - 1) / PanelRows;
            int columnPanels = (product.N + PanelColumns - 1) / PanelColumns;

            // Prefer splitting columns (each task then packs only its own part of B); split rows as well
            // when C has too few column panels to keep every thread busy.
            int target = threads == 1 ? 1 : threads * TasksPerThread;
            int columnTasks = Math.Min(columnPanels, target);
            ColumnPanelsPerTask = Math.Min((columnPanels + columnTasks - 1) / columnTasks, ColumnBlock / PanelColumns);
            ColumnTasks = (columnPanels + ColumnPanelsPerTask - 1) / ColumnPanelsPerTask;
            int rowTasks = Math.Min(rowPanels, (target + ColumnTasks - 1) / ColumnTasks);
            RowPanelsPerTask = (rowPanels + rowTasks - 1) / rowTasks;
            TaskCount = ColumnTasks * ((rowPanels + RowPanelsPerTask - 1) / RowPanelsPerTask);

            PackedA = workspace.PackedA((long)rowPanels * DepthBlocks * UnitLength);
            States = workspace.States(rowPanels * DepthBlocks);
            new Span<int>(States, rowPanels * DepthBlocks).Clear();
        }

        /// <summary>Floats per packed A unit: a panel of one full k block plus the transposer's spill room.</summary>
        public int UnitLength => PanelRows * DepthBlock + ATailPadding;
    }

    /// <summary>Rows per row block: as many whole panels as keep all of k packed within <see cref="PackedALimit"/>.</summary>
    private static int RowBlockRows(in Product product, InstructionSet kernel)
    {
        int panelRows = RegisterBlock(kernel).Rows;
        long depthBlocks = (product.K + DepthBlock - 1) / DepthBlock;
        long unitLength = (long)panelRows * DepthBlock + ATailPadding;
        long panels = Math.Max(1, PackedALimit / (depthBlocks * unitLength));
        return (int)Math.Min(product.M, panels * panelRows);
    }

    /// <summary>Runs a product on the calling thread: the same tasks, taken one after another.</summary>
    private static unsafe void RunSingle(in Product product, InstructionSet kernel)
    {
        Workspace workspace = Workspace.Current;
        int rowBlock = RowBlockRows(in product, kernel);
        for (int rowStart = 0; rowStart < product.M; rowStart += rowBlock)
        {
            var plan = new Plan(in product, kernel, rowStart, Math.Min(rowBlock, product.M - rowStart), 1, workspace);
            int nextTask = 0;
            RunTasks(in plan, ref nextTask, workspace);
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
        int columnTask = task % plan.ColumnTasks, rowTask = task / plan.ColumnTasks;
        int columnStart = columnTask * plan.ColumnPanelsPerTask * panelColumns;
        int columnEnd = Math.Min(product.N, columnStart + plan.ColumnPanelsPerTask * panelColumns);
        int columnPanels = (columnEnd - columnStart + panelColumns - 1) / panelColumns;
        int rowPanels = (plan.Rows + panelRows - 1) / panelRows;
        int panelStart = rowTask * plan.RowPanelsPerTask;
        int panelEnd = Math.Min(rowPanels, panelStart + plan.RowPanelsPerTask);

        float* packedB = workspace.PackedB((long)DepthBlock * ColumnBlock);
        float* tile = workspace.Tile;
        for (int block = 0; block < plan.DepthBlocks; block++)
        {
            int depthStart = block * DepthBlock;
            int depth = Math.Min(DepthBlock, product.K - depthStart);
            long bPanelLength = (long)panelColumns * depth;
            for (int panel = 0; panel < columnPanels; panel++)
            {
                int column = columnStart + panel * panelColumns;
                PackBPanel(product.B, product.Ldb, product.TransposeB, column, Math.Min(panelColumns, columnEnd - column),
                    depthStart, depth, panelColumns, packedB + panel * bPanelLength);
            }

            bool overwrite = block == 0 && !product.Accumulate;
            for (int rowPanel = panelStart; rowPanel < panelEnd; rowPanel++)
            {
                float* aPanel = PackedAPanel(in plan, rowPanel, block, panelEnd);
                int row = rowPanel * panelRows;
                int rows = Math.Min(panelRows, plan.Rows - row);
                float* cRow = product.C + (long)(plan.RowStart + row) * product.Ldc + columnStart;
                for (int panel = 0; panel < columnPanels; panel++)
                {
                    int column = panel * panelColumns;
                    RunTile(plan.Kernel, rows, Math.Min(panelColumns, columnEnd - columnStart - column), depth,
                        aPanel, packedB + panel * bPanelLength, cRow + column, product.Ldc, overwrite, tile);
                }
            }
        }
    }

    /// <summary>
    /// The packed A panel <paramref name="rowPanel"/> of k block <paramref name="block"/>: packed by this
    /// thread if nobody has started it; if another thread is packing it, this one packs a later panel of
    /// its run meanwhile (it will need that one next) and then waits the microsecond or so that is left.
    /// </summary>
    private static unsafe float* PackedAPanel(in Plan plan, int rowPanel, int block, int panelEnd)
    {
        int unit = rowPanel * plan.DepthBlocks + block;
        float* panel = plan.PackedA + (long)unit * plan.UnitLength;
        ref int state = ref plan.States[unit];
        if (Volatile.Read(ref state) == PanelReady) return panel;
        if (TryPackAPanel(in plan, rowPanel, block)) return panel;

        for (int ahead = rowPanel + 1; ahead < panelEnd; ahead++)
        {
            if (Volatile.Read(ref plan.States[ahead * plan.DepthBlocks + block]) == PanelEmpty)
            {
                TryPackAPanel(in plan, ahead, block);
                break;
            }
        }
        var spinner = new SpinWait();
        while (Volatile.Read(ref state) != PanelReady)
            spinner.SpinOnce(sleep1Threshold: -1);
        return panel;
    }

    /// <summary>Packs one A unit if no thread has claimed it yet; returns whether it is ready now.</summary>
    private static unsafe bool TryPackAPanel(in Plan plan, int rowPanel, int block)
    {
        int unit = rowPanel * plan.DepthBlocks + block;
        ref int state = ref plan.States[unit];
        if (Interlocked.CompareExchange(ref state, PanelPacking, PanelEmpty) != PanelEmpty)
            return Volatile.Read(ref state) == PanelReady;
        int row = rowPanel * plan.PanelRows;
        int depthStart = block * DepthBlock;
        ref readonly Product product = ref plan.Product;
        PackAPanel(product.A, product.Lda, product.TransposeA, plan.RowStart + row, Math.Min(plan.PanelRows, plan.Rows - row),
            depthStart, Math.Min(DepthBlock, product.K - depthStart), plan.PanelRows, plan.PackedA + (long)unit * plan.UnitLength);
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
        for (int r = 0; r < rows; r++)
        {
            float* source = tile + r * panelColumns;
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
            NativeMemory.AlignedFree(states);
            NativeMemory.AlignedFree(Tile);
        }

        /// <summary>This thread's workspace.</summary>
        public static Workspace Current => current ??= new Workspace();

        /// <summary>Scratch for one register tile at the right edge of C: [14, 32] floats.</summary>
        public float* Tile { get; }

        /// <summary>Packed A of a row block (shared with the team when this thread is the caller), at least <paramref name="length"/> floats.</summary>
        public float* PackedA(long length) => Grow(ref packedA, ref packedALength, length);

        /// <summary>Packed B of one task, at least <paramref name="length"/> floats.</summary>
        public float* PackedB(long length) => Grow(ref packedB, ref packedBLength, length);

        /// <summary>Panel states of a row block, at least <paramref name="length"/> of them.</summary>
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

        private static float* Grow(ref float* buffer, ref long capacity, long length)
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
}
