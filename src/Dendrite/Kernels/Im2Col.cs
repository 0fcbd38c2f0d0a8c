using System.Buffers;

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
                                    Buffer.MemoryCopy(line, destination, outWidth * 4L, outWidth * 4L);
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
    public static unsafe void FoldAdd(in ConvolutionGeometry g, ReadOnlySpan<float> columns, int rowStride, int columnOffset, Span<float> image)
    {
        CheckWide(g, image.Length, columns.Length, rowStride, columnOffset);
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
                                    var t = new Span<float>(line, outWidth);
                                    TensorPrimitives.Add(t, new ReadOnlySpan<float>(source, outWidth), t);
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
