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
