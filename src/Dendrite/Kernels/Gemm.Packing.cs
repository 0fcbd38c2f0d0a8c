using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

// Packing copies one block of op(A) or op(B) into the order the micro-kernel reads it, so that the
// kernel walks memory strictly forward. Transposed operands are handled here, by reading the stored
// matrix in the other order; no transposed copy is ever made.
//
// Packed A panel: [depth, rowsPerPanel], dst[p * rowsPerPanel + r] = op(A)[row + r, depthStart + p].
//   Rows past the valid ones are left as they are: the row-specialised kernel never reads them.
//   A panel is followed by ATailPadding floats that the 16-wide stores may spill into.
// Packed B panel: [depth, columnsPerPanel], dst[p * columnsPerPanel + j] = op(B)[depthStart + p, column + j].
//   Columns past the valid ones are zero, so that the kernel's discarded lanes stay finite and fast.
public static partial class Gemm
{
    /// <summary>Floats after each packed A panel that the overlapping 16-wide stores of the transposer may write.</summary>
    internal const int ATailPadding = 16;

    /// <summary>
    /// Packs rows [row, row + rows) of op(A), k steps [depthStart, depthStart + depth), into one panel
    /// of <paramref name="rowsPerPanel"/> floats per k step.
    /// </summary>
    private static unsafe void PackAPanel(float* a, int lda, bool transposeA, int row, int rows,
        int depthStart, int depth, int rowsPerPanel, float* destination)
    {
        if (transposeA)
        {
            // a is stored [k, m]: one k step of the panel is `rows` contiguous floats.
            float* source = a + (long)depthStart * lda + row;
            if (Avx512F.IsSupported)
            {
                // A masked load never touches memory past the matrix; the full 16-wide store lands
                // in the next k step (overwritten next) or in the panel's tail padding.
                Vector512<float> mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(rows)).AsSingle();
                for (int p = 0; p < depth; p++)
                {
                    Vector512.Store(Avx512F.MaskLoad(source, mask, Vector512<float>.Zero), destination);
                    source += lda;
                    destination += rowsPerPanel;
                }
            }
            else
            {
                for (int p = 0; p < depth; p++)
                {
                    new ReadOnlySpan<float>(source, rows).CopyTo(new Span<float>(destination, rows));
                    source += lda;
                    destination += rowsPerPanel;
                }
            }
            return;
        }

        // a is stored [m, k]: a panel is a transpose of `rows` row segments.
        float* rowStart = a + (long)row * lda + depthStart;
        int p0 = 0;
        if (Avx512F.IsSupported)
        {
            // 16 k steps at a time through the in-register transposer; rows >= `rows` read as zero.
            for (; p0 + 16 <= depth; p0 += 16)
                Transpose16x16(rowStart + p0, lda, rows, destination + p0 * rowsPerPanel, rowsPerPanel);
        }
        for (int r = 0; r < rows; r++)
        {
            float* source = rowStart + (long)r * lda;
            for (int p = p0; p < depth; p++)
                destination[p * rowsPerPanel + r] = source[p];
        }
    }

    /// <summary>
    /// Packs columns [column, column + columns) of op(B), k steps [depthStart, depthStart + depth),
    /// into one panel of <paramref name="columnsPerPanel"/> floats per k step, zero beyond <paramref name="columns"/>.
    /// </summary>
    private static unsafe void PackBPanel(float* b, int ldb, bool transposeB, int column, int columns,
        int depthStart, int depth, int columnsPerPanel, float* destination)
    {
        if (!transposeB)
        {
            // b is stored [k, n]: one k step of the panel is `columns` contiguous floats.
            float* source = b + (long)depthStart * ldb + column;
            if (Avx512F.IsSupported && columnsPerPanel == 32)
            {
                if (columns == 32)
                {
                    for (int p = 0; p < depth; p++)
                    {
                        Vector512.Store(Vector512.Load(source), destination);
                        Vector512.Store(Vector512.Load(source + 16), destination + 16);
                        source += ldb;
                        destination += 32;
                    }
                }
                else
                {
                    Vector512<int> indices = Vector512<int>.Indices;
                    Vector512<float> lowMask = Vector512.LessThan(indices, Vector512.Create(columns)).AsSingle();
                    Vector512<float> highMask = Vector512.LessThan(indices, Vector512.Create(columns - 16)).AsSingle();
                    for (int p = 0; p < depth; p++)
                    {
                        Vector512.Store(Avx512F.MaskLoad(source, lowMask, Vector512<float>.Zero), destination);
                        Vector512.Store(Avx512F.MaskLoad(source + 16, highMask, Vector512<float>.Zero), destination + 16);
                        source += ldb;
                        destination += 32;
                    }
                }
            }
            else if (Vector256.IsHardwareAccelerated && columnsPerPanel == 16 && columns == 16)
            {
                for (int p = 0; p < depth; p++)
                {
                    Vector256.Store(Vector256.Load(source), destination);
                    Vector256.Store(Vector256.Load(source + 8), destination + 8);
                    source += ldb;
                    destination += 16;
                }
            }
            else
            {
                for (int p = 0; p < depth; p++)
                {
                    int j = 0;
                    for (; j < columns; j++) destination[j] = source[j];
                    for (; j < columnsPerPanel; j++) destination[j] = 0f;
                    source += ldb;
                    destination += columnsPerPanel;
                }
            }
            return;
        }

        // b is stored [n, k]: a panel is a transpose of `columns` row segments.
        float* columnStart = b + (long)column * ldb + depthStart;
        int p0 = 0;
        if (Avx512F.IsSupported && columnsPerPanel == 32)
        {
            // Two 16x16 transposes per 16 k steps; the right half is skipped when the narrow kernel
            // (which reads only the left 16 columns) will be used.
            for (; p0 + 16 <= depth; p0 += 16)
            {
                Transpose16x16(columnStart + p0, ldb, Math.Min(columns, 16), destination + p0 * 32, 32);
                if (columns > 16)
                    Transpose16x16(columnStart + 16L * ldb + p0, ldb, columns - 16, destination + p0 * 32 + 16, 32);
            }
        }
        for (int p = p0; p < depth; p++)
        {
            float* target = destination + p * columnsPerPanel;
            int j = 0;
            for (; j < columns; j++) target[j] = columnStart[(long)j * ldb + p];
            for (; j < columnsPerPanel; j++) target[j] = 0f;
        }
        if (p0 > 0 && columns <= 16 && columnsPerPanel == 32)
        {
            // The transposer wrote only the left half of those k steps; keep the right half finite too.
            for (int p = 0; p < p0; p++)
                Vector512.Store(Vector512<float>.Zero, destination + p * 32 + 16);
        }
    }

    /// <summary>
    /// Transposes a 16x16 block: reads 16 floats from each of <paramref name="rows"/> rows of
    /// <paramref name="source"/> (row stride <paramref name="sourceStride"/>; the missing rows count as zero)
    /// and writes source column t as 16 floats at destination + t * destinationStride, for t = 0..15 in order,
    /// so that with a stride below 16 each store overwrites the previous one's spill.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Transpose16x16(float* source, int sourceStride, int rows, float* destination, int destinationStride)
    {
        long stride = sourceStride;
        Vector512<float> zero = Vector512<float>.Zero;
        Vector512<float> r0 = rows > 0 ? Vector512.Load(source) : zero;
        Vector512<float> r1 = rows > 1 ? Vector512.Load(source + stride) : zero;
        Vector512<float> r2 = rows > 2 ? Vector512.Load(source + 2 * stride) : zero;
        Vector512<float> r3 = rows > 3 ? Vector512.Load(source + 3 * stride) : zero;
        Vector512<float> r4 = rows > 4 ? Vector512.Load(source + 4 * stride) : zero;
        Vector512<float> r5 = rows > 5 ? Vector512.Load(source + 5 * stride) : zero;
        Vector512<float> r6 = rows > 6 ? Vector512.Load(source + 6 * stride) : zero;
        Vector512<float> r7 = rows > 7 ? Vector512.Load(source + 7 * stride) : zero;
        Vector512<float> r8 = rows > 8 ? Vector512.Load(source + 8 * stride) : zero;
        Vector512<float> r9 = rows > 9 ? Vector512.Load(source + 9 * stride) : zero;
        Vector512<float> r10 = rows > 10 ? Vector512.Load(source + 10 * stride) : zero;
        Vector512<float> r11 = rows > 11 ? Vector512.Load(source + 11 * stride) : zero;
        Vector512<float> r12 = rows > 12 ? Vector512.Load(source + 12 * stride) : zero;
        Vector512<float> r13 = rows > 13 ? Vector512.Load(source + 13 * stride) : zero;
        Vector512<float> r14 = rows > 14 ? Vector512.Load(source + 14 * stride) : zero;
        Vector512<float> r15 = rows > 15 ? Vector512.Load(source + 15 * stride) : zero;

        // Stage 1: interleave pairs of rows element by element (within each 128-bit lane).
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1);
        Vector512<float> t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<float> t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5);
        Vector512<float> t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<float> t8 = Avx512F.UnpackLow(r8, r9), t9 = Avx512F.UnpackHigh(r8, r9);
        Vector512<float> t10 = Avx512F.UnpackLow(r10, r11), t11 = Avx512F.UnpackHigh(r10, r11);
        Vector512<float> t12 = Avx512F.UnpackLow(r12, r13), t13 = Avx512F.UnpackHigh(r12, r13);
        Vector512<float> t14 = Avx512F.UnpackLow(r14, r15), t15 = Avx512F.UnpackHigh(r14, r15);

        // Stage 2: interleave pairs of those by 64-bit element: each 128-bit lane now holds a 4x4 transpose.
        r0 = UnpackLow64(t0, t2); r1 = UnpackHigh64(t0, t2); r2 = UnpackLow64(t1, t3); r3 = UnpackHigh64(t1, t3);
        r4 = UnpackLow64(t4, t6); r5 = UnpackHigh64(t4, t6); r6 = UnpackLow64(t5, t7); r7 = UnpackHigh64(t5, t7);
        r8 = UnpackLow64(t8, t10); r9 = UnpackHigh64(t8, t10); r10 = UnpackLow64(t9, t11); r11 = UnpackHigh64(t9, t11);
        r12 = UnpackLow64(t12, t14); r13 = UnpackHigh64(t12, t14); r14 = UnpackLow64(t13, t15); r15 = UnpackHigh64(t13, t15);

        // Stages 3 and 4: move whole 128-bit lanes (0x88 takes lanes 0 and 2, 0xDD lanes 1 and 3 of each input).
        t0 = Avx512F.Shuffle4x128(r0, r4, 0x88); t1 = Avx512F.Shuffle4x128(r1, r5, 0x88);
        t2 = Avx512F.Shuffle4x128(r2, r6, 0x88); t3 = Avx512F.Shuffle4x128(r3, r7, 0x88);
        t4 = Avx512F.Shuffle4x128(r0, r4, 0xDD); t5 = Avx512F.Shuffle4x128(r1, r5, 0xDD);
        t6 = Avx512F.Shuffle4x128(r2, r6, 0xDD); t7 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
        t8 = Avx512F.Shuffle4x128(r8, r12, 0x88); t9 = Avx512F.Shuffle4x128(r9, r13, 0x88);
        t10 = Avx512F.Shuffle4x128(r10, r14, 0x88); t11 = Avx512F.Shuffle4x128(r11, r15, 0x88);
        t12 = Avx512F.Shuffle4x128(r8, r12, 0xDD); t13 = Avx512F.Shuffle4x128(r9, r13, 0xDD);
        t14 = Avx512F.Shuffle4x128(r10, r14, 0xDD); t15 = Avx512F.Shuffle4x128(r11, r15, 0xDD);

        long d = destinationStride;
        Vector512.Store(Avx512F.Shuffle4x128(t0, t8, 0x88), destination);
        Vector512.Store(Avx512F.Shuffle4x128(t1, t9, 0x88), destination + d);
        Vector512.Store(Avx512F.Shuffle4x128(t2, t10, 0x88), destination + 2 * d);
        Vector512.Store(Avx512F.Shuffle4x128(t3, t11, 0x88), destination + 3 * d);
        Vector512.Store(Avx512F.Shuffle4x128(t4, t12, 0x88), destination + 4 * d);
        Vector512.Store(Avx512F.Shuffle4x128(t5, t13, 0x88), destination + 5 * d);
        Vector512.Store(Avx512F.Shuffle4x128(t6, t14, 0x88), destination + 6 * d);
        Vector512.Store(Avx512F.Shuffle4x128(t7, t15, 0x88), destination + 7 * d);
        Vector512.Store(Avx512F.Shuffle4x128(t0, t8, 0xDD), destination + 8 * d);
        Vector512.Store(Avx512F.Shuffle4x128(t1, t9, 0xDD), destination + 9 * d);
        Vector512.Store(Avx512F.Shuffle4x128(t2, t10, 0xDD), destination + 10 * d);
        Vector512.Store(Avx512F.Shuffle4x128(t3, t11, 0xDD), destination + 11 * d);
        Vector512.Store(Avx512F.Shuffle4x128(t4, t12, 0xDD), destination + 12 * d);
        Vector512.Store(Avx512F.Shuffle4x128(t5, t13, 0xDD), destination + 13 * d);
        Vector512.Store(Avx512F.Shuffle4x128(t6, t14, 0xDD), destination + 14 * d);
        Vector512.Store(Avx512F.Shuffle4x128(t7, t15, 0xDD), destination + 15 * d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> UnpackLow64(Vector512<float> left, Vector512<float> right)
        => Avx512F.UnpackLow(left.AsDouble(), right.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> UnpackHigh64(Vector512<float> left, Vector512<float> right)
        => Avx512F.UnpackHigh(left.AsDouble(), right.AsDouble()).AsSingle();
}
