using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

/// <summary>
/// The geometry of a 2-D convolution or pooling window over one [C, H, W] image: kernel size,
/// stride, dilation and zero padding on each side, and the output size it gives,
/// (N + padBefore + padAfter − dilation·(k − 1) − 1) / stride + 1 along each axis.
/// </summary>
public readonly record struct ConvolutionGeometry(
    int Channels, int Height, int Width,
    int KernelHeight, int KernelWidth,
    int StrideHeight = 1, int StrideWidth = 1,
    int PadTop = 0, int PadBottom = 0, int PadLeft = 0, int PadRight = 0,
    int DilationHeight = 1, int DilationWidth = 1)
{
    /// <summary>H' = ⌊(H + top + bottom − dh·(kh − 1) − 1) / sh⌋ + 1 (0 when the window does not fit).</summary>
    public int OutputHeight => OutputSize(Height + PadTop + PadBottom - DilationHeight * (KernelHeight - 1) - 1, StrideHeight);

    /// <summary>W' = ⌊(W + left + right − dw·(kw − 1) − 1) / sw⌋ + 1 (0 when the window does not fit).</summary>
    public int OutputWidth => OutputSize(Width + PadLeft + PadRight - DilationWidth * (KernelWidth - 1) - 1, StrideWidth);

    // Integer division truncates towards zero; a window larger than the padded input must give 0, not 1.
    private static int OutputSize(int numerator, int stride) => numerator < 0 ? 0 : numerator / stride + 1;

    /// <summary>Rows of the column matrix: C·kh·kw.</summary>
    public int PatchSize => Channels * KernelHeight * KernelWidth;

    /// <summary>Columns of the column matrix: H'·W'.</summary>
    public int OutputPixels => OutputHeight * OutputWidth;
}

/// <summary>
/// im2col and its adjoint col2im: unfolding the receptive fields of a [C, H, W] image into a
/// [C·kh·kw, H'·W'] matrix, so that a convolution is one GEMM with the [O, C·kh·kw] weights. Row
/// (c, i, j) of the matrix holds, for every output pixel (y, x), the input at
/// (c, y·sh − top + i·dh, x·sw − left + j·dw), or 0 outside the image.
/// </summary>
public static class Im2Col
{
    /// <summary>Unfolds <paramref name="image"/> [C, H, W] into <paramref name="columns"/> [C·kh·kw, H'·W'].</summary>
    public static void Unfold(in ConvolutionGeometry g, ReadOnlySpan<float> image, Span<float> columns)
    {
        Check(g, image.Length, columns.Length);
        Unfold(g, image, columns, g.OutputPixels, 0);
    }

    /// <summary>
    /// Unfolds into columns [<paramref name="columnOffset"/>, +H'·W') of a wider matrix whose rows are
    /// <paramref name="rowStride"/> long, so that several images side by side form one [C·kh·kw, n·H'·W']
    /// matrix and one GEMM serves them all.
    /// </summary>
    public static unsafe void Unfold(in ConvolutionGeometry g, ReadOnlySpan<float> image, Span<float> columns, int rowStride, int columnOffset)
    {
        CheckWide(g, image.Length, columns.Length, rowStride, columnOffset);
        if (g.StrideHeight == 1 && g.StrideWidth == 1 && Avx512F.IsSupported)
        {
            fixed (float* imagePointer = image)
            fixed (float* columnPointer = columns)
                UnfoldStride1(g, imagePointer, columnPointer + columnOffset, rowStride);
            return;
        }
        int outHeight = g.OutputHeight, outWidth = g.OutputWidth;
        int paddedHeight = g.Height + g.PadTop + g.PadBottom, paddedWidth = g.Width + g.PadLeft + g.PadRight;
        bool padded = paddedHeight != g.Height || paddedWidth != g.Width;
        // Reading from a zero-padded copy removes every boundary test from the inner loops; the copy
        // costs one pass over the image, the loops it saves run kh·kw times over it.
        float[]? scratch = padded ? ArrayPool<float>.Shared.Rent(g.Channels * paddedHeight * paddedWidth) : null;
        try
        {
            fixed (float* imagePointer = image)
            fixed (float* scratchPointer = scratch)
            fixed (float* columnPointer = columns)
            {
                float* source = imagePointer;
                if (padded)
                {
                    source = scratchPointer;
                    new Span<float>(source, g.Channels * paddedHeight * paddedWidth).Clear();
                    for (int c = 0; c < g.Channels; c++)
                        for (int y = 0; y < g.Height; y++)
                            Buffer.MemoryCopy(imagePointer + (c * g.Height + y) * g.Width,
                                source + (c * paddedHeight + y + g.PadTop) * paddedWidth + g.PadLeft, g.Width * 4L, g.Width * 4L);
                }
                int row = 0;
                for (int c = 0; c < g.Channels; c++)
                {
                    float* plane = source + c * paddedHeight * paddedWidth;
                    for (int i = 0; i < g.KernelHeight; i++)
                        for (int j = 0; j < g.KernelWidth; j++, row++)
                        {
                            float* destination = columnPointer + (long)row * rowStride + columnOffset;
                            float* first = plane + i * g.DilationHeight * paddedWidth + j * g.DilationWidth;
                            for (int y = 0; y < outHeight; y++, destination += outWidth)
                            {
                                float* line = first + y * g.StrideHeight * paddedWidth;
                                if (g.StrideWidth == 1)
                                {
                                    CopyRow(line, destination, outWidth);
                                }
                                else
                                {
                                    for (int x = 0; x < outWidth; x++) destination[x] = line[x * g.StrideWidth];
                                }
                            }
                        }
                }
            }
        }
        finally
        {
            if (scratch is not null) ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>The adjoint of <see cref="Unfold(in ConvolutionGeometry, ReadOnlySpan{float}, Span{float})"/>: adds every column entry back into <paramref name="image"/> [C, H, W] at the position it was read from.</summary>
    public static void FoldAdd(in ConvolutionGeometry g, ReadOnlySpan<float> columns, Span<float> image)
    {
        Check(g, image.Length, columns.Length);
        FoldAdd(g, columns, g.OutputPixels, 0, image);
    }

    /// <summary>The adjoint of the wide <see cref="Unfold(in ConvolutionGeometry, ReadOnlySpan{float}, Span{float}, int, int)"/>: reads columns [offset, +H'·W') of rows <paramref name="rowStride"/> long.</summary>
    public static void FoldAdd(in ConvolutionGeometry g, ReadOnlySpan<float> columns, int rowStride, int columnOffset, Span<float> image) =>
        Fold(g, columns, rowStride, columnOffset, image, accumulate: true);

    /// <summary>
    /// <see cref="FoldAdd(in ConvolutionGeometry, ReadOnlySpan{float}, int, int, Span{float})"/>, or with
    /// <paramref name="accumulate"/> false the same sums written over <paramref name="image"/> (no clearing pass).
    /// </summary>
    internal static unsafe void Fold(in ConvolutionGeometry g, ReadOnlySpan<float> columns, int rowStride, int columnOffset, Span<float> image, bool accumulate)
    {
        CheckWide(g, image.Length, columns.Length, rowStride, columnOffset);
        if (g.StrideHeight == 1 && g.StrideWidth == 1 && Avx512F.IsSupported)
        {
            fixed (float* imagePointer = image)
            fixed (float* columnPointer = columns)
                FoldStride1(g, columnPointer + columnOffset, rowStride, imagePointer, accumulate);
            return;
        }
        if (!accumulate) image.Clear();
        int outHeight = g.OutputHeight, outWidth = g.OutputWidth;
        int paddedHeight = g.Height + g.PadTop + g.PadBottom, paddedWidth = g.Width + g.PadLeft + g.PadRight;
        bool padded = paddedHeight != g.Height || paddedWidth != g.Width;
        float[]? scratch = padded ? ArrayPool<float>.Shared.Rent(g.Channels * paddedHeight * paddedWidth) : null;
        try
        {
            fixed (float* imagePointer = image)
            fixed (float* scratchPointer = scratch)
            fixed (float* columnPointer = columns)
            {
                float* target = padded ? scratchPointer : imagePointer;
                if (padded) new Span<float>(target, g.Channels * paddedHeight * paddedWidth).Clear();
                int row = 0;
                for (int c = 0; c < g.Channels; c++)
                {
                    float* plane = target + c * paddedHeight * paddedWidth;
                    for (int i = 0; i < g.KernelHeight; i++)
                        for (int j = 0; j < g.KernelWidth; j++, row++)
                        {
                            float* source = columnPointer + (long)row * rowStride + columnOffset;
                            float* first = plane + i * g.DilationHeight * paddedWidth + j * g.DilationWidth;
                            for (int y = 0; y < outHeight; y++, source += outWidth)
                            {
                                float* line = first + y * g.StrideHeight * paddedWidth;
                                if (g.StrideWidth == 1)
                                {
                                    AddRow(source, line, outWidth);
                                }
                                else
                                {
                                    for (int x = 0; x < outWidth; x++) line[x * g.StrideWidth] += source[x];
                                }
                            }
                        }
                }
                if (padded)
                    for (int c = 0; c < g.Channels; c++)
                        for (int y = 0; y < g.Height; y++)
                        {
                            var destination = new Span<float>(imagePointer + (c * g.Height + y) * g.Width, g.Width);
                            TensorPrimitives.Add(destination, new ReadOnlySpan<float>(target + (c * paddedHeight + y + g.PadTop) * paddedWidth + g.PadLeft, g.Width), destination);
                        }
            }
        }
        finally
        {
            if (scratch is not null) ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Unfold for stride 1 without a padded copy: each column-matrix row segment is a masked load of
    /// the image row it comes from (lanes that fall in the padding load 0), 16 pixels at a time.
    /// </summary>
    private static unsafe void UnfoldStride1(in ConvolutionGeometry g, float* image, float* columns, int rowStride)
    {
        int outHeight = g.OutputHeight, outWidth = g.OutputWidth, height = g.Height, width = g.Width;
        int blocks = (outWidth + 15) / 16;
        Span<Vector512<float>> loadMasks = blocks <= 128 ? stackalloc Vector512<float>[blocks] : new Vector512<float>[blocks];
        Vector512<int> lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        Vector512<float> storeTail = TailMask(outWidth - 16 * (blocks - 1));
        int row = 0;
        for (int i = 0; i < g.KernelHeight; i++)
            for (int j = 0; j < g.KernelWidth; j++, row++)
            {
                // Output pixel x reads image column x + shift; lanes outside [0, W) (padding) or past W' load nothing.
                int shift = j * g.DilationWidth - g.PadLeft;
                for (int b = 0; b < blocks; b++)
                {
                    Vector512<int> x = lanes + Vector512.Create(16 * b);
                    Vector512<int> column = x + Vector512.Create(shift);
                    loadMasks[b] = (Vector512.GreaterThanOrEqual(column, Vector512<int>.Zero) & Vector512.LessThan(column, Vector512.Create(width))
                        & Vector512.LessThan(x, Vector512.Create(outWidth))).AsSingle();
                }
                Vector512<float> mask0 = loadMasks[0], mask1 = blocks > 1 ? loadMasks[1] : default;
                // Output rows [first, last) read image rows first + i·dh − top, ...; the others lie in the padding.
                int offset = i * g.DilationHeight - g.PadTop;
                int first = Math.Clamp(-offset, 0, outHeight), last = Math.Clamp(height - offset, first, outHeight);
                for (int c = 0; c < g.Channels; c++)
                {
                    float* destination = columns + (long)(c * g.KernelHeight * g.KernelWidth + row) * rowStride;
                    if (first > 0) new Span<float>(destination, first * outWidth).Clear();
                    if (last < outHeight) new Span<float>(destination + (long)last * outWidth, (outHeight - last) * outWidth).Clear();
                    float* source = image + ((long)c * height + first + offset) * width + shift;
                    float* target = destination + (long)first * outWidth;
                    int count = last - first;
                    if (blocks == 1)
                    {
                        int y = 0;
                        for (; y + 2 <= count; y += 2, source += 2 * width, target += 2 * outWidth)
                        {
                            Avx512F.MaskStore(target, storeTail, Avx512F.MaskLoad(source, mask0, Vector512<float>.Zero));
                            Avx512F.MaskStore(target + outWidth, storeTail, Avx512F.MaskLoad(source + width, mask0, Vector512<float>.Zero));
                        }
                        if (y < count) Avx512F.MaskStore(target, storeTail, Avx512F.MaskLoad(source, mask0, Vector512<float>.Zero));
                    }
                    else if (blocks == 2)
                    {
                        for (int y = 0; y < count; y++, source += width, target += outWidth)
                        {
                            Vector512.Store(Avx512F.MaskLoad(source, mask0, Vector512<float>.Zero), target);
                            Avx512F.MaskStore(target + 16, storeTail, Avx512F.MaskLoad(source + 16, mask1, Vector512<float>.Zero));
                        }
                    }
                    else
                    {
                        for (int y = 0; y < count; y++, source += width, target += outWidth)
                        {
                            for (int b = 0; b < blocks - 1; b++)
                                Vector512.Store(Avx512F.MaskLoad(source + 16 * b, loadMasks[b], Vector512<float>.Zero), target + 16 * b);
                            int lastBlock = 16 * (blocks - 1);
                            Avx512F.MaskStore(target + lastBlock, storeTail, Avx512F.MaskLoad(source + lastBlock, loadMasks[blocks - 1], Vector512<float>.Zero));
                        }
                    }
                }
            }
    }

    /// <summary>
    /// Fold for stride 1, gathered instead of scattered: each image row segment of 16 pixels sums, in
    /// registers, every column-matrix entry that was read from it, in (i, j) order from zero (as the
    /// scattering loop adds them), then is added to the image (or written). This avoids the
    /// scattering loop's padded scratch copy and its read-after-write of overlapping segments, which
    /// stalls store forwarding at every kernel column.
    /// </summary>
    private static unsafe void FoldStride1(in ConvolutionGeometry g, float* columns, int rowStride, float* image, bool accumulate)
    {
        int outHeight = g.OutputHeight, outWidth = g.OutputWidth, height = g.Height, width = g.Width;
        int kernelWidth = g.KernelWidth, blocks = (width + 15) / 16;
        int maskCount = kernelWidth * blocks;
        Span<Vector512<float>> masks = maskCount <= 128 ? stackalloc Vector512<float>[maskCount] : new Vector512<float>[maskCount];
        Vector512<int> lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        for (int j = 0; j < kernelWidth; j++)
            for (int b = 0; b < blocks; b++)
            {
                // Image column ix took output column x = ix + left − j·dw, where that lies in [0, W').
                Vector512<int> ix = lanes + Vector512.Create(16 * b);
                Vector512<int> x = ix + Vector512.Create(g.PadLeft - j * g.DilationWidth);
                masks[j * blocks + b] = (Vector512.GreaterThanOrEqual(x, Vector512<int>.Zero) & Vector512.LessThan(x, Vector512.Create(outWidth))
                    & Vector512.LessThan(ix, Vector512.Create(width))).AsSingle();
            }
        Vector512<float> storeTail = TailMask(width - 16 * (blocks - 1));
        for (int c = 0; c < g.Channels; c++)
        {
            float* plane = image + (long)c * height * width;
            // Four image rows at a time: four independent sums, so the adds do not wait for each other
            // (each row's sum still takes its terms in (i, j) order).
            for (int iy = 0; iy < height; iy += 4)
                for (int b = 0; b < blocks; b++)
                {
                    Vector512<float> sum0 = Vector512<float>.Zero, sum1 = sum0, sum2 = sum0, sum3 = sum0;
                    for (int i = 0; i < g.KernelHeight; i++)
                    {
                        // Image row iy + r took output row y + r.
                        int y = iy + g.PadTop - i * g.DilationHeight;
                        bool valid0 = (uint)y < (uint)outHeight && iy < height;
                        bool valid1 = (uint)(y + 1) < (uint)outHeight && iy + 1 < height;
                        bool valid2 = (uint)(y + 2) < (uint)outHeight && iy + 2 < height;
                        bool valid3 = (uint)(y + 3) < (uint)outHeight && iy + 3 < height;
                        if (!(valid0 | valid1 | valid2 | valid3)) continue;
                        float* source = columns + (long)((c * g.KernelHeight + i) * kernelWidth) * rowStride + (long)y * outWidth + 16 * b + g.PadLeft;
                        for (int j = 0; j < kernelWidth; j++, source += rowStride)
                        {
                            Vector512<float> mask = masks[j * blocks + b];
                            float* at = source - j * g.DilationWidth;
                            if (valid0) sum0 += Avx512F.MaskLoad(at, mask, Vector512<float>.Zero);
                            if (valid1) sum1 += Avx512F.MaskLoad(at + outWidth, mask, Vector512<float>.Zero);
                            if (valid2) sum2 += Avx512F.MaskLoad(at + 2 * outWidth, mask, Vector512<float>.Zero);
                            if (valid3) sum3 += Avx512F.MaskLoad(at + 3 * outWidth, mask, Vector512<float>.Zero);
                        }
                    }
                    float* target = plane + iy * width + 16 * b;
                    bool full = b < blocks - 1;
                    Write(target, sum0, full, storeTail, accumulate);
                    if (iy + 1 < height) Write(target + width, sum1, full, storeTail, accumulate);
                    if (iy + 2 < height) Write(target + 2 * width, sum2, full, storeTail, accumulate);
                    if (iy + 3 < height) Write(target + 3 * width, sum3, full, storeTail, accumulate);
                }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Write(float* target, Vector512<float> sum, bool full, Vector512<float> storeTail, bool accumulate)
        {
            if (full) Vector512.Store(accumulate ? Vector512.Load(target) + sum : sum, target);
            else Avx512F.MaskStore(target, storeTail, accumulate ? Avx512F.MaskLoad(target, storeTail, Vector512<float>.Zero) + sum : sum);
        }
    }

    // Rows are short (a convolution's output width, often 5 to 30), so a call to a general copy or add
    // routine per row costs as much as the row itself: these copy inline, 16 floats at a time with a
    // masked tail (no access past the row's end).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyRow(float* source, float* destination, int count)
    {
        int x = 0;
        if (Avx512F.IsSupported)
        {
            for (; x + 16 <= count; x += 16) Vector512.Store(Vector512.Load(source + x), destination + x);
            if (x < count)
            {
                Vector512<float> mask = TailMask(count - x);
                Avx512F.MaskStore(destination + x, mask, Avx512F.MaskLoad(source + x, mask, Vector512<float>.Zero));
            }
            return;
        }
        for (; x + 8 <= count; x += 8) Vector256.Store(Vector256.Load(source + x), destination + x);
        for (; x < count; x++) destination[x] = source[x];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddRow(float* source, float* destination, int count)
    {
        int x = 0;
        if (Avx512F.IsSupported)
        {
            for (; x + 16 <= count; x += 16) Vector512.Store(Vector512.Load(destination + x) + Vector512.Load(source + x), destination + x);
            if (x < count)
            {
                Vector512<float> mask = TailMask(count - x);
                Vector512<float> sum = Avx512F.MaskLoad(destination + x, mask, Vector512<float>.Zero) + Avx512F.MaskLoad(source + x, mask, Vector512<float>.Zero);
                Avx512F.MaskStore(destination + x, mask, sum);
            }
            return;
        }
        for (; x + 8 <= count; x += 8) Vector256.Store(Vector256.Load(destination + x) + Vector256.Load(source + x), destination + x);
        for (; x < count; x++) destination[x] += source[x];
    }

    /// <summary>All bits set in lanes [0, n), n in 1..15.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> TailMask(int n) =>
        Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(n)).AsSingle();

    private static void CheckWide(in ConvolutionGeometry g, int imageLength, int columnLength, int rowStride, int columnOffset)
    {
        if (g.OutputHeight <= 0 || g.OutputWidth <= 0)
            throw new ArgumentException($"Im2Col: a {g.KernelHeight}x{g.KernelWidth} window does not fit a {g.Height}x{g.Width} image with this padding, stride and dilation.");
        if (imageLength != g.Channels * g.Height * g.Width)
            throw new ArgumentException($"Im2Col: image has {imageLength} elements; expected {g.Channels * g.Height * g.Width}.");
        if (columnOffset < 0 || columnOffset + g.OutputPixels > rowStride || (long)rowStride * (g.PatchSize - 1) + columnOffset + g.OutputPixels > columnLength)
            throw new ArgumentException($"Im2Col: columns [{columnOffset}, {columnOffset + g.OutputPixels}) of {g.PatchSize} rows of stride {rowStride} do not fit a buffer of {columnLength}.");
    }

    private static void Check(in ConvolutionGeometry g, int imageLength, int columnLength)
    {
        if (g.OutputHeight <= 0 || g.OutputWidth <= 0)
            throw new ArgumentException($"Im2Col: a {g.KernelHeight}x{g.KernelWidth} window does not fit a {g.Height}x{g.Width} image with this padding, stride and dilation.");
        if (imageLength != g.Channels * g.Height * g.Width || columnLength != g.PatchSize * g.OutputPixels)
            throw new ArgumentException($"Im2Col: image has {imageLength} elements (expected {g.Channels * g.Height * g.Width}) and columns {columnLength} (expected {g.PatchSize * g.OutputPixels}).");
    }

    /// <summary>The plain twin of <see cref="Unfold(in ConvolutionGeometry, ReadOnlySpan{float}, Span{float})"/>: one element at a time, for tests.</summary>
    public static void UnfoldReference(in ConvolutionGeometry g, ReadOnlySpan<float> image, Span<float> columns)
    {
        int outHeight = g.OutputHeight, outWidth = g.OutputWidth, pixels = outHeight * outWidth;
        for (int c = 0; c < g.Channels; c++)
            for (int i = 0; i < g.KernelHeight; i++)
                for (int j = 0; j < g.KernelWidth; j++)
                {
                    int row = (c * g.KernelHeight + i) * g.KernelWidth + j;
                    for (int y = 0; y < outHeight; y++)
                        for (int x = 0; x < outWidth; x++)
                        {
                            int iy = y * g.StrideHeight - g.PadTop + i * g.DilationHeight;
                            int ix = x * g.StrideWidth - g.PadLeft + j * g.DilationWidth;
                            bool inside = iy >= 0 && iy < g.Height && ix >= 0 && ix < g.Width;
                            columns[row * pixels + y * outWidth + x] = inside ? image[(c * g.Height + iy) * g.Width + ix] : 0f;
                        }
                }
    }
}
