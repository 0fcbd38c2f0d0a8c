using System.Runtime.InteropServices;

namespace Dendrite.Kernels;

// The cache-blocked loop nest around the micro-kernel (GotoBLAS/BLIS order, adapted to a 32 KB L1):
//
//   for each row block of C (MC rows)                      ic
//     for each k block (KC = DepthBlock steps)             pc
//       pack this thread's share of the A block            -> shared, double-buffered
//       barrier (the whole A block is needed by every thread)
//       for each column chunk of this thread (NC columns)  jc
//         pack the B chunk                                 -> private, stays in L2 (KC x NC = 512 KB)
//         for each A panel (MR rows)                       ir: the 14 KB panel stays in L1
//           for each B panel (NR columns)                  jr: streamed from L2
//             micro-kernel: C tile (=|+=) A panel · B panel
//
// Threads split the columns of C (each packs its own B slice, kept in its own L2) and share the
// packing of A. k is never split, so each C element sees the same summation whoever computes it.
public static partial class Gemm
{
    /// <summary>MC in panels of rows: 72 x 14 = 1008 rows of A per block (about 1 MB packed, in L3).</summary>
    private const int RowBlockPanels = 72;

    /// <summary>NC in columns: a 256 x 512 packed B chunk is 512 KB, half of the 1 MB L2.</summary>
    private const int ColumnBlock = 512;

    /// <summary>Register block (rows, columns) of a kernel.</summary>
    private static (int Rows, int Columns) RegisterBlock(InstructionSet kernel)
        => kernel == InstructionSet.Avx512 ? (Avx512Rows, Avx512Columns) : (Avx2Rows, Avx2Columns);

    /// <summary>Rows of C per row block for a kernel (a whole number of panels).</summary>
    private static int RowBlock(InstructionSet kernel) => RowBlockPanels * RegisterBlock(kernel).Rows;

    /// <summary>Floats of one packed A block buffer: a full row block of panels, each with its tail padding.</summary>
    private static long PackedABlockLength(InstructionSet kernel, int m)
    {
        int rows = RegisterBlock(kernel).Rows;
        long panels = (Math.Min(m, RowBlock(kernel)) + rows - 1) / rows;
        return panels * ((long)rows * DepthBlock + ATailPadding);
    }

    /// <summary>Runs a product on the calling thread with its own workspace.</summary>
    private static unsafe void RunSingle(in Product product, InstructionSet kernel)
    {
        Workspace workspace = Workspace.Current;
        long length = PackedABlockLength(kernel, product.M);
        float* packedA = workspace.PackedA(0, length);
        // With one thread the A block is not shared, so one buffer serves every block.
        RunBlocked(in product, kernel, packedA, packedA, 0, 1, null);
    }

    /// <summary>
    /// This thread's part of a product: thread <paramref name="threadIndex"/> of <paramref name="threadCount"/>
    /// computes its share of the columns of C and packs its share of every A block into the shared buffers.
    /// </summary>
    private static unsafe void RunBlocked(in Product product, InstructionSet kernel,
        float* packedA0, float* packedA1, int threadIndex, int threadCount, Team? team)
    {
        (int panelRows, int panelColumns) = RegisterBlock(kernel);
        int m = product.M, n = product.N, k = product.K;
        Workspace workspace = Workspace.Current;
        float* packedB = workspace.PackedB((long)DepthBlock * ColumnBlock);
        float* tile = workspace.Tile;

        // This thread's columns: a contiguous run of whole B panels.
        int columnPanels = (n + panelColumns - 1) / panelColumns;
        int columnStart = (int)((long)columnPanels * threadIndex / threadCount) * panelColumns;
        int columnEnd = Math.Min(n, (int)((long)columnPanels * (threadIndex + 1) / threadCount) * panelColumns);

        int rowBlock = RowBlock(kernel);
        int blockNumber = 0;
        for (int rowStart = 0; rowStart < m; rowStart += rowBlock)
        {
            int blockRows = Math.Min(rowBlock, m - rowStart);
            int rowPanels = (blockRows + panelRows - 1) / panelRows;
            for (int depthStart = 0; depthStart < k; depthStart += DepthBlock)
            {
                int depth = Math.Min(DepthBlock, k - depthStart);
                long aPanelLength = (long)panelRows * depth + ATailPadding;
                float* packedA = (blockNumber++ & 1) == 0 ? packedA0 : packedA1;

                // Pack this thread's share of the A panels. Double buffering makes one barrier per block
                // enough: a thread packing block b+2 into this buffer has passed the barrier of block b+1,
                // which every thread reaches only after it has finished computing with block b.
                int panelStart = (int)((long)rowPanels * threadIndex / threadCount);
                int panelEnd = (int)((long)rowPanels * (threadIndex + 1) / threadCount);
                for (int panel = panelStart; panel < panelEnd; panel++)
                {
                    int row = panel * panelRows;
                    PackAPanel(product.A, product.Lda, product.TransposeA, rowStart + row, Math.Min(panelRows, blockRows - row),
                        depthStart, depth, panelRows, packedA + panel * aPanelLength);
                }
                team?.Barrier();

                bool overwrite = depthStart == 0 && !product.Accumulate;
                for (int chunkStart = columnStart; chunkStart < columnEnd; chunkStart += ColumnBlock)
                {
                    int chunkColumns = Math.Min(ColumnBlock, columnEnd - chunkStart);
                    int chunkPanels = (chunkColumns + panelColumns - 1) / panelColumns;
                    long bPanelLength = (long)panelColumns * depth;
                    for (int panel = 0; panel < chunkPanels; panel++)
                    {
                        int column = panel * panelColumns;
                        PackBPanel(product.B, product.Ldb, product.TransposeB, chunkStart + column,
                            Math.Min(panelColumns, chunkColumns - column), depthStart, depth, panelColumns,
                            packedB + panel * bPanelLength);
                    }

                    for (int rowPanel = 0; rowPanel < rowPanels; rowPanel++)
                    {
                        int row = rowPanel * panelRows;
                        int rows = Math.Min(panelRows, blockRows - row);
                        float* aPanel = packedA + rowPanel * aPanelLength;
                        float* cRow = product.C + (long)(rowStart + row) * product.Ldc + chunkStart;
                        for (int panel = 0; panel < chunkPanels; panel++)
                        {
                            int column = panel * panelColumns;
                            RunTile(kernel, rows, Math.Min(panelColumns, chunkColumns - column), depth,
                                aPanel, packedB + panel * bPanelLength, cRow + column, product.Ldc, overwrite, tile);
                        }
                    }
                }
            }
        }
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
    /// A thread's packing buffers: allocated on first use, grown when a larger product needs it, never
    /// per call; 64-byte aligned native memory, freed when the thread (and so this object) is gone.
    /// </summary>
    private sealed unsafe class Workspace
    {
        [ThreadStatic] private static Workspace? current;

        private readonly float*[] packedA = new float*[2];
        private readonly long[] packedALength = new long[2];
        private float* packedB;
        private long packedBLength;

        private Workspace()
        {
            Tile = (float*)NativeMemory.AlignedAlloc(Avx512Rows * Avx512Columns * sizeof(float), 64);
        }

        ~Workspace()
        {
            NativeMemory.AlignedFree(packedA[0]);
            NativeMemory.AlignedFree(packedA[1]);
            NativeMemory.AlignedFree(packedB);
            NativeMemory.AlignedFree(Tile);
        }

        /// <summary>This thread's workspace.</summary>
        public static Workspace Current => current ??= new Workspace();

        /// <summary>Scratch for one register tile at the right edge of C: [14, 32] floats.</summary>
        public float* Tile { get; }

        /// <summary>Packed A block buffer 0 or 1, at least <paramref name="length"/> floats.</summary>
        public float* PackedA(int index, long length)
        {
            if (packedALength[index] < length)
            {
                NativeMemory.AlignedFree(packedA[index]);
                packedA[index] = null;
                packedA[index] = (float*)NativeMemory.AlignedAlloc((nuint)(length * sizeof(float)), 64);
                packedALength[index] = length;
            }
            return packedA[index];
        }

        /// <summary>Packed B chunk buffer of at least <paramref name="length"/> floats.</summary>
        public float* PackedB(long length)
        {
            if (packedBLength < length)
            {
                NativeMemory.AlignedFree(packedB);
                packedB = null;
                packedB = (float*)NativeMemory.AlignedAlloc((nuint)(length * sizeof(float)), 64);
                packedBLength = length;
            }
            return packedB;
        }
    }
}
