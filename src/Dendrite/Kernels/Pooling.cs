using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
        if (Is2x2(g))
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
                    int window = Window2x2(row0[2 * x], row0[2 * x + 1], row1[2 * x], row1[2 * x + 1], out float best);
                    outRow[x] = best;
                    argRow[x] = top + (window >> 1) * width + 2 * x + (window & 1);
                }
            }
        }
    }

    /// <summary>True for the geometry the window-code kernels serve: a 2×2 window, stride 2, no padding, no dilation.</summary>
    public static bool Is2x2(in ConvolutionGeometry g) =>
        g is { KernelHeight: 2, KernelWidth: 2, StrideHeight: 2, StrideWidth: 2, PadTop: 0, PadBottom: 0, PadLeft: 0, PadRight: 0, DilationHeight: 1, DilationWidth: 1 };

    /// <summary>
    /// Which of the window a (0, 0), b (0, 1), c (1, 0), d (1, 1) holds the maximum, in the general
    /// loop's order: a later value wins only if strictly larger, and the first NaN wins at once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Window2x2(float a, float b, float c, float d, out float best)
    {
        best = a;
        int window = 0;
        if (!float.IsNaN(best) && (b > best || float.IsNaN(b))) { best = b; window = 1; }
        if (!float.IsNaN(best) && (c > best || float.IsNaN(c))) { best = c; window = 2; }
        if (!float.IsNaN(best) && (d > best || float.IsNaN(d))) { best = d; window = 3; }
        return window;
    }

    /// <summary>
    /// 2×2 max pooling with stride 2 (<see cref="Is2x2"/>) of <paramref name="planes"/> [P, H, W] into
    /// <paramref name="output"/> [P, ⌊H/2⌋, ⌊W/2⌋]; <paramref name="window"/> gets, per output, where
    /// in its window the maximum was: 0 (top left), 1 (top right), 2 (bottom left), 3 (bottom right).
    /// Identical to <see cref="MaxForward2x2Reference"/> (the same maximum, first of ties, first NaN) but
    /// branch-free: 16 windows at a time with AVX-512, where random data would otherwise mispredict
    /// about every other comparison.
    /// </summary>
    /// <param name="g">The window geometry; Channels is the number of planes P.</param>
    /// <param name="planes">Input [P, H, W].</param>
    /// <param name="output">Output [P, H', W'].</param>
    /// <param name="window">Window codes [P, H', W'].</param>
    public static unsafe void MaxForward2x2(in ConvolutionGeometry g, ReadOnlySpan<float> planes, Span<float> output, Span<byte> window)
    {
        Check2x2(g, planes.Length, output.Length, window.Length);
        if (!Avx512F.IsSupported)
        {
            MaxForward2x2Reference(g, planes, output, window);
            return;
        }
        int outHeight = g.OutputHeight, outWidth = g.OutputWidth, width = g.Width, height = g.Height;
        Vector512<int> evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        Vector512<int> odds = evens + Vector512<int>.One;
        Vector512<int> lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        fixed (float* input = planes)
        fixed (float* result = output)
        fixed (byte* codes = window)
        {
            for (int p = 0; p < g.Channels; p++)
                for (int y = 0; y < outHeight; y++)
                {
                    float* row0 = input + ((long)p * height + 2 * y) * width, row1 = row0 + width;
                    long o = ((long)p * outHeight + y) * outWidth;
                    for (int x = 0; x < outWidth; x += 16)
                    {
                        int count = Math.Min(16, outWidth - x);
                        // Masked loads of the 2·count inputs of each row: no read past the row's end (nor the buffer's).
                        Vector512<float> low = Mask(lanes, 2 * count), high = Mask(lanes, 2 * count - 16);
                        Vector512<float> a0 = Avx512F.MaskLoad(row0 + 2 * x, low, Vector512<float>.Zero);
                        Vector512<float> a1 = Avx512F.MaskLoad(row0 + 2 * x + 16, high, Vector512<float>.Zero);
                        Vector512<float> b0 = Avx512F.MaskLoad(row1 + 2 * x, low, Vector512<float>.Zero);
                        Vector512<float> b1 = Avx512F.MaskLoad(row1 + 2 * x + 16, high, Vector512<float>.Zero);
                        Vector512<float> best = Avx512F.PermuteVar16x32x2(a0, evens, a1);
                        Vector512<int> code = Vector512<int>.Zero;
                        Take(ref best, ref code, Avx512F.PermuteVar16x32x2(a0, odds, a1), 1);
                        Take(ref best, ref code, Avx512F.PermuteVar16x32x2(b0, evens, b1), 2);
                        Take(ref best, ref code, Avx512F.PermuteVar16x32x2(b0, odds, b1), 3);
                        Vector128<byte> packed = Avx512F.ConvertToVector128Byte(code);
                        if (count == 16) best.Store(result + o + x);
                        else Avx512F.MaskStore(result + o + x, Mask(lanes, count), best);
                        // All 16 code bytes where they fit: the extra ones land on codes written later.
                        if (o + x + 16 <= window.Length) packed.Store(codes + o + x);
                        else for (int i = 0; i < count; i++) codes[o + x + i] = packed.GetElement(i);
                    }
                }
        }

        // Lanes [0, n) set (n may be ≤ 0 or ≥ 16).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<float> Mask(Vector512<int> lanes, int n) => Vector512.LessThan(lanes, Vector512.Create(n)).AsSingle();

        // The scalar rule per lane: a later value v wins if best is not NaN and v > best or v is NaN.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Take(ref Vector512<float> best, ref Vector512<int> code, Vector512<float> v, int index)
        {
            Vector512<float> take = Vector512.AndNot(Vector512.GreaterThan(v, best) | Vector512.IsNaN(v), Vector512.IsNaN(best));
            best = Vector512.ConditionalSelect(take, v, best);
            code = Vector512.ConditionalSelect(take.AsInt32(), Vector512.Create(index), code);
        }
    }

    /// <summary>The plain twin of <see cref="MaxForward2x2(in ConvolutionGeometry, ReadOnlySpan{float}, Span{float}, Span{byte})"/>, one window at a time.</summary>
    public static void MaxForward2x2Reference(in ConvolutionGeometry g, ReadOnlySpan<float> planes, Span<float> output, Span<byte> window)
    {
        Check2x2(g, planes.Length, output.Length, window.Length);
        int outHeight = g.OutputHeight, outWidth = g.OutputWidth, width = g.Width;
        for (int p = 0; p < g.Channels; p++)
            for (int y = 0; y < outHeight; y++)
                for (int x = 0; x < outWidth; x++)
                {
                    int top = (p * g.Height + 2 * y) * width + 2 * x;
                    int o = (p * outHeight + y) * outWidth + x;
                    window[o] = (byte)Window2x2(planes[top], planes[top + 1], planes[top + width], planes[top + width + 1], out float best);
                    output[o] = best;
                }
    }

    /// <summary>
    /// The backward of <see cref="MaxForward2x2(in ConvolutionGeometry, ReadOnlySpan{float}, Span{float}, Span{byte})"/>:
    /// each output gradient goes to the input cell its window code names, the other three cells of the
    /// window get 0 (rows or columns outside every window, when H or W is odd, too). With
    /// <paramref name="accumulate"/>, the gradient is added to <paramref name="gradientPlanes"/> at the
    /// named cells and the rest is left as it was. Identical to <see cref="MaxBackward2x2Reference"/>.
    /// </summary>
    /// <param name="g">The window geometry; Channels is the number of planes P.</param>
    /// <param name="gradientOutput">d(loss)/d(output) [P, H', W'].</param>
    /// <param name="window">The window codes of the forward pass [P, H', W'].</param>
    /// <param name="gradientPlanes">d(loss)/d(input) [P, H, W], written (or added to).</param>
    /// <param name="accumulate">Add into the existing gradient instead of overwriting it.</param>
    public static unsafe void MaxBackward2x2(in ConvolutionGeometry g, ReadOnlySpan<float> gradientOutput, ReadOnlySpan<byte> window, Span<float> gradientPlanes, bool accumulate)
    {
        Check2x2(g, gradientPlanes.Length, gradientOutput.Length, window.Length);
        if (!Avx512F.IsSupported)
        {
            MaxBackward2x2Reference(g, gradientOutput, window, gradientPlanes, accumulate);
            return;
        }
        int outHeight = g.OutputHeight, outWidth = g.OutputWidth, width = g.Width, height = g.Height;
        if (!accumulate && (height != 2 * outHeight || width != 2 * outWidth)) gradientPlanes.Clear();
        Vector512<int> interleaveLow = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        Vector512<int> interleaveHigh = interleaveLow + Vector512.Create(8);
        Vector512<int> lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        Span<byte> tail = stackalloc byte[16];
        fixed (float* dy = gradientOutput)
        fixed (byte* codes = window)
        fixed (float* dx = gradientPlanes)
        {
            for (int p = 0; p < g.Channels; p++)
                for (int y = 0; y < outHeight; y++)
                {
                    float* row0 = dx + ((long)p * height + 2 * y) * width, row1 = row0 + width;
                    long o = ((long)p * outHeight + y) * outWidth;
                    for (int x = 0; x < outWidth; x += 16)
                    {
                        int count = Math.Min(16, outWidth - x);
                        Vector512<float> gradient = count == 16
                            ? Vector512.Load(dy + o + x)
                            : Avx512F.MaskLoad(dy + o + x, Mask(lanes, count), Vector512<float>.Zero);
                        Vector512<int> code;
                        if (o + x + 16 <= window.Length) code = Avx512F.ConvertToVector512Int32(Vector128.Load(codes + o + x));
                        else
                        {
                            // The last codes of the buffer: no read past its end. Lanes beyond count are never stored.
                            tail.Clear();
                            new ReadOnlySpan<byte>(codes + o + x, count).CopyTo(tail);
                            code = Avx512F.ConvertToVector512Int32(Vector128.Create((ReadOnlySpan<byte>)tail));
                        }
                        Vector512<float> low = Mask(lanes, 2 * count), high = Mask(lanes, 2 * count - 16);
                        Row(row0 + 2 * x, gradient, code, 0, low, high, interleaveLow, interleaveHigh, accumulate);
                        Row(row1 + 2 * x, gradient, code, 2, low, high, interleaveLow, interleaveHigh, accumulate);
                    }
                }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<float> Mask(Vector512<int> lanes, int n) => Vector512.LessThan(lanes, Vector512.Create(n)).AsSingle();

        // One input row of 2·count cells: the left cell of window x gets the gradient where the code is
        // `left`, the right cell where it is left + 1; interleaved back into row order.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Row(float* row, Vector512<float> gradient, Vector512<int> code, int left,
            Vector512<float> low, Vector512<float> high, Vector512<int> interleaveLow, Vector512<int> interleaveHigh, bool accumulate)
        {
            Vector512<float> isLeft = Vector512.Equals(code, Vector512.Create(left)).AsSingle();
            Vector512<float> isRight = Vector512.Equals(code, Vector512.Create(left + 1)).AsSingle();
            Vector512<float> first = Avx512F.PermuteVar16x32x2(isLeft, interleaveLow, isRight);
            Vector512<float> second = Avx512F.PermuteVar16x32x2(isLeft, interleaveHigh, isRight);
            Vector512<float> value0 = Avx512F.PermuteVar16x32x2(gradient, interleaveLow, gradient);
            Vector512<float> value1 = Avx512F.PermuteVar16x32x2(gradient, interleaveHigh, gradient);
            if (accumulate)
            {
                Vector512<float> old0 = Avx512F.MaskLoad(row, low, Vector512<float>.Zero);
                Vector512<float> old1 = Avx512F.MaskLoad(row + 16, high, Vector512<float>.Zero);
                value0 = Vector512.ConditionalSelect(first, old0 + value0, old0);
                value1 = Vector512.ConditionalSelect(second, old1 + value1, old1);
            }
            else
            {
                value0 &= first;
                value1 &= second;
            }
            Avx512F.MaskStore(row, low, value0);
            Avx512F.MaskStore(row + 16, high, value1);
        }
    }

    /// <summary>The plain twin of <see cref="MaxBackward2x2"/>, one window at a time.</summary>
    public static void MaxBackward2x2Reference(in ConvolutionGeometry g, ReadOnlySpan<float> gradientOutput, ReadOnlySpan<byte> window, Span<float> gradientPlanes, bool accumulate)
    {
        Check2x2(g, gradientPlanes.Length, gradientOutput.Length, window.Length);
        int outHeight = g.OutputHeight, outWidth = g.OutputWidth, width = g.Width;
        if (!accumulate) gradientPlanes.Clear();
        for (int p = 0; p < g.Channels; p++)
            for (int y = 0; y < outHeight; y++)
                for (int x = 0; x < outWidth; x++)
                {
                    int o = (p * outHeight + y) * outWidth + x;
                    int code = window[o];
                    gradientPlanes[(p * g.Height + 2 * y + (code >> 1)) * width + 2 * x + (code & 1)] += gradientOutput[o];
                }
    }

    private static void Check2x2(in ConvolutionGeometry g, int planesLength, int outputLength, int windowLength)
    {
        if (!Is2x2(g))
            throw new ArgumentException($"Pooling: the window-code kernels need a 2x2 window with stride 2 and no padding or dilation; got {g}.");
        if (planesLength != g.Channels * g.Height * g.Width || outputLength != g.Channels * g.OutputPixels || windowLength != outputLength)
            throw new ArgumentException($"Pooling: {g.Channels} planes of {g.Height}x{g.Width} need {g.Channels * g.Height * g.Width} inputs and {g.Channels * g.OutputPixels} outputs and codes; got {planesLength}, {outputLength} and {windowLength}.");
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
