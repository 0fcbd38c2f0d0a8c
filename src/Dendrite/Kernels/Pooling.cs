namespace Dendrite.Kernels;

/// <summary>
/// Max and average pooling over the windows of a [C, H, W] image described by a
/// <see cref="ConvolutionGeometry"/> (its Channels is the number of planes; padding cells are
/// −∞ for max pooling and 0 for average pooling).
/// </summary>
public static class Pooling
{
    /// <summary>output[c, y, x] = max over the window; <paramref name="argmax"/> gets the input index (within the image) of each maximum (the first one on ties).</summary>
    public static void MaxForward(in ConvolutionGeometry g, ReadOnlySpan<float> image, Span<float> output, Span<int> argmax)
    {
        int outHeight = g.OutputHeight, outWidth = g.OutputWidth;
        if (g is { KernelHeight: 2, KernelWidth: 2, StrideHeight: 2, StrideWidth: 2, PadTop: 0, PadBottom: 0, PadLeft: 0, PadRight: 0, DilationHeight: 1, DilationWidth: 1 })
        {
            MaxForward2x2(g, image, output, argmax);
            return;
        }
        for (int c = 0; c < g.Channels; c++)
        {
            int planeStart = c * g.Height * g.Width;
            for (int y = 0; y < outHeight; y++)
                for (int x = 0; x < outWidth; x++)
                {
                    float best = float.NegativeInfinity;
                    int bestIndex = -1;
                    for (int i = 0; i < g.KernelHeight; i++)
                    {
                        int iy = y * g.StrideHeight - g.PadTop + i * g.DilationHeight;
                        if ((uint)iy >= (uint)g.Height) continue;
                        for (int j = 0; j < g.KernelWidth; j++)
                        {
                            int ix = x * g.StrideWidth - g.PadLeft + j * g.DilationWidth;
                            if ((uint)ix >= (uint)g.Width) continue;
                            int index = planeStart + iy * g.Width + ix;
                            float v = image[index];
                            if (v > best || bestIndex < 0 || float.IsNaN(v))
                            {
                                best = v;
                                bestIndex = index;
                                if (float.IsNaN(v)) goto done;
                            }
                        }
                    }
                done:
                    int o = (c * outHeight + y) * outWidth + x;
                    output[o] = best;
                    argmax[o] = bestIndex;
                }
        }
    }

    /// <summary>
    /// The common 2×2, stride-2 case without the general loop's bounds tests: identical results
    /// (including NaN and first-of-ties), a few times faster.
    /// </summary>
    private static void MaxForward2x2(in ConvolutionGeometry g, ReadOnlySpan<float> image, Span<float> output, Span<int> argmax)
    {
        int outHeight = g.OutputHeight, outWidth = g.OutputWidth, width = g.Width;
        for (int c = 0; c < g.Channels; c++)
        {
            int planeStart = c * g.Height * width;
            for (int y = 0; y < outHeight; y++)
            {
                int top = planeStart + 2 * y * width;
                ReadOnlySpan<float> row0 = image.Slice(top, 2 * outWidth);
                ReadOnlySpan<float> row1 = image.Slice(top + width, 2 * outWidth);
                Span<float> outRow = output.Slice((c * outHeight + y) * outWidth, outWidth);
                Span<int> argRow = argmax.Slice((c * outHeight + y) * outWidth, outWidth);
                for (int x = 0; x < outWidth; x++)
                {
                    // Window order as the general loop: (0,0), (0,1), (1,0), (1,1); a later value wins only if strictly larger, NaN wins at once.
                    float best = row0[2 * x];
                    int index = top + 2 * x;
                    if (!float.IsNaN(best))
                    {
                        float v = row0[2 * x + 1];
                        if (v > best || float.IsNaN(v)) { best = v; index = top + 2 * x + 1; }
                        if (!float.IsNaN(best))
                        {
                            v = row1[2 * x];
                            if (v > best || float.IsNaN(v)) { best = v; index = top + width + 2 * x; }
                            if (!float.IsNaN(best))
                            {
                                v = row1[2 * x + 1];
                                if (v > best || float.IsNaN(v)) { best = v; index = top + width + 2 * x + 1; }
                            }
                        }
                    }
                    outRow[x] = best;
                    argRow[x] = index;
                }
            }
        }
    }

    /// <summary>output[c, y, x] = mean over the window; padding cells count in the divisor when <paramref name="countIncludePad"/>.</summary>
    public static void AverageForward(in ConvolutionGeometry g, ReadOnlySpan<float> image, Span<float> output, bool countIncludePad)
    {
        int outHeight = g.OutputHeight, outWidth = g.OutputWidth;
        for (int c = 0; c < g.Channels; c++)
        {
            int planeStart = c * g.Height * g.Width;
            for (int y = 0; y < outHeight; y++)
                for (int x = 0; x < outWidth; x++)
                {
                    float sum = 0f;
                    int count = 0;
                    AverageWindow(g, y, x, out int y0, out int y1, out int x0, out int x1, out int padded);
                    for (int iy = y0; iy < y1; iy += g.DilationHeight)
                        for (int ix = x0; ix < x1; ix += g.DilationWidth)
                        {
                            sum += image[planeStart + iy * g.Width + ix];
                            count++;
                        }
                    int divisor = countIncludePad ? padded : count;
                    output[(c * outHeight + y) * outWidth + x] = divisor == 0 ? 0f : sum / divisor;
                }
        }
    }

    /// <summary>The adjoint of <see cref="AverageForward"/>: each output gradient spread evenly over its window, added into <paramref name="gradientImage"/>.</summary>
    public static void AverageBackwardAdd(in ConvolutionGeometry g, ReadOnlySpan<float> gradientOutput, Span<float> gradientImage, bool countIncludePad)
    {
        int outHeight = g.OutputHeight, outWidth = g.OutputWidth;
        for (int c = 0; c < g.Channels; c++)
        {
            int planeStart = c * g.Height * g.Width;
            for (int y = 0; y < outHeight; y++)
                for (int x = 0; x < outWidth; x++)
                {
                    AverageWindow(g, y, x, out int y0, out int y1, out int x0, out int x1, out int padded);
                    int count = 0;
                    for (int iy = y0; iy < y1; iy += g.DilationHeight)
                        for (int ix = x0; ix < x1; ix += g.DilationWidth) count++;
                    int divisor = countIncludePad ? padded : count;
                    if (divisor == 0) continue;
                    float share = gradientOutput[(c * outHeight + y) * outWidth + x] / divisor;
                    for (int iy = y0; iy < y1; iy += g.DilationHeight)
                        for (int ix = x0; ix < x1; ix += g.DilationWidth)
                            gradientImage[planeStart + iy * g.Width + ix] += share;
                }
        }
    }

    /// <summary>
    /// The in-image part of window (y, x) as [y0, y1) × [x0, x1) stepping by the dilation, and the
    /// number of window cells inside the padded image (PyTorch's count_include_pad divisor, which
    /// excludes cells beyond the padding).
    /// </summary>
    private static void AverageWindow(in ConvolutionGeometry g, int y, int x, out int y0, out int y1, out int x0, out int x1, out int padded)
    {
        int top = y * g.StrideHeight - g.PadTop, left = x * g.StrideWidth - g.PadLeft;
        int bottom = Math.Min(top + g.DilationHeight * (g.KernelHeight - 1) + 1, g.Height + g.PadBottom);
        int right = Math.Min(left + g.DilationWidth * (g.KernelWidth - 1) + 1, g.Width + g.PadRight);
        padded = ((bottom - top + g.DilationHeight - 1) / g.DilationHeight) * ((right - left + g.DilationWidth - 1) / g.DilationWidth);
        y0 = top;
        while (y0 < 0) y0 += g.DilationHeight;
        x0 = left;
        while (x0 < 0) x0 += g.DilationWidth;
        y1 = Math.Min(bottom, g.Height);
        x1 = Math.Min(right, g.Width);
    }
}
