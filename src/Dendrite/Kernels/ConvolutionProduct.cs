using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

/// <summary>
/// The forward product of a convolution with few output channels, with its epilogue:
/// y[s, o, q] = f(Σ_k W[o, k]·col[k, s·P + q] + b[o]) for the S samples whose P-pixel column blocks
/// lie side by side in col, written straight into the [S, O, P] output (f: identity or ReLU).
/// </summary>
/// <remarks>
/// <para>
/// Why not <see cref="Gemm.Multiply"/>: with 16 rows or fewer the GEMM's 14-row panels are mostly
/// padding or split 14 + 2, it packs all of col before it starts, and its product still has to be
/// scattered into [S, O, P] with the bias and the ReLU in another pass. Here a block of 16 (or 2 × 16)
/// pixels of col is read as it lies, every output channel's weight is broadcast onto it (16 or 8
/// accumulators, one fused multiply-add per channel and step of k), and the finished block goes
/// through the epilogue into its place.
/// </para>
/// <para>
/// Each output is one chain of fused multiply-adds in k order from zero, then + b, then f, whichever
/// block it falls in, so the result does not depend on how the columns are split between calls; it
/// may differ in the last bits from <see cref="MultiplyReference"/>, which multiplies and adds separately.
/// </para>
/// </remarks>
public static class ConvolutionProduct
{
    /// <summary>Output channels one call can take.</summary>
    public const int MaxRows = 16;

    /// <summary>Whether the vector kernels run here (AVX-512); without, the calls fall back to the plain twins, and a GEMM is faster.</summary>
    public static bool IsAccelerated => Avx512F.IsSupported;

    /// <summary>
    /// y = f(W·col + b) for <paramref name="rows"/> ≤ 16 output channels over <paramref name="samples"/>
    /// blocks of <paramref name="pixels"/> columns.
    /// </summary>
    /// <param name="rows">O, output channels (1 to <see cref="MaxRows"/>).</param>
    /// <param name="depth">K, the inner dimension.</param>
    /// <param name="pixels">P, columns per sample.</param>
    /// <param name="samples">S, samples side by side in <paramref name="columns"/>.</param>
    /// <param name="weights">W, [O, K] with row stride K.</param>
    /// <param name="columns">col, [K, S·P] with row stride <paramref name="columnStride"/>.</param>
    /// <param name="columnStride">Row stride of col, at least S·P.</param>
    /// <param name="bias">b, [O], or empty for none.</param>
    /// <param name="relu">Apply ReLU (x &gt; 0 ? x : 0) after the bias.</param>
    /// <param name="output">y: sample s's channel o at <c>s·<paramref name="sampleStride"/> + o·P</c>, P floats.</param>
    /// <param name="sampleStride">Floats from one sample's output to the next, at least O·P.</param>
    public static unsafe void Multiply(int rows, int depth, int pixels, int samples, ReadOnlySpan<float> weights, ReadOnlySpan<float> columns, int columnStride,
        ReadOnlySpan<float> bias, bool relu, Span<float> output, int sampleStride)
    {
        Check(rows, depth, pixels, samples, weights.Length, columns.Length, columnStride, bias.Length, output.Length, sampleStride);
        if (samples == 0 || pixels == 0) return;
        if (!Avx512F.IsSupported)
        {
            MultiplyReference(rows, depth, pixels, samples, weights, columns, columnStride, bias, relu, output, sampleStride);
            return;
        }
        int width = samples * pixels;
        // Wᵀ, [K, 16] with zeros for the missing channels: one broadcast per channel and step of k.
        int packed = depth * MaxRows;
        float[]? rented = packed > 4096 ? System.Buffers.ArrayPool<float>.Shared.Rent(packed) : null;
        Span<float> transposed = rented is null ? stackalloc float[packed] : rented.AsSpan(0, packed);
        transposed.Clear();
        for (int o = 0; o < rows; o++)
            for (int k = 0; k < depth; k++) transposed[k * MaxRows + o] = weights[o * depth + k];
        Span<float> b = stackalloc float[MaxRows];
        b.Clear();
        bias.CopyTo(b);
        try
        {
            fixed (float* w = transposed)
            fixed (float* col = columns)
            fixed (float* y = output)
            fixed (float* pb = b)
            {
                var epilogue = new Epilogue(y, rows, pixels, sampleStride, pb, bias.Length > 0, relu);
                int j = 0;
                if (rows <= 8)
                    for (; j + 32 <= width; j += 32) Block8x32(w, depth, col + j, columnStride, j, epilogue);
                for (; j < width; j += 16) Block16x16(w, depth, col + j, columnStride, j, Math.Min(16, width - j), epilogue);
            }
        }
        finally
        {
            if (rented is not null) System.Buffers.ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>Where finished columns go: the [S, O, P] output with the bias and activation.</summary>
    private readonly unsafe struct Epilogue(float* output, int rows, int pixels, int sampleStride, float* bias, bool hasBias, bool relu)
    {
        /// <summary>Writes channel o's values for columns [j, j + count) (count ≤ 16).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(int o, Vector512<float> sum, int j, int count)
        {
            if (o >= rows) return;
            if (hasBias) sum += Vector512.Create(bias[o]);
            if (relu) sum = Vector512.ConditionalSelect(Vector512.GreaterThan(sum, Vector512<float>.Zero), sum, Vector512<float>.Zero);
            int sample = j / pixels, pixel = j - sample * pixels;
            float* at = output + (long)sample * sampleStride + (long)o * pixels + pixel;
            int first = Math.Min(count, pixels - pixel);
            if (first == 16) sum.Store(at);
            else Avx512F.MaskStore(at, Im2Col.TailMask(first), sum);
            // The block runs into the next sample(s): shift the rest down and store it there.
            int done = first;
            while (done < count)
            {
                sample++;
                at = output + (long)sample * sampleStride + (long)o * pixels;
                int part = Math.Min(count - done, pixels);
                Vector512<float> rest = Avx512F.PermuteVar16x32(sum, Vector512.Create(done) + Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
                Avx512F.MaskStore(at, Im2Col.TailMask(part), rest);
                done += part;
            }
        }
    }

    // 16 channels × 16 columns: 16 accumulators, one load of col and 16 broadcasts of Wᵀ per step of k.
    private static unsafe void Block16x16(float* w, int depth, float* col, int columnStride, int j, int count, in Epilogue epilogue)
    {
        Vector512<float> c0 = Vector512<float>.Zero, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        Vector512<float> c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
        Vector512<float> mask = count == 16 ? Vector512<float>.AllBitsSet : Im2Col.TailMask(count);
        for (int k = 0; k < depth; k++, col += columnStride, w += MaxRows)
        {
            Vector512<float> v = count == 16 ? Vector512.Load(col) : Avx512F.MaskLoad(col, mask, Vector512<float>.Zero);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[0]), v, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[1]), v, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[2]), v, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[3]), v, c3);
            c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[4]), v, c4);
            c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[5]), v, c5);
            c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[6]), v, c6);
            c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[7]), v, c7);
            c8 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[8]), v, c8);
            c9 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[9]), v, c9);
            c10 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[10]), v, c10);
            c11 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[11]), v, c11);
            c12 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[12]), v, c12);
            c13 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[13]), v, c13);
            c14 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[14]), v, c14);
            c15 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[15]), v, c15);
        }
        epilogue.Store(0, c0, j, count); epilogue.Store(1, c1, j, count); epilogue.Store(2, c2, j, count); epilogue.Store(3, c3, j, count);
        epilogue.Store(4, c4, j, count); epilogue.Store(5, c5, j, count); epilogue.Store(6, c6, j, count); epilogue.Store(7, c7, j, count);
        epilogue.Store(8, c8, j, count); epilogue.Store(9, c9, j, count); epilogue.Store(10, c10, j, count); epilogue.Store(11, c11, j, count);
        epilogue.Store(12, c12, j, count); epilogue.Store(13, c13, j, count); epilogue.Store(14, c14, j, count); epilogue.Store(15, c15, j, count);
    }

    // 8 channels × 32 columns: the same 16 accumulators for up to 8 channels, two loads of col per step.
    private static unsafe void Block8x32(float* w, int depth, float* col, int columnStride, int j, in Epilogue epilogue)
    {
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        Vector512<float> b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        for (int k = 0; k < depth; k++, col += columnStride, w += MaxRows)
        {
            Vector512<float> u = Vector512.Load(col), v = Vector512.Load(col + 16);
            Vector512<float> s = Vector512.Create(w[0]);
            a0 = Avx512F.FusedMultiplyAdd(s, u, a0); b0 = Avx512F.FusedMultiplyAdd(s, v, b0);
            s = Vector512.Create(w[1]);
            a1 = Avx512F.FusedMultiplyAdd(s, u, a1); b1 = Avx512F.FusedMultiplyAdd(s, v, b1);
            s = Vector512.Create(w[2]);
            a2 = Avx512F.FusedMultiplyAdd(s, u, a2); b2 = Avx512F.FusedMultiplyAdd(s, v, b2);
            s = Vector512.Create(w[3]);
            a3 = Avx512F.FusedMultiplyAdd(s, u, a3); b3 = Avx512F.FusedMultiplyAdd(s, v, b3);
            s = Vector512.Create(w[4]);
            a4 = Avx512F.FusedMultiplyAdd(s, u, a4); b4 = Avx512F.FusedMultiplyAdd(s, v, b4);
            s = Vector512.Create(w[5]);
            a5 = Avx512F.FusedMultiplyAdd(s, u, a5); b5 = Avx512F.FusedMultiplyAdd(s, v, b5);
            s = Vector512.Create(w[6]);
            a6 = Avx512F.FusedMultiplyAdd(s, u, a6); b6 = Avx512F.FusedMultiplyAdd(s, v, b6);
            s = Vector512.Create(w[7]);
            a7 = Avx512F.FusedMultiplyAdd(s, u, a7); b7 = Avx512F.FusedMultiplyAdd(s, v, b7);
        }
        epilogue.Store(0, a0, j, 16); epilogue.Store(1, a1, j, 16); epilogue.Store(2, a2, j, 16); epilogue.Store(3, a3, j, 16);
        epilogue.Store(4, a4, j, 16); epilogue.Store(5, a5, j, 16); epilogue.Store(6, a6, j, 16); epilogue.Store(7, a7, j, 16);
        epilogue.Store(0, b0, j + 16, 16); epilogue.Store(1, b1, j + 16, 16); epilogue.Store(2, b2, j + 16, 16); epilogue.Store(3, b3, j + 16, 16);
        epilogue.Store(4, b4, j + 16, 16); epilogue.Store(5, b5, j + 16, 16); epilogue.Store(6, b6, j + 16, 16); epilogue.Store(7, b7, j + 16, 16);
    }

    /// <summary>
    /// Whether <see cref="Direct"/> serves a geometry: stride 1, and output rows of 17 to 32 pixels, which
    /// fill two 16-lane blocks at least half (LeNet's first layer: 28 of 32).
    /// </summary>
    public static bool DirectFits(in ConvolutionGeometry g) =>
        g.StrideHeight == 1 && g.StrideWidth == 1 && g.OutputWidth > 16 && g.OutputWidth <= 32 && Avx512F.IsSupported;

    /// <summary>
    /// The same y = f(W·col + b) for up to 8 output channels without the column matrix: each output row
    /// of 17 to 32 pixels is two 16-lane blocks, and each tap's input row segment is loaded from the image
    /// itself (lanes in the padding load 0). Saves unfolding a [K, P] matrix per sample where the output
    /// rows fill the vectors well (<see cref="DirectFits"/>). Taps whose input row lies in the padding are
    /// skipped rather than added as zeros.
    /// </summary>
    /// <param name="g">The geometry of one image [C, H, W] (stride 1).</param>
    /// <param name="rows">O, output channels (1 to 8).</param>
    /// <param name="weights">W, [O, C·kh·kw].</param>
    /// <param name="image">x, [C, H, W].</param>
    /// <param name="bias">b, [O], or empty.</param>
    /// <param name="relu">Apply ReLU after the bias.</param>
    /// <param name="output">y, [O, H', W'].</param>
    public static unsafe void Direct(in ConvolutionGeometry g, int rows, ReadOnlySpan<float> weights, ReadOnlySpan<float> image, ReadOnlySpan<float> bias, bool relu, Span<float> output)
    {
        int patch = g.PatchSize, outHeight = g.OutputHeight, outWidth = g.OutputWidth, pixels = outHeight * outWidth;
        if (!DirectFits(g) || rows < 1 || rows > 8 || weights.Length < rows * patch || image.Length < g.Channels * g.Height * g.Width
            || (bias.Length != 0 && bias.Length != rows) || output.Length < rows * pixels)
            throw new ArgumentException($"ConvolutionProduct.Direct: needs stride 1, output width 17 to 32 and 1 to 8 channels with matching spans; got {g}, rows {rows}.");
        int kernelWidth = g.KernelWidth;
        // Per kernel column j: which lanes of the two blocks read inside the image row (x + j·dw − left in [0, W)).
        Span<Vector512<float>> masks = stackalloc Vector512<float>[2 * 16];
        Span<Vector512<float>> wide = kernelWidth <= 16 ? masks : new Vector512<float>[2 * kernelWidth];
        Vector512<int> lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        for (int j = 0; j < kernelWidth; j++)
            for (int block = 0; block < 2; block++)
            {
                Vector512<int> x = lanes + Vector512.Create(16 * block);
                Vector512<int> column = x + Vector512.Create(j * g.DilationWidth - g.PadLeft);
                wide[2 * j + block] = (Vector512.GreaterThanOrEqual(column, Vector512<int>.Zero) & Vector512.LessThan(column, Vector512.Create(g.Width))
                    & Vector512.LessThan(x, Vector512.Create(outWidth))).AsSingle();
            }
        // W as [K, 8] with zeros for the missing channels.
        Span<float> transposed = patch * 8 <= 4096 ? stackalloc float[patch * 8] : new float[patch * 8];
        transposed.Clear();
        for (int o = 0; o < rows; o++)
            for (int k = 0; k < patch; k++) transposed[k * 8 + o] = weights[o * patch + k];
        Span<float> b = stackalloc float[MaxRows];
        b.Clear();
        bias.CopyTo(b);
        fixed (float* w = transposed)
        fixed (float* x = image)
        fixed (float* y = output)
        fixed (float* pb = b)
        fixed (Vector512<float>* m = wide)
        {
            var epilogue = new Epilogue(y, rows, pixels, rows * pixels, pb, bias.Length > 0, relu);
            for (int row = 0; row < outHeight; row++)
            {
                Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
                Vector512<float> b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
                for (int c = 0; c < g.Channels; c++)
                    for (int i = 0; i < g.KernelHeight; i++)
                    {
                        int iy = row + i * g.DilationHeight - g.PadTop;
                        if ((uint)iy >= (uint)g.Height) continue;
                        float* source = x + ((long)c * g.Height + iy) * g.Width - g.PadLeft;
                        float* tap = w + ((c * g.KernelHeight + i) * kernelWidth) * 8;
                        for (int j = 0; j < kernelWidth; j++, tap += 8)
                        {
                            float* at = source + j * g.DilationWidth;
                            Vector512<float> u = Avx512F.MaskLoad(at, m[2 * j], Vector512<float>.Zero);
                            Vector512<float> v = Avx512F.MaskLoad(at + 16, m[2 * j + 1], Vector512<float>.Zero);
                            Vector512<float> s = Vector512.Create(tap[0]);
                            a0 = Avx512F.FusedMultiplyAdd(s, u, a0); b0 = Avx512F.FusedMultiplyAdd(s, v, b0);
                            s = Vector512.Create(tap[1]);
                            a1 = Avx512F.FusedMultiplyAdd(s, u, a1); b1 = Avx512F.FusedMultiplyAdd(s, v, b1);
                            s = Vector512.Create(tap[2]);
                            a2 = Avx512F.FusedMultiplyAdd(s, u, a2); b2 = Avx512F.FusedMultiplyAdd(s, v, b2);
                            s = Vector512.Create(tap[3]);
                            a3 = Avx512F.FusedMultiplyAdd(s, u, a3); b3 = Avx512F.FusedMultiplyAdd(s, v, b3);
                            if (rows > 4)
                            {
                                s = Vector512.Create(tap[4]);
                                a4 = Avx512F.FusedMultiplyAdd(s, u, a4); b4 = Avx512F.FusedMultiplyAdd(s, v, b4);
                                s = Vector512.Create(tap[5]);
                                a5 = Avx512F.FusedMultiplyAdd(s, u, a5); b5 = Avx512F.FusedMultiplyAdd(s, v, b5);
                            }
                            if (rows > 6)
                            {
                                s = Vector512.Create(tap[6]);
                                a6 = Avx512F.FusedMultiplyAdd(s, u, a6); b6 = Avx512F.FusedMultiplyAdd(s, v, b6);
                                s = Vector512.Create(tap[7]);
                                a7 = Avx512F.FusedMultiplyAdd(s, u, a7); b7 = Avx512F.FusedMultiplyAdd(s, v, b7);
                            }
                        }
                    }
                int j0 = row * outWidth;
                epilogue.Store(0, a0, j0, 16); epilogue.Store(1, a1, j0, 16); epilogue.Store(2, a2, j0, 16); epilogue.Store(3, a3, j0, 16);
                epilogue.Store(4, a4, j0, 16); epilogue.Store(5, a5, j0, 16); epilogue.Store(6, a6, j0, 16); epilogue.Store(7, a7, j0, 16);
                int rest = outWidth - 16;
                epilogue.Store(0, b0, j0 + 16, rest); epilogue.Store(1, b1, j0 + 16, rest); epilogue.Store(2, b2, j0 + 16, rest); epilogue.Store(3, b3, j0 + 16, rest);
                epilogue.Store(4, b4, j0 + 16, rest); epilogue.Store(5, b5, j0 + 16, rest); epilogue.Store(6, b6, j0 + 16, rest); epilogue.Store(7, b7, j0 + 16, rest);
            }
        }
    }

    /// <summary>
    /// y = f(W ⋆ x + b) for whole images with the output channels in the vector lanes: for 16 channels at a
    /// time, each of 8 output pixels accumulates Σ_taps x[tap]·W[:, tap], one fused multiply-add per tap
    /// with the input value broadcast and the 16 weights loaded once for all 8 pixels. Needs no column
    /// matrix (the taps are offsets into a zero-padded copy of the image), and no lane goes unused when the
    /// channels come in sixteens, whatever the image width, stride or dilation. The pixel-major sums are
    /// transposed 16 × 16 in registers into [O, P] through the epilogue. Each output is the same chain of
    /// multiply-adds in tap order as <see cref="Multiply"/> over the unfolded image, so the bits are the
    /// same (padding taps add exact zeros).
    /// </summary>
    /// <param name="g">The geometry of one image [C, H, W].</param>
    /// <param name="rows">O, output channels (any number; the last block of 16 may be partial).</param>
    /// <param name="weights">W, [O, C·kh·kw].</param>
    /// <param name="images">x: <paramref name="samples"/> images [C, H, W], <paramref name="imageStride"/> floats apart.</param>
    /// <param name="imageStride">Floats from one image to the next.</param>
    /// <param name="samples">How many images.</param>
    /// <param name="bias">b, [O], or empty.</param>
    /// <param name="relu">Apply ReLU after the bias.</param>
    /// <param name="output">y: image s's [O, H', W'] at <c>s·<paramref name="sampleStride"/></c>.</param>
    /// <param name="sampleStride">Floats from one image's output to the next, at least O·H'·W'.</param>
    /// <param name="channelStride">Floats from one input channel's plane to the next within an image; 0 for H·W (planes back to back).</param>
    public static unsafe void DirectChannels(in ConvolutionGeometry g, int rows, ReadOnlySpan<float> weights, ReadOnlySpan<float> images, int imageStride, int samples,
        ReadOnlySpan<float> bias, bool relu, Span<float> output, int sampleStride, int channelStride = 0)
    {
        int patch = g.PatchSize, pixels = g.OutputPixels, plane = g.Height * g.Width;
        if (channelStride == 0) channelStride = plane;
        long imageSize = (long)(g.Channels - 1) * channelStride + plane;
        if (!Avx512F.IsSupported || rows < 1 || pixels == 0 || channelStride < plane || weights.Length < rows * patch || (samples > 0 && images.Length < (samples - 1) * (long)imageStride + imageSize)
            || (bias.Length != 0 && bias.Length != rows) || sampleStride < rows * pixels || (samples > 0 && output.Length < (samples - 1) * (long)sampleStride + rows * pixels))
            throw new ArgumentException($"ConvolutionProduct.DirectChannels: needs AVX-512 and spans that fit {samples} images of {g} (channel planes {channelStride} apart) with {rows} output channels.");
        int paddedHeight = g.Height + g.PadTop + g.PadBottom, paddedWidth = g.Width + g.PadLeft + g.PadRight;
        // The taps are offsets into planes back to back, so planes further apart are copied like padding is.
        bool padded = paddedHeight != g.Height || paddedWidth != g.Width || channelStride != plane;
        int blocks = (rows + 15) / 16;
        int paddedSize = g.Channels * paddedHeight * paddedWidth;
        // Rented: Wᵀ per block of 16 channels [blocks, K, 16], the tap offsets [K], the padded image.
        float[] packed = System.Buffers.ArrayPool<float>.Shared.Rent(blocks * patch * 16);
        int[] offsets = System.Buffers.ArrayPool<int>.Shared.Rent(patch);
        float[]? scratch = padded ? System.Buffers.ArrayPool<float>.Shared.Rent(paddedSize) : null;

        try
        {
            packed.AsSpan(0, blocks * patch * 16).Clear();
            for (int o = 0; o < rows; o++)
                for (int k = 0; k < patch; k++) packed[((o >> 4) * patch + k) * 16 + (o & 15)] = weights[o * patch + k];
            int tap = 0;
            for (int c = 0; c < g.Channels; c++)
                for (int i = 0; i < g.KernelHeight; i++)
                    for (int j = 0; j < g.KernelWidth; j++)
                        offsets[tap++] = (c * paddedHeight + i * g.DilationHeight) * paddedWidth + j * g.DilationWidth;
            if (scratch is not null) scratch.AsSpan(0, paddedSize).Clear();
            Span<float> b = stackalloc float[blocks * 16];
            b.Clear();
            bias.CopyTo(b);
            // The pixel-major sums of 16 pixels × 16 channels, transposed out while they are in L1.
            float* sum = stackalloc float[16 * 16];
            fixed (float* w = packed)
            fixed (int* offset = offsets)
            fixed (float* x = images)
            fixed (float* pad = scratch)
            fixed (float* y = output)
            fixed (float* pb = b)
            {
                for (int s = 0; s < samples; s++)
                {
                    float* image = x + (long)s * imageStride, source = image;
                    if (pad is not null)
                    {
                        // Interior rows of the padded copy; its border stays zero from the clear above.
                        for (int c = 0; c < g.Channels; c++)
                            for (int r = 0; r < g.Height; r++)
                                new ReadOnlySpan<float>(image + (long)c * channelStride + r * g.Width, g.Width)
                                    .CopyTo(new Span<float>(pad + (c * paddedHeight + r + g.PadTop) * paddedWidth + g.PadLeft, g.Width));
                        source = pad;
                    }
                    for (int block = 0; block < blocks; block++)
                    {
                        float* wb = w + (long)block * patch * 16;
                        int first = block * 16;
                        float* target = y + (long)s * sampleStride + (long)first * pixels;
                        for (int p = 0; p < pixels; p += 16)
                        {
                            int n = Math.Min(16, pixels - p);
                            Pixels8(g, paddedWidth, source, p, Math.Min(8, n), wb, offset, patch, sum);
                            if (n > 8) Pixels8(g, paddedWidth, source, p + 8, n - 8, wb, offset, patch, sum + 128);
                            Transposed(sum, n, pixels, Math.Min(16, rows - first), pb + first, bias.Length > 0, relu, target + p);
                        }
                    }
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(packed);
            System.Buffers.ArrayPool<int>.Shared.Return(offsets);
            if (scratch is not null) System.Buffers.ArrayPool<float>.Shared.Return(scratch);
        }
    }

    // 8 output pixels (p, p + 1, ...; missing ones repeat the last) × 16 channels: 8 accumulators, per tap
    // one load of 16 weights and 8 broadcasts of input values.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Pixels8(in ConvolutionGeometry g, int paddedWidth, float* source, int p, int count, float* w, int* offset, int patch, float* sum)
    {
        int outWidth = g.OutputWidth;
        float* s0 = At(g, paddedWidth, source, p, outWidth), s1 = At(g, paddedWidth, source, p + Math.Min(1, count - 1), outWidth);
        float* s2 = At(g, paddedWidth, source, p + Math.Min(2, count - 1), outWidth), s3 = At(g, paddedWidth, source, p + Math.Min(3, count - 1), outWidth);
        float* s4 = At(g, paddedWidth, source, p + Math.Min(4, count - 1), outWidth), s5 = At(g, paddedWidth, source, p + Math.Min(5, count - 1), outWidth);
        float* s6 = At(g, paddedWidth, source, p + Math.Min(6, count - 1), outWidth), s7 = At(g, paddedWidth, source, p + Math.Min(7, count - 1), outWidth);
        Vector512<float> c0 = Vector512<float>.Zero, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int k = 0; k < patch; k++, w += 16)
        {
            int o = offset[k];
            Vector512<float> v = Vector512.Load(w);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(s0[o]), v, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(s1[o]), v, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(s2[o]), v, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(s3[o]), v, c3);
            c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(s4[o]), v, c4);
            c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(s5[o]), v, c5);
            c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(s6[o]), v, c6);
            c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(s7[o]), v, c7);
        }
        // All eight rows are written (the sums buffer has room: it is read back in blocks of 16 rows).
        c0.Store(sum); c1.Store(sum + 16); c2.Store(sum + 32); c3.Store(sum + 48);
        c4.Store(sum + 64); c5.Store(sum + 80); c6.Store(sum + 96); c7.Store(sum + 112);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static float* At(in ConvolutionGeometry g, int paddedWidth, float* source, int pixel, int outWidth)
        {
            int row = pixel / outWidth, column = pixel - row * outWidth;
            return source + (long)row * g.StrideHeight * paddedWidth + column * g.StrideWidth;
        }
    }

    // sums [n ≤ 16 pixels, 16 channels] (pixel-major) → y: channel o's n pixels at y + o·pixels, with the bias
    // and activation, through a 16 × 16 transpose in registers.
    private static unsafe void Transposed(float* sums, int n, int pixels, int count, float* bias, bool hasBias, bool relu, float* y)
    {
        {
            float* r = sums;
            // Rows past the last pixel hold whatever Pixels8 wrote there (it writes whole blocks of 8) and are
            // never stored; n ≤ 8 leaves rows 8-15 unread.
            Vector512<float> r0 = Vector512.Load(r), r1 = Vector512.Load(r + 16), r2 = Vector512.Load(r + 32), r3 = Vector512.Load(r + 48);
            Vector512<float> r4 = Vector512.Load(r + 64), r5 = Vector512.Load(r + 80), r6 = Vector512.Load(r + 96), r7 = Vector512.Load(r + 112);
            Vector512<float> r8 = Vector512<float>.Zero, r9 = r8, ra = r8, rb = r8, rc = r8, rd = r8, re = r8, rf = r8;
            if (n > 8)
            {
                r8 = Vector512.Load(r + 128); r9 = Vector512.Load(r + 144); ra = Vector512.Load(r + 160); rb = Vector512.Load(r + 176);
                rc = Vector512.Load(r + 192); rd = Vector512.Load(r + 208); re = Vector512.Load(r + 224); rf = Vector512.Load(r + 240);
            }
            Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1), t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
            Vector512<float> t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5), t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7);
            Vector512<float> t8 = Avx512F.UnpackLow(r8, r9), t9 = Avx512F.UnpackHigh(r8, r9), ta = Avx512F.UnpackLow(ra, rb), tb = Avx512F.UnpackHigh(ra, rb);
            Vector512<float> tc = Avx512F.UnpackLow(rc, rd), td = Avx512F.UnpackHigh(rc, rd), te = Avx512F.UnpackLow(re, rf), tf = Avx512F.UnpackHigh(re, rf);
            r0 = Low(t0, t2); r1 = High(t0, t2); r2 = Low(t1, t3); r3 = High(t1, t3);
            r4 = Low(t4, t6); r5 = High(t4, t6); r6 = Low(t5, t7); r7 = High(t5, t7);
            r8 = Low(t8, ta); r9 = High(t8, ta); ra = Low(t9, tb); rb = High(t9, tb);
            rc = Low(tc, te); rd = High(tc, te); re = Low(td, tf); rf = High(td, tf);
            t0 = Avx512F.Shuffle4x128(r0, r4, 0x88); t1 = Avx512F.Shuffle4x128(r1, r5, 0x88); t2 = Avx512F.Shuffle4x128(r2, r6, 0x88); t3 = Avx512F.Shuffle4x128(r3, r7, 0x88);
            t4 = Avx512F.Shuffle4x128(r0, r4, 0xDD); t5 = Avx512F.Shuffle4x128(r1, r5, 0xDD); t6 = Avx512F.Shuffle4x128(r2, r6, 0xDD); t7 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
            t8 = Avx512F.Shuffle4x128(r8, rc, 0x88); t9 = Avx512F.Shuffle4x128(r9, rd, 0x88); ta = Avx512F.Shuffle4x128(ra, re, 0x88); tb = Avx512F.Shuffle4x128(rb, rf, 0x88);
            tc = Avx512F.Shuffle4x128(r8, rc, 0xDD); td = Avx512F.Shuffle4x128(r9, rd, 0xDD); te = Avx512F.Shuffle4x128(ra, re, 0xDD); tf = Avx512F.Shuffle4x128(rb, rf, 0xDD);
            // Channel o's 16 pixels.
            Vector512<float> mask = n == 16 ? Vector512<float>.AllBitsSet : Im2Col.TailMask(n);
            float* at = y;
            Put(0, Avx512F.Shuffle4x128(t0, t8, 0x88)); Put(1, Avx512F.Shuffle4x128(t1, t9, 0x88));
            Put(2, Avx512F.Shuffle4x128(t2, ta, 0x88)); Put(3, Avx512F.Shuffle4x128(t3, tb, 0x88));
            Put(4, Avx512F.Shuffle4x128(t4, tc, 0x88)); Put(5, Avx512F.Shuffle4x128(t5, td, 0x88));
            Put(6, Avx512F.Shuffle4x128(t6, te, 0x88)); Put(7, Avx512F.Shuffle4x128(t7, tf, 0x88));
            Put(8, Avx512F.Shuffle4x128(t0, t8, 0xDD)); Put(9, Avx512F.Shuffle4x128(t1, t9, 0xDD));
            Put(10, Avx512F.Shuffle4x128(t2, ta, 0xDD)); Put(11, Avx512F.Shuffle4x128(t3, tb, 0xDD));
            Put(12, Avx512F.Shuffle4x128(t4, tc, 0xDD)); Put(13, Avx512F.Shuffle4x128(t5, td, 0xDD));
            Put(14, Avx512F.Shuffle4x128(t6, te, 0xDD)); Put(15, Avx512F.Shuffle4x128(t7, tf, 0xDD));

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            void Put(int o, Vector512<float> v)
            {
                if (o >= count) return;
                if (hasBias) v += Vector512.Create(bias[o]);
                if (relu) v = Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, Vector512<float>.Zero);
                float* target = at + (long)o * pixels;
                if (n == 16) v.Store(target);
                else Avx512F.MaskStore(target, mask, v);
            }
        }

        static Vector512<float> Low(Vector512<float> a, Vector512<float> b) => Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

        static Vector512<float> High(Vector512<float> a, Vector512<float> b) => Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();
    }

    /// <summary>The plain twin of <see cref="Multiply"/>, one output at a time.</summary>
    public static void MultiplyReference(int rows, int depth, int pixels, int samples, ReadOnlySpan<float> weights, ReadOnlySpan<float> columns, int columnStride,
        ReadOnlySpan<float> bias, bool relu, Span<float> output, int sampleStride)
    {
        Check(rows, depth, pixels, samples, weights.Length, columns.Length, columnStride, bias.Length, output.Length, sampleStride);
        for (int s = 0; s < samples; s++)
            for (int o = 0; o < rows; o++)
                for (int q = 0; q < pixels; q++)
                {
                    float sum = 0f;
                    for (int k = 0; k < depth; k++) sum += weights[o * depth + k] * columns[k * columnStride + s * pixels + q];
                    if (bias.Length > 0) sum += bias[o];
                    output[s * sampleStride + o * pixels + q] = relu && !(sum > 0f) ? 0f : sum;
                }
    }

    private static void Check(int rows, int depth, int pixels, int samples, int weightLength, int columnLength, int columnStride, int biasLength, int outputLength, int sampleStride)
    {
        if (rows < 1 || rows > MaxRows || depth < 0 || pixels < 0 || samples < 0)
            throw new ArgumentException($"ConvolutionProduct: rows must be 1 to {MaxRows} and the sizes non-negative; got rows={rows}, depth={depth}, pixels={pixels}, samples={samples}.");
        long width = (long)samples * pixels;
        if (weightLength < rows * depth || columnStride < width || (depth > 0 && width > 0 && columnLength < (depth - 1) * (long)columnStride + width)
            || (biasLength != 0 && biasLength != rows) || sampleStride < rows * pixels || (samples > 0 && outputLength < (samples - 1) * (long)sampleStride + rows * pixels))
            throw new ArgumentException($"ConvolutionProduct: weights {weightLength} (need {rows * depth}), columns {columnLength} with stride {columnStride} (need {(long)Math.Max(0, depth - 1) * columnStride + width}), bias {biasLength} (0 or {rows}), output {outputLength} with sample stride {sampleStride} (need {(long)Math.Max(0, samples - 1) * sampleStride + rows * pixels}).");
    }
}
