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
        int outHeight = g.OutputHeight, outWidth = g.OutputWidth, pixels = outHeight * outWidth;
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            ReadOnlySpan<float> plane = image.Slice(c * g.Height * g.Width, g.Height * g.Width);
            for (int i = 0; i < g.KernelHeight; i++)
                for (int j = 0; j < g.KernelWidth; j++, row++)
                {
                    Span<float> destination = columns.Slice(row * pixels, pixels);
                    int xOffset = j * g.DilationWidth - g.PadLeft;
                    // Output columns x whose input column x·sw + xOffset lies inside [0, W).
                    int xStart = xOffset >= 0 ? 0 : (-xOffset + g.StrideWidth - 1) / g.StrideWidth;
                    int xEnd = Math.Min(outWidth, g.Width - xOffset <= 0 ? 0 : (g.Width - xOffset - 1) / g.StrideWidth + 1);
                    for (int y = 0; y < outHeight; y++)
                    {
                        Span<float> line = destination.Slice(y * outWidth, outWidth);
                        int iy = y * g.StrideHeight - g.PadTop + i * g.DilationHeight;
                        if ((uint)iy >= (uint)g.Height || xStart >= xEnd)
                        {
                            line.Clear();
                            continue;
                        }
                        line[..xStart].Clear();
                        line[xEnd..].Clear();
                        ReadOnlySpan<float> source = plane.Slice(iy * g.Width, g.Width);
                        if (g.StrideWidth == 1)
                        {
                            source.Slice(xStart + xOffset, xEnd - xStart).CopyTo(line[xStart..xEnd]);
                        }
                        else
                        {
                            for (int x = xStart, ix = xStart * g.StrideWidth + xOffset; x < xEnd; x++, ix += g.StrideWidth)
                                line[x] = source[ix];
                        }
                    }
                }
        }
    }

    /// <summary>The adjoint of <see cref="Unfold"/>: adds every column entry back into <paramref name="image"/> [C, H, W] at the position it was read from.</summary>
    public static void FoldAdd(in ConvolutionGeometry g, ReadOnlySpan<float> columns, Span<float> image)
    {
        Check(g, image.Length, columns.Length);
        int outHeight = g.OutputHeight, outWidth = g.OutputWidth, pixels = outHeight * outWidth;
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            Span<float> plane = image.Slice(c * g.Height * g.Width, g.Height * g.Width);
            for (int i = 0; i < g.KernelHeight; i++)
                for (int j = 0; j < g.KernelWidth; j++, row++)
                {
                    ReadOnlySpan<float> source = columns.Slice(row * pixels, pixels);
                    int xOffset = j * g.DilationWidth - g.PadLeft;
                    int xStart = xOffset >= 0 ? 0 : (-xOffset + g.StrideWidth - 1) / g.StrideWidth;
                    int xEnd = Math.Min(outWidth, g.Width - xOffset <= 0 ? 0 : (g.Width - xOffset - 1) / g.StrideWidth + 1);
                    if (xStart >= xEnd) continue;
                    for (int y = 0; y < outHeight; y++)
                    {
                        int iy = y * g.StrideHeight - g.PadTop + i * g.DilationHeight;
                        if ((uint)iy >= (uint)g.Height) continue;
                        Span<float> target = plane.Slice(iy * g.Width, g.Width);
                        ReadOnlySpan<float> line = source.Slice(y * outWidth, outWidth);
                        if (g.StrideWidth == 1)
                        {
                            Span<float> t = target.Slice(xStart + xOffset, xEnd - xStart);
                            TensorPrimitives.Add(t, line[xStart..xEnd], t);
                        }
                        else
                        {
                            for (int x = xStart, ix = xStart * g.StrideWidth + xOffset; x < xEnd; x++, ix += g.StrideWidth)
                                target[ix] += line[x];
                        }
                    }
                }
        }
    }

    private static void Check(in ConvolutionGeometry g, int imageLength, int columnLength)
    {
        if (g.OutputHeight <= 0 || g.OutputWidth <= 0)
            throw new ArgumentException($"Im2Col: a {g.KernelHeight}x{g.KernelWidth} window does not fit a {g.Height}x{g.Width} image with this padding, stride and dilation.");
        if (imageLength != g.Channels * g.Height * g.Width || columnLength != g.PatchSize * g.OutputPixels)
            throw new ArgumentException($"Im2Col: image has {imageLength} elements (expected {g.Channels * g.Height * g.Width}) and columns {columnLength} (expected {g.PatchSize * g.OutputPixels}).");
    }

    /// <summary>The plain twin of <see cref="Unfold"/>: one element at a time, for tests.</summary>
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
