using Dendrite.Autograd;
using Dendrite.Kernels;
using Dendrite.Tensors;

namespace Dendrite.Ops;

/// <summary>Stride, zero padding (each side), dilation and groups of a 2-D convolution.</summary>
/// <param name="StrideHeight">Vertical step between windows.</param>
/// <param name="StrideWidth">Horizontal step between windows.</param>
/// <param name="PadTop">Zero rows added above.</param>
/// <param name="PadBottom">Zero rows added below.</param>
/// <param name="PadLeft">Zero columns added on the left.</param>
/// <param name="PadRight">Zero columns added on the right.</param>
/// <param name="DilationHeight">Spacing between kernel rows (1 = dense).</param>
/// <param name="DilationWidth">Spacing between kernel columns.</param>
/// <param name="Groups">Input and output channels split into this many independent groups (channels = groups gives a depthwise convolution).</param>
public readonly record struct ConvolutionOptions(
    int StrideHeight = 1, int StrideWidth = 1,
    int PadTop = 0, int PadBottom = 0, int PadLeft = 0, int PadRight = 0,
    int DilationHeight = 1, int DilationWidth = 1, int Groups = 1)
{
    /// <summary>The same stride, padding and dilation in both directions.</summary>
    public static ConvolutionOptions Symmetric(int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        new(stride, stride, padding, padding, padding, padding, dilation, dilation, groups);
}

// 2-D convolution (cross-correlation, as every framework computes it) by im2col + GEMM. Letters:
// N batch, C input channels, O output channels, G groups, Cg = C/G and Og = O/G per group,
// K = Cg·kh·kw (patch), P = H'·W' (output pixels), S samples side by side in one chunk.
// Per chunk of S samples and group g:
//   col = im2col(x[samples, group g])                   [K, S·P]
//   z = W_g·col + b                                     [Og, K]·[K, S·P], into y [N, O, H', W']
//   y = z, or relu(z) for Conv2dRelu (fused into the write)
// Up to 16 output channels, ConvolutionProduct multiplies and writes y in one pass: straight from the
// image without col for up to 8 channels with output rows of 17-32 pixels (pixels in the lanes) and for
// exactly 16 channels (channels in the lanes); more channels take the GEMM and a scatter.
// Backward, with dz = dy (or dy where y > 0 for Conv2dRelu), gathered per chunk into [Og, S·P]:
//   dW_g += dz·colᵀ      db += Σ_{n,pixels} dz      dx[samples, g] = col2im(W_gᵀ·dz)
// (dz·colᵀ as dot products along the pixels when it is long and narrow, see WeightGradient).
// The chunks depend only on the shapes; they run on both cores (Gemm.RunParallel), each sums its own dW and db, and
// the chunks' sums are added in chunk order, so the result does not depend on the thread count.
// A 1×1 convolution with stride 1 and no padding skips im2col: x itself is the column matrix.

public static partial class TensorOps
{
    extension(Tensor input)
    {
        /// <summary>
        /// 2-D convolution of <paramref name="input"/> [N, C, H, W] with <paramref name="weight"/>
        /// [O, C/groups, kh, kw] and optional <paramref name="bias"/> [O]; the result is [N, O, H', W']
        /// with H' = (H + top + bottom − dh·(kh − 1) − 1)/sh + 1 (likewise W').
        /// </summary>
        public Tensor Conv2d(Tensor weight, Tensor? bias = null, ConvolutionOptions options = default) =>
            Convolution(input, weight, bias, options, relu: false);

        /// <summary>
        /// relu(<c>Conv2d</c>(<paramref name="weight"/>, <paramref name="bias"/>, <paramref name="options"/>)) as one
        /// operation: the same values and gradients as the two ops in a row, bit for bit, without
        /// writing, reading and keeping the pre-activation tensor (the ReLU rides in the scatter after
        /// the GEMM, and its derivative in the gather before the backward GEMMs).
        /// </summary>
        public Tensor Conv2dRelu(Tensor weight, Tensor? bias = null, ConvolutionOptions options = default) =>
            Convolution(input, weight, bias, options, relu: true);

        /// <summary>
        /// 1-D convolution of <paramref name="input"/> [N, C, L] with <paramref name="weight"/> [O, C/groups, k]
        /// (stride, padding and dilation along L only); the result is [N, O, L'].
        /// </summary>
        public Tensor Conv1d(Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
        {
            input.Shape.Dims3("Conv1d input");
            weight.Shape.Dims3("Conv1d weight");
            var options = new ConvolutionOptions(1, stride, 0, 0, padding, padding, 1, dilation, groups);
            return input.Unsqueeze(2).Conv2d(weight.Unsqueeze(2), bias, options).Squeeze(2);
        }
    }

    private static Tensor Convolution(Tensor input, Tensor weight, Tensor? bias, ConvolutionOptions options, bool relu)
    {
        options = Normalize(options);
        var (batch, channels, height, width) = input.Shape.Dims4("Conv2d input");
        var (outChannels, groupChannels, kernelHeight, kernelWidth) = weight.Shape.Dims4("Conv2d weight");
        int groups = options.Groups;
        if (channels % groups != 0 || outChannels % groups != 0)
            throw new ShapeMismatchException($"Conv2d: {channels} input and {outChannels} output channels must both be divisible by groups = {groups}.");
        if (groupChannels != channels / groups)
            throw new ShapeMismatchException($"Conv2d: input {input.Shape} has {channels} channels, so weight {weight.Shape} needs {channels / groups} input channels per group (groups = {groups}); it has {groupChannels}.");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outChannels))
            throw new ShapeMismatchException($"Conv2d: bias {bias.Shape} does not fit weight {weight.Shape}; it must be [{outChannels}].");
        var geometry = Geometry(channels / groups, height, width, kernelHeight, kernelWidth, options);
        CheckOutputSize("Conv2d", geometry, input.Shape);

        Tensor x = input.Contiguous(), w = weight.Contiguous();
        Tensor? b = bias?.Contiguous();
        Tensor output = Tensor.Uninitialized(new Shape(batch, outChannels, geometry.OutputHeight, geometry.OutputWidth));
        var plan = new ConvolutionPlan(batch, outChannels, groups, geometry);
        bool record = GradMode.ShouldRecord(x, w, b);
        ConvolutionForwardJob job = ConvolutionForwardJob.Instance;
        job.Plan = plan;
        job.X = x;
        job.W = w;
        job.B = b;
        job.Y = output;
        job.Relu = relu;
        try
        {
            RunChunks(job, plan.Chunks, plan.Parallel);
        }
        finally
        {
            job.Clear();
        }
        if (record)
        {
            var node = ConvolutionNode.Rent();
            node.Input0 = x;
            node.Input1 = w;
            node.Input2 = b;
            node.Plan = plan;
            node.Relu = relu;
            GradMode.Attach(output, node);
        }
        return output;
    }

    private static ConvolutionOptions Normalize(ConvolutionOptions options)
    {
        // default(ConvolutionOptions) has zero strides and dilations; read them as 1.
        var o = options with
        {
            StrideHeight = options.StrideHeight == 0 ? 1 : options.StrideHeight,
            StrideWidth = options.StrideWidth == 0 ? 1 : options.StrideWidth,
            DilationHeight = options.DilationHeight == 0 ? 1 : options.DilationHeight,
            DilationWidth = options.DilationWidth == 0 ? 1 : options.DilationWidth,
            Groups = options.Groups == 0 ? 1 : options.Groups,
        };
        if (o.StrideHeight < 0 || o.StrideWidth < 0 || o.DilationHeight < 0 || o.DilationWidth < 0 || o.Groups < 0
            || o.PadTop < 0 || o.PadBottom < 0 || o.PadLeft < 0 || o.PadRight < 0)
            throw new ArgumentOutOfRangeException(nameof(options), $"Convolution options must be non-negative: {options}.");
        return o;
    }

    private static ConvolutionGeometry Geometry(int channels, int height, int width, int kernelHeight, int kernelWidth, ConvolutionOptions o) =>
        new(channels, height, width, kernelHeight, kernelWidth, o.StrideHeight, o.StrideWidth,
            o.PadTop, o.PadBottom, o.PadLeft, o.PadRight, o.DilationHeight, o.DilationWidth);

    /// <summary>Throws when the window does not fit, with the output-size formula and the numbers put into it.</summary>
    internal static void CheckOutputSize(string layer, in ConvolutionGeometry g, Shape inputShape)
    {
        if (g.OutputHeight > 0 && g.OutputWidth > 0) return;
        int effectiveHeight = g.DilationHeight * (g.KernelHeight - 1) + 1, effectiveWidth = g.DilationWidth * (g.KernelWidth - 1) + 1;
        throw new ShapeMismatchException(
            $"{layer}: input {inputShape} is too small for a {g.KernelHeight}x{g.KernelWidth} window: output size = (N − F + P)/S + 1 = " +
            $"({g.Height} − {effectiveHeight} + {g.PadTop + g.PadBottom})/{g.StrideHeight} + 1 = {g.OutputHeight} rows and " +
            $"({g.Width} − {effectiveWidth} + {g.PadLeft + g.PadRight})/{g.StrideWidth} + 1 = {g.OutputWidth} columns; both must be at least 1. Pad the input or use a smaller kernel or stride.");
    }

    /// <summary>
    /// How a convolution of given shapes is cut into chunks of samples. Depends only on the shapes, so
    /// the chunking, and with it the order of the weight-gradient sums, does not depend on the thread count.
    /// </summary>
    private readonly struct ConvolutionPlan
    {
        public readonly ConvolutionGeometry Geometry;
        public readonly int Batch, OutChannels, Groups, GroupOut, Patch, Pixels, ImageSize, GroupImage;
        public readonly int SamplesPerChunk, Chunks;

        /// <summary>1×1 window, stride 1, no padding: each image [Cg, H·W] is already its own column matrix.</summary>
        public readonly bool Pointwise;

        /// <summary>Whether the chunks run on both cores (with one chunk, its GEMMs share out their own work).</summary>
        public readonly bool Parallel;

        public ConvolutionPlan(int batch, int outChannels, int groups, in ConvolutionGeometry g)
        {
            Geometry = g;
            Batch = batch;
            OutChannels = outChannels;
            Groups = groups;
            GroupOut = outChannels / groups;
            Patch = g.PatchSize;
            Pixels = g.OutputPixels;
            GroupImage = g.Channels * g.Height * g.Width;
            ImageSize = GroupImage * groups;
            Pointwise = g is { KernelHeight: 1, KernelWidth: 1, StrideHeight: 1, StrideWidth: 1, PadTop: 0, PadBottom: 0, PadLeft: 0, PadRight: 0 };
            SamplesPerChunk = Pointwise ? 1 : SamplesPerChunkFor(Patch, Pixels, batch);
            Chunks = (batch + SamplesPerChunk - 1) / SamplesPerChunk;
            long chunkWork = (long)SamplesPerChunk * outChannels * Patch * Pixels;
            // Chunks run on the GEMM's team, so a chunk's own GEMM finds the team taken and stays on its thread:
            // sharing out whole chunks keeps im2col, col2im and the epilogues on both cores too.
            Parallel = Chunks > 1 && chunkWork * Chunks >= ParallelWorkLimit;
        }

        /// <summary>
        /// Samples per chunk: enough that the chunk's column matrix [K, S·P] is wide (one efficient GEMM
        /// instead of many small ones; the weight-gradient GEMM sums over that width) while it stays
        /// within half of L2.
        /// </summary>
        private static int SamplesPerChunkFor(int patch, int pixels, int batch)
        {
            int byWidth = Math.Max(1, (TargetWidth + pixels - 1) / pixels);
            int byMemory = Math.Max(1, ColumnBudget / Math.Max(1, patch * pixels));
            return Math.Clamp(Math.Min(byWidth, byMemory), 1, Math.Max(1, batch));
        }

        public int First(int chunk) => chunk * SamplesPerChunk;

        public int Count(int chunk) => Math.Min(Batch, (chunk + 1) * SamplesPerChunk) - chunk * SamplesPerChunk;
    }

    /// <summary>GEMM width (S·P) a chunk aims for.</summary>
    private const int TargetWidth = 3072;

    /// <summary>Floats a chunk's column matrix may take: 512 KB, half of this machine's L2.</summary>
    private const int ColumnBudget = 128 * 1024;

    /// <summary>Below this many multiply-adds in all, waking the other core costs more than it saves.</summary>
    private const long ParallelWorkLimit = 400_000;

    private static void RunChunks(ChunkJob job, int chunks, bool parallel)
    {
        // On the GEMM's team: its worker is often still spinning from the last product and joins at
        // once, and a second pool of workers would compete with it for the same cores.
        if (parallel) Gemm.RunParallel(job, chunks);
        else for (int chunk = 0; chunk < chunks; chunk++) job.RunChunk(chunk);
    }

    /// <summary>The forward pass of one chunk; one instance per thread, filled before and cleared after each call.</summary>
    private sealed class ConvolutionForwardJob : ChunkJob
    {
        [ThreadStatic] private static ConvolutionForwardJob? _instance;

        public static ConvolutionForwardJob Instance => _instance ??= new ConvolutionForwardJob();

        public ConvolutionPlan Plan;
        public Tensor X = null!, W = null!, Y = null!;
        public Tensor? B;
        public bool Relu;

        public void Clear()
        {
            X = W = Y = null!;
            B = null;
        }

        public override void RunChunk(int chunk)
        {
            ref readonly ConvolutionPlan p = ref Plan;
            ConvolutionGeometry g = p.Geometry;
            int first = p.First(chunk), count = p.Count(chunk), width = count * p.Pixels;
            int groupOut = p.GroupOut, patch = p.Patch, pixels = p.Pixels;
            float[] xs = X._buffer, ws = W._buffer, ys = Y._buffer;
            int xOffset = X._offset, wOffset = W._offset;
            float[]? bs = B?._buffer;
            int bOffset = B?._offset ?? 0;
            // Few output channels: one pass that multiplies and writes y through the epilogue; else the GEMM and a
            // scatter. Up to 8 channels with output rows that fill two vectors: straight from the image, no im2col.
            bool narrow = groupOut <= ConvolutionProduct.MaxRows && ConvolutionProduct.IsAccelerated;
            bool direct = narrow && groupOut <= 8 && ConvolutionProduct.DirectFits(g);
            // Exactly 16 channels: with the channels in the vector lanes, no im2col either (C3: 493 -> 366 us of CPU per
            // forward; for 32-64 channels it measured even with im2col and the GEMM).
            bool channels = groupOut == 16 && !p.Pointwise && ConvolutionProduct.IsAccelerated;
            // columns: [K, S·P]; product: [Og, S·P] (when S > 1; one sample's product is written into y itself)
            float[]? columns = p.Pointwise || direct || channels ? null : BufferPool.Rent(patch * width);
            float[]? product = count > 1 && !narrow ? BufferPool.Rent(groupOut * width) : null;
            try
            {
                for (int group = 0; group < p.Groups; group++)
                {
                    ReadOnlySpan<float> weights = ws.AsSpan(wOffset + group * groupOut * patch, groupOut * patch);
                    int imageStart = xOffset + first * p.ImageSize + group * p.GroupImage;
                    if (channels)
                    {
                        ReadOnlySpan<float> bias = bs is null ? default : bs.AsSpan(bOffset + group * groupOut, groupOut);
                        int outputStart = (first * p.OutChannels + group * groupOut) * pixels;
                        ConvolutionProduct.DirectChannels(g, groupOut, weights, xs.AsSpan(imageStart, (count - 1) * p.ImageSize + p.GroupImage), p.ImageSize, count,
                            bias, Relu, ys.AsSpan(outputStart, (count - 1) * p.OutChannels * pixels + groupOut * pixels), p.OutChannels * pixels);
                        continue;
                    }
                    if (direct)
                    {
                        ReadOnlySpan<float> bias = bs is null ? default : bs.AsSpan(bOffset + group * groupOut, groupOut);
                        for (int s = 0; s < count; s++)
                            ConvolutionProduct.Direct(g, groupOut, weights, xs.AsSpan(imageStart + s * p.ImageSize, p.GroupImage), bias, Relu,
                                ys.AsSpan(((first + s) * p.OutChannels + group * groupOut) * pixels, groupOut * pixels));
                        continue;
                    }
                    Span<float> col;
                    if (p.Pointwise) col = xs.AsSpan(imageStart, p.GroupImage);
                    else
                    {
                        col = columns.AsSpan(0, patch * width);
                        for (int s = 0; s < count; s++)
                            Im2Col.Unfold(g, xs.AsSpan(imageStart + s * p.ImageSize, p.GroupImage), col, width, s * pixels);
                    }
                    int outStart = (first * p.OutChannels + group * groupOut) * pixels;
                    if (narrow)
                    {
                        ReadOnlySpan<float> bias = bs is null ? default : bs.AsSpan(bOffset + group * groupOut, groupOut);
                        ConvolutionProduct.Multiply(groupOut, patch, pixels, count, weights, col, width, bias, Relu,
                            ys.AsSpan(outStart, (count - 1) * p.OutChannels * pixels + groupOut * pixels), p.OutChannels * pixels);
                    }
                    else if (product is null)
                    {
                        Span<float> target = ys.AsSpan(outStart, groupOut * pixels);
                        Gemm.Multiply(groupOut, width, patch, weights, patch, false, col, width, false, target, width);
                        for (int o = 0; o < groupOut; o++)
                        {
                            Span<float> plane = target.Slice(o * pixels, pixels);
                            ConvolutionEpilogue.BiasActivation(plane, bs is null ? null : bs[bOffset + group * groupOut + o], Relu, plane);
                        }
                    }
                    else
                    {
                        Gemm.Multiply(groupOut, width, patch, weights, patch, false, col, width, false, product.AsSpan(0, groupOut * width), width);
                        for (int s = 0; s < count; s++)
                            for (int o = 0; o < groupOut; o++)
                                ConvolutionEpilogue.BiasActivation(product.AsSpan(o * width + s * pixels, pixels), bs is null ? null : bs[bOffset + group * groupOut + o], Relu,
                                    ys.AsSpan(outStart + (s * p.OutChannels + o) * pixels, pixels));
                    }
                }
            }
            finally
            {
                if (product is not null) BufferPool.Return(product);
                if (columns is not null) BufferPool.Return(columns);
            }
        }
    }

    private sealed class ConvolutionNode : Node<ConvolutionNode>
    {
        public ConvolutionPlan Plan;
        public bool Relu;

        public override string OperationName => Relu ? "Conv2dRelu" : "Conv2d";

        public override int InputCount => Input2 is null ? 2 : 3;

        public override void Backward(Tensor output)
        {
            Tensor x = Input0, w = Input1!;
            Tensor? b = Input2;
            ref readonly ConvolutionPlan p = ref Plan;
            bool wantX = Wants(x), wantW = Wants(w), wantB = Wants(b);
            if (!wantX && !wantW && !wantB) return;
            ConvolutionBackwardJob job = ConvolutionBackwardJob.Instance;
            job.Plan = p;
            job.X = x;
            job.W = w;
            job.Dy = output._gradBuffer!;
            job.Y = Relu ? output._buffer : null;
            job.WantX = wantX;
            job.WantW = wantW;
            int weightSize = w.Count, outChannels = p.OutChannels;
            float[]? weightPartials = wantW ? BufferPool.Rent(p.Chunks * weightSize) : null;
            float[]? biasPartials = wantB ? BufferPool.Rent(p.Chunks * outChannels) : null;
            job.WeightPartials = weightPartials;
            job.BiasPartials = biasPartials;
            float[]? flipped = null;
            if (wantX)
            {
                x.GradientTarget(out bool accumulate);
                job.Dx = x._gradBuffer;
                job.DxAccumulate = accumulate;
                if (!accumulate && InputGradientAsConvolution(p) is { } transposed)
                {
                    flipped = BufferPool.Rent(w.Count);
                    FlipTransposed(w.Span, p.OutChannels, p.Geometry, flipped);
                    job.TransposedGeometry = transposed;
                    job.FlippedWeights = flipped;
                }
            }
            try
            {
                RunChunks(job, p.Chunks, p.Parallel);
            }
            finally
            {
                job.Clear();
                if (flipped is not null) BufferPool.Return(flipped);
            }
            if (weightPartials is not null)
            {
                SumInChunkOrder(w, weightPartials, p.Chunks, weightSize);
                BufferPool.Return(weightPartials);
            }
            if (biasPartials is not null)
            {
                SumInChunkOrder(b!, biasPartials, p.Chunks, outChannels);
                BufferPool.Return(biasPartials);
            }
        }

        /// <summary>The parameter's gradient (+)= partial 0 + partial 1 + ... in chunk order.</summary>
        private static void SumInChunkOrder(Tensor parameter, float[] partials, int chunks, int size)
        {
            Span<float> gradient = parameter.GradientTarget(out bool accumulate);
            if (!accumulate) partials.AsSpan(0, size).CopyTo(gradient);
            else TensorPrimitives.Add(gradient, partials.AsSpan(0, size), gradient);
            for (int chunk = 1; chunk < chunks; chunk++) TensorPrimitives.Add(gradient, partials.AsSpan(chunk * size, size), gradient);
        }
    }

    /// <summary>
    /// When dx can be computed as a forward convolution of dz by the 16-channel kernel: dx = dz ⋆ W',
    /// W'[c, o, i, j] = W[o, c, kh−1−i, kw−1−j], stride 1, padding kh−1−top (and so on for each side), which
    /// for stride 1 and no dilation is the transposed convolution itself. Skips the product into a column
    /// matrix and col2im: a 16 → 16 (or 16 → 32) 3 × 3 layer on 64 images of 28 × 28, forward and backward
    /// on one core, took 11.0 against 11.3 ms (21.6 against 22.0), medians of five runs. Returns that
    /// convolution's geometry, or null where it does not apply: with AVX-512, one group, stride 1, no
    /// dilation, 16 input channels (the channel count the kernel fills), and an output the size of the
    /// input ("same" padding). A smaller output would make the transposed convolution multiply mostly
    /// padding: LeNet's C5 (5 × 5 → 1 × 1) would do 25 times the work.
    /// </summary>
    private static ConvolutionGeometry? InputGradientAsConvolution(in ConvolutionPlan p)
    {
        ConvolutionGeometry g = p.Geometry;
        if (!ConvolutionProduct.IsAccelerated || p.Groups != 1 || p.Pointwise || g.Channels != 16
            || g is not { StrideHeight: 1, StrideWidth: 1, DilationHeight: 1, DilationWidth: 1 }
            || g.OutputHeight != g.Height || g.OutputWidth != g.Width)
            return null;
        // A same-size output at stride 1 means top + bottom = kh − 1 (and left + right = kw − 1), so every
        // padding of the transposed convolution below is in [0, k − 1].
        return new ConvolutionGeometry(p.OutChannels, g.OutputHeight, g.OutputWidth, g.KernelHeight, g.KernelWidth, 1, 1,
            g.KernelHeight - 1 - g.PadTop, g.KernelHeight - 1 - g.PadBottom, g.KernelWidth - 1 - g.PadLeft, g.KernelWidth - 1 - g.PadRight);
    }

    /// <summary>W' [C, O·kh·kw] from W [O, C·kh·kw]: channels swapped and each window turned by 180°.</summary>
    private static void FlipTransposed(ReadOnlySpan<float> weights, int outChannels, in ConvolutionGeometry g, Span<float> flipped)
    {
        int kh = g.KernelHeight, kw = g.KernelWidth, taps = kh * kw;
        for (int o = 0; o < outChannels; o++)
            for (int c = 0; c < g.Channels; c++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                        flipped[((c * outChannels + o) * kh + kh - 1 - i) * kw + kw - 1 - j] = weights[(o * g.Channels + c) * taps + i * kw + j];
    }

    /// <summary>
    /// dW_g [Og, K] = dz [Og, S·P]·colᵀ, both operands holding the S·P pixels contiguously. Long and
    /// narrow (few output channels and taps, many pixels) it runs as dot products along the rows as they
    /// are stored; the GEMM would first transpose col into k-major panels. Measured on one core: LeNet's
    /// C1 (6 x 25, 3,136 pixels) 71 against 40 GFLOP/s, C3 (16 x 150, 800) 93 against 75; a 64 x 576 product
    /// over 196 pixels 58 against 102, so short and wide products stay with the GEMM.
    /// </summary>
    private static void WeightGradient(int outChannels, int patch, int width, ReadOnlySpan<float> dz, ReadOnlySpan<float> columns, Span<float> dw)
    {
        if (width >= 512 && (long)outChannels * patch <= 8192 && DotProducts.IsAccelerated)
            DotProducts.Multiply(outChannels, patch, width, dz, width, columns, width, dw, patch);
        else
            Gemm.Multiply(outChannels, patch, width, dz, width, false, columns, width, true, dw, patch);
    }

    /// <summary>The backward pass of one chunk: its dz, its share of dW and db, and dx of its samples.</summary>
    private sealed class ConvolutionBackwardJob : ChunkJob
    {
        [ThreadStatic] private static ConvolutionBackwardJob? _instance;

        public static ConvolutionBackwardJob Instance => _instance ??= new ConvolutionBackwardJob();

        public ConvolutionPlan Plan;
        public Tensor X = null!, W = null!;
        public float[] Dy = null!;
        public float[]? Y, Dx, WeightPartials, BiasPartials;
        public bool WantX, WantW, DxAccumulate;

        /// <summary>When set, dx is the forward convolution of dz by these weights in <see cref="TransposedGeometry"/> (see InputGradientAsConvolution).</summary>
        public float[]? FlippedWeights;
        public ConvolutionGeometry TransposedGeometry;

        public void Clear()
        {
            X = W = null!;
            Dy = null!;
            Y = Dx = WeightPartials = BiasPartials = FlippedWeights = null;
        }

        public override void RunChunk(int chunk)
        {
            ref readonly ConvolutionPlan p = ref Plan;
            ConvolutionGeometry g = p.Geometry;
            int first = p.First(chunk), count = p.Count(chunk), width = count * p.Pixels;
            int groupOut = p.GroupOut, patch = p.Patch, pixels = p.Pixels, outChannels = p.OutChannels;
            float[] xs = X._buffer, ws = W._buffer, dy = Dy;
            int xOffset = X._offset, wOffset = W._offset;
            Span<float> biasPartial = BiasPartials is null ? default : BiasPartials.AsSpan(chunk * outChannels, outChannels);
            // gradient: dz of the chunk and group as [Og, S·P], unless one sample's dy can be used as it is.
            bool gather = count > 1 || Y is not null;
            float[]? gradient = gather ? BufferPool.Rent(groupOut * width) : null;
            // columns: [K, S·P], the unfolded input for dW and then W_gᵀ·dz for dx.
            bool convolveDx = FlippedWeights is not null;   // only set when dx is wanted
            float[]? columns = p.Pointwise || !(WantW || (WantX && !convolveDx)) ? null : BufferPool.Rent(patch * width);
            try
            {
                for (int group = 0; group < p.Groups; group++)
                {
                    int outStart = (first * outChannels + group * groupOut) * pixels;
                    ReadOnlySpan<float> dz;
                    if (gradient is null) dz = dy.AsSpan(outStart, groupOut * pixels);
                    else
                    {
                        for (int s = 0; s < count; s++)
                            for (int o = 0; o < groupOut; o++)
                            {
                                int at = outStart + (s * outChannels + o) * pixels;
                                Span<float> target = gradient.AsSpan(o * width + s * pixels, pixels);
                                if (Y is null) dy.AsSpan(at, pixels).CopyTo(target);
                                else ConvolutionEpilogue.ReluGradient(Y.AsSpan(at, pixels), dy.AsSpan(at, pixels), target);
                            }
                        dz = gradient.AsSpan(0, groupOut * width);
                    }
                    if (!biasPartial.IsEmpty)
                        for (int o = 0; o < groupOut; o++)
                        {
                            float sum = 0f;
                            for (int s = 0; s < count; s++) sum += TensorPrimitives.Sum(dz.Slice(o * width + s * pixels, pixels));
                            biasPartial[group * groupOut + o] = sum;
                        }
                    ReadOnlySpan<float> weights = ws.AsSpan(wOffset + group * groupOut * patch, groupOut * patch);
                    int imageStart = first * p.ImageSize + group * p.GroupImage;
                    if (p.Pointwise)
                    {
                        // col is x itself, and dx = W_gᵀ·dz needs no col2im.
                        if (WantW)
                            WeightGradient(groupOut, patch, width, dz, xs.AsSpan(xOffset + imageStart, p.GroupImage),
                                WeightPartials.AsSpan(chunk * W.Count + group * groupOut * patch, groupOut * patch));
                        if (WantX)
                            Gemm.Multiply(patch, width, groupOut, weights, patch, true, dz, width, false,
                                Dx.AsSpan(imageStart, p.GroupImage), width, accumulate: DxAccumulate);
                        continue;
                    }
                    if (convolveDx)
                    {
                        // dz is [O, S·P]: image s at s·P, its channel planes S·P apart (one sample's dy is that layout too).
                        ConvolutionProduct.DirectChannels(TransposedGeometry, g.Channels, FlippedWeights, dz, pixels, count,
                            default, false, Dx.AsSpan(imageStart, (count - 1) * p.ImageSize + p.GroupImage), p.ImageSize, width);
                    }
                    if (columns is null) continue;
                    // Unfolded again rather than kept from the forward pass: keeping LeNet's 9 MB of
                    // column matrices (in L3 instead of one L2-sized buffer) measured slower, 4.8 against
                    // 4.0 ms of CPU per training step.
                    Span<float> col = columns.AsSpan(0, patch * width);
                    if (WantW)
                    {
                        for (int s = 0; s < count; s++)
                                Im2Col.Unfold(g, xs.AsSpan(xOffset + imageStart + s * p.ImageSize, p.GroupImage), col, width, s * pixels);
                        WeightGradient(groupOut, patch, width, dz, col, WeightPartials.AsSpan(chunk * W.Count + group * groupOut * patch, groupOut * patch));
                    }
                    if (WantX && !convolveDx)
                    {
                        Gemm.Multiply(patch, width, groupOut, weights, patch, true, dz, width, false, col, width);
                        for (int s = 0; s < count; s++)
                            Im2Col.Fold(g, col, width, s * pixels, Dx.AsSpan(imageStart + s * p.ImageSize, p.GroupImage), DxAccumulate);
                    }
                }
            }
            finally
            {
                if (columns is not null) BufferPool.Return(columns);
                if (gradient is not null) BufferPool.Return(gradient);
            }
        }
    }
}
