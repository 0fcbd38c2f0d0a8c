using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

// The register-blocked micro-kernels: one tile of C from one packed A panel and one packed B panel.
// Shapes: a packed A panel is [depth, Rows] (Rows floats per k step, row-interleaved), a packed
// B panel is [depth, Columns] (Columns floats per k step); the C tile is [rows, columns] with row stride ldc.
public static partial class Gemm
{
    /// <summary>Rows of the AVX-512 register block: 14 rows x 2 zmm = 28 accumulators, 2 for B, 1 broadcast of A.</summary>
    internal const int Avx512Rows = 14;

    /// <summary>Columns of the AVX-512 register block (two Vector512 of floats).</summary>
    internal const int Avx512Columns = 32;

    /// <summary>Rows of the AVX2 register block: 6 rows x 2 ymm = 12 accumulators of the 16 ymm registers.</summary>
    internal const int Avx2Rows = 6;

    /// <summary>Columns of the AVX2 register block (two Vector256 of floats).</summary>
    internal const int Avx2Columns = 16;

    /// <summary>A row count known when the kernel is compiled, so that unused rows fold away.</summary>
    private interface IRowCount
    {
        static abstract int Value { get; }
    }

    /// <summary>Whether a tile is two vectors wide (a full panel) or one (the right edge of C).</summary>
    private interface IPanelWidth
    {
        static abstract bool Value { get; }
    }

    private readonly struct Wide : IPanelWidth { public static bool Value => true; }
    private readonly struct Narrow : IPanelWidth { public static bool Value => false; }

    private readonly struct Rows1 : IRowCount { public static int Value => 1; }
    private readonly struct Rows2 : IRowCount { public static int Value => 2; }
    private readonly struct Rows3 : IRowCount { public static int Value => 3; }
    private readonly struct Rows4 : IRowCount { public static int Value => 4; }
    private readonly struct Rows5 : IRowCount { public static int Value => 5; }
    private readonly struct Rows6 : IRowCount { public static int Value => 6; }
    private readonly struct Rows7 : IRowCount { public static int Value => 7; }
    private readonly struct Rows8 : IRowCount { public static int Value => 8; }
    private readonly struct Rows9 : IRowCount { public static int Value => 9; }
    private readonly struct Rows10 : IRowCount { public static int Value => 10; }
    private readonly struct Rows11 : IRowCount { public static int Value => 11; }
    private readonly struct Rows12 : IRowCount { public static int Value => 12; }
    private readonly struct Rows13 : IRowCount { public static int Value => 13; }
    private readonly struct Rows14 : IRowCount { public static int Value => 14; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store512<TWide>(float* c, Vector512<float> left, Vector512<float> right, bool overwrite)
        where TWide : struct, IPanelWidth
    {
        // One rounding either way: C = acc, or C = C + acc, exactly as every other path does it.
        if (overwrite)
        {
            Vector512.Store(left, c);
            if (TWide.Value) Vector512.Store(right, c + 16);
        }
        else
        {
            Vector512.Store(Vector512.Load(c) + left, c);
            if (TWide.Value) Vector512.Store(Vector512.Load(c + 16) + right, c + 16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store256<TWide>(float* c, Vector256<float> left, Vector256<float> right, bool overwrite)
        where TWide : struct, IPanelWidth
    {
        if (overwrite)
        {
            Vector256.Store(left, c);
            if (TWide.Value) Vector256.Store(right, c + 8);
        }
        else
        {
            Vector256.Store(Vector256.Load(c) + left, c);
            if (TWide.Value) Vector256.Store(Vector256.Load(c + 8) + right, c + 8);
        }
    }

    /// <summary>
    /// The AVX-512 micro-kernel: C[rows, 32 or 16] (=|+=) Apanel · Bpanel over <paramref name="depth"/> steps.
    /// Identical to the reference except that each C element is an FMA chain over the block's k in order,
    /// added to C once at the end (see the determinism note in Gemm.cs).
    /// </summary>
    /// <remarks>
    /// a: packed A panel, <see cref="Avx512Rows"/> floats per k step (rows beyond TRows are ignored).
    /// b: packed B panel, 32 floats per k step. c: the C tile, row stride ldc.
    /// All 14 rows are written out so that RyuJIT keeps the 28 accumulators in zmm registers;
    /// TRows and TWide are constants per instantiation, so the unused rows fold away and each
    /// short bottom edge gets its own kernel without padding work.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel512<TRows, TWide>(int depth, float* a, float* b, float* c, int ldc, bool overwrite)
        where TRows : struct, IRowCount where TWide : struct, IPanelWidth
    {
        Vector512<float> left0 = default, right0 = default;
        Vector512<float> left1 = default, right1 = default;
        Vector512<float> left2 = default, right2 = default;
        Vector512<float> left3 = default, right3 = default;
        Vector512<float> left4 = default, right4 = default;
        Vector512<float> left5 = default, right5 = default;
        Vector512<float> left6 = default, right6 = default;
        Vector512<float> left7 = default, right7 = default;
        Vector512<float> left8 = default, right8 = default;
        Vector512<float> left9 = default, right9 = default;
        Vector512<float> left10 = default, right10 = default;
        Vector512<float> left11 = default, right11 = default;
        Vector512<float> left12 = default, right12 = default;
        Vector512<float> left13 = default, right13 = default;
        for (int p = 0; p < depth; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = TWide.Value ? Vector512.Load(b + 16) : default;
            Vector512<float> x;
            x = Vector512.Create(a[0]);
            left0 = Avx512F.FusedMultiplyAdd(x, b0, left0);
            if (TWide.Value) right0 = Avx512F.FusedMultiplyAdd(x, b1, right0);
            if (TRows.Value > 1)
            {
                x = Vector512.Create(a[1]);
                left1 = Avx512F.FusedMultiplyAdd(x, b0, left1);
                if (TWide.Value) right1 = Avx512F.FusedMultiplyAdd(x, b1, right1);
            }
            if (TRows.Value > 2)
            {
                x = Vector512.Create(a[2]);
                left2 = Avx512F.FusedMultiplyAdd(x, b0, left2);
                if (TWide.Value) right2 = Avx512F.FusedMultiplyAdd(x, b1, right2);
            }
            if (TRows.Value > 3)
            {
                x = Vector512.Create(a[3]);
                left3 = Avx512F.FusedMultiplyAdd(x, b0, left3);
                if (TWide.Value) right3 = Avx512F.FusedMultiplyAdd(x, b1, right3);
            }
            if (TRows.Value > 4)
            {
                x = Vector512.Create(a[4]);
                left4 = Avx512F.FusedMultiplyAdd(x, b0, left4);
                if (TWide.Value) right4 = Avx512F.FusedMultiplyAdd(x, b1, right4);
            }
            if (TRows.Value > 5)
            {
                x = Vector512.Create(a[5]);
                left5 = Avx512F.FusedMultiplyAdd(x, b0, left5);
                if (TWide.Value) right5 = Avx512F.FusedMultiplyAdd(x, b1, right5);
            }
            if (TRows.Value > 6)
            {
                x = Vector512.Create(a[6]);
                left6 = Avx512F.FusedMultiplyAdd(x, b0, left6);
                if (TWide.Value) right6 = Avx512F.FusedMultiplyAdd(x, b1, right6);
            }
            if (TRows.Value > 7)
            {
                x = Vector512.Create(a[7]);
                left7 = Avx512F.FusedMultiplyAdd(x, b0, left7);
                if (TWide.Value) right7 = Avx512F.FusedMultiplyAdd(x, b1, right7);
            }
            if (TRows.Value > 8)
            {
                x = Vector512.Create(a[8]);
                left8 = Avx512F.FusedMultiplyAdd(x, b0, left8);
                if (TWide.Value) right8 = Avx512F.FusedMultiplyAdd(x, b1, right8);
            }
            if (TRows.Value > 9)
            {
                x = Vector512.Create(a[9]);
                left9 = Avx512F.FusedMultiplyAdd(x, b0, left9);
                if (TWide.Value) right9 = Avx512F.FusedMultiplyAdd(x, b1, right9);
            }
            if (TRows.Value > 10)
            {
                x = Vector512.Create(a[10]);
                left10 = Avx512F.FusedMultiplyAdd(x, b0, left10);
                if (TWide.Value) right10 = Avx512F.FusedMultiplyAdd(x, b1, right10);
            }
            if (TRows.Value > 11)
            {
                x = Vector512.Create(a[11]);
                left11 = Avx512F.FusedMultiplyAdd(x, b0, left11);
                if (TWide.Value) right11 = Avx512F.FusedMultiplyAdd(x, b1, right11);
            }
            if (TRows.Value > 12)
            {
                x = Vector512.Create(a[12]);
                left12 = Avx512F.FusedMultiplyAdd(x, b0, left12);
                if (TWide.Value) right12 = Avx512F.FusedMultiplyAdd(x, b1, right12);
            }
            if (TRows.Value > 13)
            {
                x = Vector512.Create(a[13]);
                left13 = Avx512F.FusedMultiplyAdd(x, b0, left13);
                if (TWide.Value) right13 = Avx512F.FusedMultiplyAdd(x, b1, right13);
            }
            a += Avx512Rows;
            b += Avx512Columns;
        }

        Store512<TWide>(c, left0, right0, overwrite);
        if (TRows.Value > 1) Store512<TWide>(c + 1 * ldc, left1, right1, overwrite);
        if (TRows.Value > 2) Store512<TWide>(c + 2 * ldc, left2, right2, overwrite);
        if (TRows.Value > 3) Store512<TWide>(c + 3 * ldc, left3, right3, overwrite);
        if (TRows.Value > 4) Store512<TWide>(c + 4 * ldc, left4, right4, overwrite);
        if (TRows.Value > 5) Store512<TWide>(c + 5 * ldc, left5, right5, overwrite);
        if (TRows.Value > 6) Store512<TWide>(c + 6 * ldc, left6, right6, overwrite);
        if (TRows.Value > 7) Store512<TWide>(c + 7 * ldc, left7, right7, overwrite);
        if (TRows.Value > 8) Store512<TWide>(c + 8 * ldc, left8, right8, overwrite);
        if (TRows.Value > 9) Store512<TWide>(c + 9 * ldc, left9, right9, overwrite);
        if (TRows.Value > 10) Store512<TWide>(c + 10 * ldc, left10, right10, overwrite);
        if (TRows.Value > 11) Store512<TWide>(c + 11 * ldc, left11, right11, overwrite);
        if (TRows.Value > 12) Store512<TWide>(c + 12 * ldc, left12, right12, overwrite);
        if (TRows.Value > 13) Store512<TWide>(c + 13 * ldc, left13, right13, overwrite);
    }

    /// <summary>The AVX2 twin of <see cref="Kernel512{TRows, TWide}"/>: 6 rows by 16 (or 8) columns, 12 ymm accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel256<TRows, TWide>(int depth, float* a, float* b, float* c, int ldc, bool overwrite)
        where TRows : struct, IRowCount where TWide : struct, IPanelWidth
    {
        Vector256<float> left0 = default, right0 = default;
        Vector256<float> left1 = default, right1 = default;
        Vector256<float> left2 = default, right2 = default;
        Vector256<float> left3 = default, right3 = default;
        Vector256<float> left4 = default, right4 = default;
        Vector256<float> left5 = default, right5 = default;
        for (int p = 0; p < depth; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = TWide.Value ? Vector256.Load(b + 8) : default;
            Vector256<float> x;
            x = Vector256.Create(a[0]);
            left0 = Fma.MultiplyAdd(x, b0, left0);
            if (TWide.Value) right0 = Fma.MultiplyAdd(x, b1, right0);
            if (TRows.Value > 1)
            {
                x = Vector256.Create(a[1]);
                left1 = Fma.MultiplyAdd(x, b0, left1);
                if (TWide.Value) right1 = Fma.MultiplyAdd(x, b1, right1);
            }
            if (TRows.Value > 2)
            {
                x = Vector256.Create(a[2]);
                left2 = Fma.MultiplyAdd(x, b0, left2);
                if (TWide.Value) right2 = Fma.MultiplyAdd(x, b1, right2);
            }
            if (TRows.Value > 3)
            {
                x = Vector256.Create(a[3]);
                left3 = Fma.MultiplyAdd(x, b0, left3);
                if (TWide.Value) right3 = Fma.MultiplyAdd(x, b1, right3);
            }
            if (TRows.Value > 4)
            {
                x = Vector256.Create(a[4]);
                left4 = Fma.MultiplyAdd(x, b0, left4);
                if (TWide.Value) right4 = Fma.MultiplyAdd(x, b1, right4);
            }
            if (TRows.Value > 5)
            {
                x = Vector256.Create(a[5]);
                left5 = Fma.MultiplyAdd(x, b0, left5);
                if (TWide.Value) right5 = Fma.MultiplyAdd(x, b1, right5);
            }
            a += Avx2Rows;
            b += Avx2Columns;
        }

        Store256<TWide>(c, left0, right0, overwrite);
        if (TRows.Value > 1) Store256<TWide>(c + 1 * ldc, left1, right1, overwrite);
        if (TRows.Value > 2) Store256<TWide>(c + 2 * ldc, left2, right2, overwrite);
        if (TRows.Value > 3) Store256<TWide>(c + 3 * ldc, left3, right3, overwrite);
        if (TRows.Value > 4) Store256<TWide>(c + 4 * ldc, left4, right4, overwrite);
        if (TRows.Value > 5) Store256<TWide>(c + 5 * ldc, left5, right5, overwrite);
    }

    private static unsafe void RunTile512(int rows, bool wide, int depth, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        if (wide)
        {
            switch (rows)
            {
                default: Kernel512<Rows14, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 13: Kernel512<Rows13, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 12: Kernel512<Rows12, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 11: Kernel512<Rows11, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 10: Kernel512<Rows10, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 9: Kernel512<Rows9, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 8: Kernel512<Rows8, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 7: Kernel512<Rows7, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 6: Kernel512<Rows6, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 5: Kernel512<Rows5, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 4: Kernel512<Rows4, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 3: Kernel512<Rows3, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 2: Kernel512<Rows2, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 1: Kernel512<Rows1, Wide>(depth, a, b, c, ldc, overwrite); break;
            }
        }
        else
        {
            switch (rows)
            {
                default: Kernel512<Rows14, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 13: Kernel512<Rows13, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 12: Kernel512<Rows12, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 11: Kernel512<Rows11, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 10: Kernel512<Rows10, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 9: Kernel512<Rows9, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 8: Kernel512<Rows8, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 7: Kernel512<Rows7, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 6: Kernel512<Rows6, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 5: Kernel512<Rows5, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 4: Kernel512<Rows4, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 3: Kernel512<Rows3, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 2: Kernel512<Rows2, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 1: Kernel512<Rows1, Narrow>(depth, a, b, c, ldc, overwrite); break;
            }
        }
    }

    private static unsafe void RunTile256(int rows, bool wide, int depth, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        if (wide)
        {
            switch (rows)
            {
                default: Kernel256<Rows6, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 5: Kernel256<Rows5, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 4: Kernel256<Rows4, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 3: Kernel256<Rows3, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 2: Kernel256<Rows2, Wide>(depth, a, b, c, ldc, overwrite); break;
                case 1: Kernel256<Rows1, Wide>(depth, a, b, c, ldc, overwrite); break;
            }
        }
        else
        {
            switch (rows)
            {
                default: Kernel256<Rows6, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 5: Kernel256<Rows5, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 4: Kernel256<Rows4, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 3: Kernel256<Rows3, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 2: Kernel256<Rows2, Narrow>(depth, a, b, c, ldc, overwrite); break;
                case 1: Kernel256<Rows1, Narrow>(depth, a, b, c, ldc, overwrite); break;
            }
        }
    }

}
