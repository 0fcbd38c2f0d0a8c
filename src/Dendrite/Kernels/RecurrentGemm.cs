using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

// The recurrent product of one time step, C[m, n] (+)= A[m, k]·P, where P = op(B) is the same
// recurrent weight at every step of a sequence. P is packed once per sequence into column panels of
// 32 (two zmm registers), [panel][k][32], zero beyond the last column, so that no step repacks it
// (Gemm.Multiply would repack all of P, a megabyte for a 256-unit LSTM, at each of 64 steps). A is
// read in place, one broadcast per row and k step, because it is small (one step of a batch).
//
// The micro-kernel holds an 8 x 32 tile of C in 16 zmm accumulators: for each k it loads 32 floats of
// P and broadcasts 8 values of A, 16 fused multiply-adds. Each element of C is one FMA chain over all
// of k in order, starting from zero, then stored or added to C once: the result does not depend on
// how the rows are shared among threads. Identical to GemmReference except for that rounding order.
// Without AVX-512 the packed matrix keeps the plain layout and the product is Gemm.Multiply's.

/// <summary>
/// A right-hand matrix op(B) [k, n] packed once for many products with different left-hand sides:
/// the recurrent weight that every time step of a sequence multiplies. Reuse one instance across
/// sequences with <see cref="Pack"/>; the memory is native and freed by <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class PackedMatrix : IDisposable
{
    /// <summary>Columns per packed panel (two Vector512).</summary>
    internal const int PanelColumns = 32;

    private float* _data;
    private long _capacity;
    private bool _panelled;

    /// <summary>k, the rows of op(B).</summary>
    public int Depth { get; private set; }

    /// <summary>n, the columns of op(B).</summary>
    public int Columns { get; private set; }

    /// <summary>Whether the packing thread may use the panel layout (AVX-512 and not narrowed by a test).</summary>
    internal static bool PanelledHere => Avx512F.IsSupported && Gemm.Kernel == Gemm.InstructionSet.Avx512;

    /// <summary>Whether this matrix is in the panel layout (AVX-512); otherwise it is kept row-major [k, n] for Gemm.Multiply.</summary>
    internal bool Panelled => _panelled;

    internal float* Data => _data;

    /// <summary>Packs op(B) [k, n] (B itself, row stride <paramref name="ldb"/>, or the transpose of a stored [n, k]).</summary>
    public void Pack(int k, int n, ReadOnlySpan<float> b, int ldb, bool transposeB)
    {
        if (k <= 0 || n <= 0 || ldb < (transposeB ? k : n) || b.Length < (long)((transposeB ? n : k) - 1) * ldb + (transposeB ? k : n))
            throw new ArgumentException($"PackedMatrix.Pack: op(B) [{k}, {n}] with ldb {ldb} (transposeB {transposeB}) does not fit a span of {b.Length}.", nameof(b));
        int panels = Reserve(k, n);
        if (!Panelled)
        {
            // Row-major op(B) for Gemm.Multiply.
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++) _data[(long)p * n + j] = transposeB ? b[j * ldb + p] : b[p * ldb + j];
            return;
        }
        for (int panel = 0; panel < panels; panel++)
        {
            float* destination = _data + (long)panel * k * PanelColumns;
            int first = panel * PanelColumns, width = Math.Min(PanelColumns, n - first);
            if (width < PanelColumns) new Span<float>(destination, k * PanelColumns).Clear();
            if (transposeB && width == PanelColumns && k % 16 == 0)
            {
                // 16 x 16 blocks of the stored B transposed in registers into the panel (the scalar loop below
                // was 0.6 % of the lstm step on one core, serial before the recurrence).
                fixed (float* source = b)
                {
                    for (int j0 = 0; j0 < PanelColumns; j0 += 16)
                        for (int p0 = 0; p0 < k; p0 += 16)
                            Gemm.Transpose16x16(source + (long)(first + j0) * ldb + p0, ldb, 16, destination + p0 * PanelColumns + j0, PanelColumns);
                }
            }
            else if (transposeB)
            {
                // op(B)[:, column] is row `column` of the stored B: read it along, write down the panel.
                for (int j = 0; j < width; j++)
                {
                    ReadOnlySpan<float> row = b.Slice((first + j) * ldb, k);
                    for (int p = 0; p < k; p++) destination[p * PanelColumns + j] = row[p];
                }
            }
            else
            {
                // Each k step of the panel is a contiguous stretch of a row of B.
                if (width == PanelColumns)
                {
                    fixed (float* source = b)
                    {
                        for (int p = 0; p < k; p++)
                        {
                            float* row = source + (long)p * ldb + first;
                            Vector512.Store(Vector512.Load(row), destination + p * PanelColumns);
                            Vector512.Store(Vector512.Load(row + 16), destination + p * PanelColumns + 16);
                        }
                    }
                }
                else
                {
                    for (int p = 0; p < k; p++) b.Slice(p * ldb + first, width).CopyTo(new Span<float>(destination + p * PanelColumns, width));
                }
            }
        }
    }

    /// <summary>
    /// Makes room for an op(B) [k, n] that callers then fill row by row with <see cref="SetRow"/> (from
    /// several threads at once, each writing its own rows), instead of packing a finished matrix.
    /// </summary>
    public void Allocate(int k, int n)
    {
        if (k <= 0 || n <= 0)
            throw new ArgumentException($"PackedMatrix.Allocate: op(B) [{k}, {n}] must have rows and columns.");
        int panels = Reserve(k, n);
        // The padding columns of a partial last panel are read by the kernel (their results are dropped): zero, not garbage.
        if (Panelled && n % PanelColumns != 0)
            new Span<float>(_data + (long)(panels - 1) * k * PanelColumns, k * PanelColumns).Clear();
    }

    /// <summary>Sets the dimensions and layout for an op(B) [k, n] and grows the native memory to fit; returns the panel count.</summary>
    private int Reserve(int k, int n)
    {
        Depth = k;
        Columns = n;
        _panelled = PanelledHere;
        int panels = (n + PanelColumns - 1) / PanelColumns;
        long length = Panelled ? (long)panels * k * PanelColumns : (long)k * n;
        Gemm.GrowAligned(ref _data, ref _capacity, length);
        return panels;
    }

    /// <summary>Writes row <paramref name="row"/> of op(B) (<see cref="Columns"/> values) into the layout made by <see cref="Allocate"/>.</summary>
    public void SetRow(int row, ReadOnlySpan<float> values)
    {
        if ((uint)row >= (uint)Depth || values.Length != Columns)
            throw new ArgumentException($"PackedMatrix.SetRow: row {row} of [{Depth}, {Columns}] given {values.Length} values.");
        if (!Panelled)
        {
            values.CopyTo(new Span<float>(_data + (long)row * Columns, Columns));
            return;
        }
        for (int first = 0, panel = 0; first < Columns; first += PanelColumns, panel++)
        {
            int width = Math.Min(PanelColumns, Columns - first);
            values.Slice(first, width).CopyTo(new Span<float>(_data + ((long)panel * Depth + row) * PanelColumns, width));
        }
    }

    /// <summary>Frees the native memory.</summary>
    public void Dispose()
    {
        NativeMemory.AlignedFree(_data);
        _data = null;
        _capacity = 0;
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the native memory of an instance that was not disposed.</summary>
    ~PackedMatrix() => NativeMemory.AlignedFree(_data);
}

/// <summary>
/// C[m, n] (+)= A[m, k]·P with P a <see cref="PackedMatrix"/>: the per-step product of a recurrent
/// layer, on the calling thread (callers share the rows of a batch among threads themselves).
/// </summary>
public static class RecurrentGemm
{
    private const int TileRows = 8;

    /// <summary>
    /// C = A·P, or C += A·P when <paramref name="accumulate"/>. A is [m, k] row-major with row stride
    /// <paramref name="lda"/>; C is [m, n] with row stride <paramref name="ldc"/>; k and n are P's.
    /// </summary>
    public static unsafe void Multiply(int m, ReadOnlySpan<float> a, int lda, PackedMatrix packed, Span<float> c, int ldc, bool accumulate)
    {
        ArgumentNullException.ThrowIfNull(packed);
        int k = packed.Depth, n = packed.Columns;
        if (m < 0 || lda < k || ldc < n || (m > 0 && (a.Length < (long)(m - 1) * lda + k || c.Length < (long)(m - 1) * ldc + n)))
            throw new ArgumentException($"RecurrentGemm.Multiply: A [{m}, {k}] (lda {lda}) and C [{m}, {n}] (ldc {ldc}) do not fit spans of {a.Length} and {c.Length}.", nameof(a));
        if (m == 0) return;
        if (!packed.Panelled)
        {
            Gemm.Multiply(m, n, k, a, lda, false, new ReadOnlySpan<float>(packed.Data, k * n), n, false, c, ldc, accumulate);
            return;
        }
        fixed (float* pa = a)
        fixed (float* pc = c)
        {
            Panels(m, k, n, pa, lda, packed, pc, ldc, accumulate, null, null);
        }
    }

    /// <summary>
    /// C[i, :] = addend[rows[i], :] + (A·P)[i, :]: <see cref="Multiply"/> with accumulate, but adding rows
    /// picked from a table [*, n] instead of what C held (the input projections of a step of tokens, read
    /// from the table E·W_ihᵀ without first copying them into C). The same bits as copying the picked rows
    /// into C and calling <see cref="Multiply"/> with accumulate.
    /// </summary>
    public static unsafe void MultiplyAdd(int m, ReadOnlySpan<float> a, int lda, PackedMatrix packed, ReadOnlySpan<float> addend, ReadOnlySpan<int> rows, Span<float> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(packed);
        int k = packed.Depth, n = packed.Columns;
        if (m < 0 || lda < k || ldc < n || rows.Length < m || (m > 0 && (a.Length < (long)(m - 1) * lda + k || c.Length < (long)(m - 1) * ldc + n)))
            throw new ArgumentException($"RecurrentGemm.MultiplyAdd: A [{m}, {k}] (lda {lda}), C [{m}, {n}] (ldc {ldc}) and {rows.Length} row indices do not fit spans of {a.Length} and {c.Length}.", nameof(a));
        for (int i = 0; i < m; i++)
        {
            if (rows[i] < 0 || (long)(rows[i] + 1) * n > addend.Length)
                throw new ArgumentOutOfRangeException(nameof(rows), $"RecurrentGemm.MultiplyAdd: row {rows[i]} of the addend [{addend.Length / n}, {n}] does not exist.");
        }
        if (m == 0) return;
        if (!packed.Panelled)
        {
            for (int i = 0; i < m; i++) addend.Slice(rows[i] * n, n).CopyTo(c.Slice(i * ldc, n));
            Gemm.Multiply(m, n, k, a, lda, false, new ReadOnlySpan<float>(packed.Data, k * n), n, false, c, ldc, accumulate: true);
            return;
        }
        fixed (float* pa = a)
        fixed (float* pc = c)
        fixed (float* pt = addend)
        fixed (int* pr = rows)
        {
            Panels(m, k, n, pa, lda, packed, pc, ldc, accumulate: true, pt, pr);
        }
    }

    /// <summary>The panelled product; with <paramref name="addend"/>, row i adds addend row rows[i] instead of C's own row.</summary>
    private static unsafe void Panels(int m, int k, int n, float* pa, int lda, PackedMatrix packed, float* pc, int ldc, bool accumulate, float* addend, int* addendRows)
    {
        {
            float* tile = stackalloc float[TileRows * PackedMatrix.PanelColumns];
            float** sources = stackalloc float*[TileRows];
            int panels = (n + PackedMatrix.PanelColumns - 1) / PackedMatrix.PanelColumns;
            for (int row = 0; row < m; row += TileRows)
            {
                int rows = Math.Min(TileRows, m - row);
                for (int panel = 0; panel < panels; panel++)
                {
                    int first = panel * PackedMatrix.PanelColumns, width = Math.Min(PackedMatrix.PanelColumns, n - first);
                    float* b = packed.Data + (long)panel * k * PackedMatrix.PanelColumns;
                    float* target = width == PackedMatrix.PanelColumns ? pc + (long)row * ldc + first : tile;
                    long ldt = width == PackedMatrix.PanelColumns ? ldc : PackedMatrix.PanelColumns;
                    bool add = accumulate && width == PackedMatrix.PanelColumns;
                    float** added = null;
                    if (addend is not null)
                    {
                        // What each row adds: its addend row, or (the tile) nothing here and the addend below.
                        for (int r = 0; r < rows; r++) sources[r] = addend + (long)addendRows[row + r] * n + first;
                        added = add ? sources : null;
                    }
                    Tile(rows, k, pa + (long)row * lda, lda, b, target, ldt, add, added);
                    if (width == PackedMatrix.PanelColumns) continue;
                    for (int r = 0; r < rows; r++)
                    {
                        float* source = tile + r * PackedMatrix.PanelColumns, destination = pc + (long)(row + r) * ldc + first;
                        float* plus = addend is not null ? sources[r] : destination;
                        for (int j = 0; j < width; j++) destination[j] = accumulate ? plus[j] + source[j] : source[j];
                    }
                }
            }
        }
    }

    private static unsafe void Tile(int rows, int depth, float* a, long lda, float* b, float* c, long ldc, bool accumulate, float** addends)
        => Tile<InPlace>(rows, depth, a, lda, b, c, ldc, accumulate, addends);

    /// <summary>
    /// C[rows, 32] (=|+=) A·panel for A read in place (<paramref name="rows"/> ≤ 8 rows
    /// <paramref name="lda"/> apart, each contiguous along depth) and a [depth][32] B panel: the
    /// blocked GEMM's tile when it does not pack A.
    /// </summary>
    internal static unsafe void InPlaceTile(int rows, int depth, float* a, long lda, float* b, float* c, long ldc, bool accumulate)
        => Tile<InPlace>(rows, depth, a, lda, b, c, ldc, accumulate, null);

    /// <summary>
    /// <see cref="InPlaceTile"/> for a product at most 16 columns wide: C[rows, 16] (=|+=) A·(the left
    /// half of the [depth][32] B panel), half the multiply-adds of the full tile for the same useful
    /// columns (a classifier's 10 outputs, say). The same FMA chain per element.
    /// </summary>
    internal static unsafe void InPlaceNarrowTile(int rows, int depth, float* a, long lda, float* b, float* c, long ldc, bool accumulate)
    {
        switch (rows)
        {
            case 8: NarrowKernel<Rows8>(depth, a, lda, b, c, ldc, accumulate); break;
            case 7: NarrowKernel<Rows7>(depth, a, lda, b, c, ldc, accumulate); break;
            case 6: NarrowKernel<Rows6>(depth, a, lda, b, c, ldc, accumulate); break;
            case 5: NarrowKernel<Rows5>(depth, a, lda, b, c, ldc, accumulate); break;
            case 4: NarrowKernel<Rows4>(depth, a, lda, b, c, ldc, accumulate); break;
            case 3: NarrowKernel<Rows3>(depth, a, lda, b, c, ldc, accumulate); break;
            case 2: NarrowKernel<Rows2>(depth, a, lda, b, c, ldc, accumulate); break;
            default: NarrowKernel<Rows1>(depth, a, lda, b, c, ldc, accumulate); break;
        }
    }

    /// <summary>
    /// C[rows, 32] (=|+=) A·panel for an A panel packed as [depth][8] (row r of step p at
    /// <paramref name="panel"/>[8p + r], rows beyond <paramref name="rows"/> ignored) and a
    /// <see cref="PackedMatrix"/>-style B panel [depth][32]; C has row stride <paramref name="ldc"/>.
    /// The same FMA order as the products above: one chain over depth per element, from zero.
    /// </summary>
    internal static unsafe void PackedTile(int rows, int depth, float* panel, float* b, float* c, long ldc, bool accumulate)
        => Tile<Packed>(rows, depth, panel, 1, b, c, ldc, accumulate, null);

    private static unsafe void Tile<TLayout>(int rows, int depth, float* a, long lda, float* b, float* c, long ldc, bool accumulate, float** addends)
        where TLayout : struct, ILayout
    {
        switch (rows)
        {
            case 8: Kernel<Rows8, TLayout>(depth, a, lda, b, c, ldc, accumulate, addends); break;
            case 7: Kernel<Rows7, TLayout>(depth, a, lda, b, c, ldc, accumulate, addends); break;
            case 6: Kernel<Rows6, TLayout>(depth, a, lda, b, c, ldc, accumulate, addends); break;
            case 5: Kernel<Rows5, TLayout>(depth, a, lda, b, c, ldc, accumulate, addends); break;
            case 4: Kernel<Rows4, TLayout>(depth, a, lda, b, c, ldc, accumulate, addends); break;
            case 3: Kernel<Rows3, TLayout>(depth, a, lda, b, c, ldc, accumulate, addends); break;
            case 2: Kernel<Rows2, TLayout>(depth, a, lda, b, c, ldc, accumulate, addends); break;
            default: Kernel<Rows1, TLayout>(depth, a, lda, b, c, ldc, accumulate, addends); break;
        }
    }

    /// <summary>How A is laid out: the distance in floats between its values at k step p and p + 1 of one row.</summary>
    private interface ILayout
    {
        static abstract int DepthStride { get; }
    }

    /// <summary>A read in place: rows lda apart, each row contiguous along k.</summary>
    private readonly struct InPlace : ILayout { public static int DepthStride => 1; }

    /// <summary>A packed panel [k][8]: rows adjacent, k steps 8 apart (lda = 1).</summary>
    private readonly struct Packed : ILayout { public static int DepthStride => TileRows; }

    private interface IRows
    {
        static abstract int Value { get; }
    }

    private readonly struct Rows1 : IRows { public static int Value => 1; }
    private readonly struct Rows2 : IRows { public static int Value => 2; }
    private readonly struct Rows3 : IRows { public static int Value => 3; }
    private readonly struct Rows4 : IRows { public static int Value => 4; }
    private readonly struct Rows5 : IRows { public static int Value => 5; }
    private readonly struct Rows6 : IRows { public static int Value => 6; }
    private readonly struct Rows7 : IRows { public static int Value => 7; }
    private readonly struct Rows8 : IRows { public static int Value => 8; }

    /// <summary>
    /// C[R, 32] (=|+=) A[R, depth]·panel[depth, 32]; R and A's layout are constants per instantiation, so unused rows fold away.
    /// With <paramref name="addends"/> (and accumulate), row r adds addends[r][0..32) instead of its own C row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel<TRows, TLayout>(int depth, float* a, long lda, float* b, float* c, long ldc, bool accumulate, float** addends)
        where TRows : struct, IRows
        where TLayout : struct, ILayout
    {
        Vector512<float> l0 = default, r0 = default, l1 = default, r1 = default, l2 = default, r2 = default, l3 = default, r3 = default;
        Vector512<float> l4 = default, r4 = default, l5 = default, r5 = default, l6 = default, r6 = default, l7 = default, r7 = default;
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda, a6 = a + 6 * lda, a7 = a + 7 * lda;
        for (int p = 0; p < depth; p++)
        {
            Vector512<float> left = Vector512.Load(b), right = Vector512.Load(b + 16);
            b += PackedMatrix.PanelColumns;
            nint q = (nint)p * TLayout.DepthStride;
            Vector512<float> x = Vector512.Create(a0[q]);
            l0 = Vector512.FusedMultiplyAdd(x, left, l0);
            r0 = Vector512.FusedMultiplyAdd(x, right, r0);
            if (TRows.Value > 1) { x = Vector512.Create(a1[q]); l1 = Vector512.FusedMultiplyAdd(x, left, l1); r1 = Vector512.FusedMultiplyAdd(x, right, r1); }
            if (TRows.Value > 2) { x = Vector512.Create(a2[q]); l2 = Vector512.FusedMultiplyAdd(x, left, l2); r2 = Vector512.FusedMultiplyAdd(x, right, r2); }
            if (TRows.Value > 3) { x = Vector512.Create(a3[q]); l3 = Vector512.FusedMultiplyAdd(x, left, l3); r3 = Vector512.FusedMultiplyAdd(x, right, r3); }
            if (TRows.Value > 4) { x = Vector512.Create(a4[q]); l4 = Vector512.FusedMultiplyAdd(x, left, l4); r4 = Vector512.FusedMultiplyAdd(x, right, r4); }
            if (TRows.Value > 5) { x = Vector512.Create(a5[q]); l5 = Vector512.FusedMultiplyAdd(x, left, l5); r5 = Vector512.FusedMultiplyAdd(x, right, r5); }
            if (TRows.Value > 6) { x = Vector512.Create(a6[q]); l6 = Vector512.FusedMultiplyAdd(x, left, l6); r6 = Vector512.FusedMultiplyAdd(x, right, r6); }
            if (TRows.Value > 7) { x = Vector512.Create(a7[q]); l7 = Vector512.FusedMultiplyAdd(x, left, l7); r7 = Vector512.FusedMultiplyAdd(x, right, r7); }
        }
        if (addends is not null)
        {
            Store(c, addends[0], l0, r0);
            if (TRows.Value > 1) Store(c + ldc, addends[1], l1, r1);
            if (TRows.Value > 2) Store(c + 2 * ldc, addends[2], l2, r2);
            if (TRows.Value > 3) Store(c + 3 * ldc, addends[3], l3, r3);
            if (TRows.Value > 4) Store(c + 4 * ldc, addends[4], l4, r4);
            if (TRows.Value > 5) Store(c + 5 * ldc, addends[5], l5, r5);
            if (TRows.Value > 6) Store(c + 6 * ldc, addends[6], l6, r6);
            if (TRows.Value > 7) Store(c + 7 * ldc, addends[7], l7, r7);
            return;
        }
        Store(c, l0, r0, accumulate);
        if (TRows.Value > 1) Store(c + ldc, l1, r1, accumulate);
        if (TRows.Value > 2) Store(c + 2 * ldc, l2, r2, accumulate);
        if (TRows.Value > 3) Store(c + 3 * ldc, l3, r3, accumulate);
        if (TRows.Value > 4) Store(c + 4 * ldc, l4, r4, accumulate);
        if (TRows.Value > 5) Store(c + 5 * ldc, l5, r5, accumulate);
        if (TRows.Value > 6) Store(c + 6 * ldc, l6, r6, accumulate);
        if (TRows.Value > 7) Store(c + 7 * ldc, l7, r7, accumulate);
    }

    /// <summary>C[R, 16] (=|+=) A[R, depth]·panel[depth, 0..16) with A read in place; the panel has 32 floats per k step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void NarrowKernel<TRows>(int depth, float* a, long lda, float* b, float* c, long ldc, bool accumulate)
        where TRows : struct, IRows
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda, a6 = a + 6 * lda, a7 = a + 7 * lda;
        for (int p = 0; p < depth; p++)
        {
            Vector512<float> left = Vector512.Load(b);
            b += PackedMatrix.PanelColumns;
            s0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[p]), left, s0);
            if (TRows.Value > 1) s1 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[p]), left, s1);
            if (TRows.Value > 2) s2 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[p]), left, s2);
            if (TRows.Value > 3) s3 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[p]), left, s3);
            if (TRows.Value > 4) s4 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[p]), left, s4);
            if (TRows.Value > 5) s5 = Vector512.FusedMultiplyAdd(Vector512.Create(a5[p]), left, s5);
            if (TRows.Value > 6) s6 = Vector512.FusedMultiplyAdd(Vector512.Create(a6[p]), left, s6);
            if (TRows.Value > 7) s7 = Vector512.FusedMultiplyAdd(Vector512.Create(a7[p]), left, s7);
        }
        StoreHalf(c, s0, accumulate);
        if (TRows.Value > 1) StoreHalf(c + ldc, s1, accumulate);
        if (TRows.Value > 2) StoreHalf(c + 2 * ldc, s2, accumulate);
        if (TRows.Value > 3) StoreHalf(c + 3 * ldc, s3, accumulate);
        if (TRows.Value > 4) StoreHalf(c + 4 * ldc, s4, accumulate);
        if (TRows.Value > 5) StoreHalf(c + 5 * ldc, s5, accumulate);
        if (TRows.Value > 6) StoreHalf(c + 6 * ldc, s6, accumulate);
        if (TRows.Value > 7) StoreHalf(c + 7 * ldc, s7, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreHalf(float* c, Vector512<float> sum, bool accumulate)
        => Vector512.Store(accumulate ? sum + Vector512.Load(c) : sum, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(float* c, Vector512<float> left, Vector512<float> right, bool accumulate)
    {
        if (accumulate)
        {
            left += Vector512.Load(c);
            right += Vector512.Load(c + 16);
        }
        Vector512.Store(left, c);
        Vector512.Store(right, c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(float* c, float* addend, Vector512<float> left, Vector512<float> right)
    {
        Vector512.Store(left + Vector512.Load(addend), c);
        Vector512.Store(right + Vector512.Load(addend + 16), c + 16);
    }
}
