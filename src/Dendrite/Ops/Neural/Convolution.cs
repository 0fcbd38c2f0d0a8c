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

// 2-D convolution (cross-correlation, as every framework computes it) by im2col + GEMM, per
// sample and group g with Og = O/groups output and Cg = C/groups input channels:
//   col = im2col(x[n, group g])                  [Cg·kh·kw, H'·W']
//   y[n, group g] = W_g·col + b                  [Og, Cg·kh·kw]·[Cg·kh·kw, H'·W']
// Backward:
//   dW_g += dy[n, g]·colᵀ      db += Σ_{n,pixels} dy      dx[n, g] = col2im(W_gᵀ·dy[n, g])
// Samples are split into fixed chunks that run on both cores; each chunk sums its own dW and the
// chunks are added in order, so the result does not depend on the thread count.

public static partial class TensorOps
{
    extension(Tensor input)
    {
        /// <summary>
        /// 2-D convolution of <paramref name="input"/> [N, C, H, W] with <paramref name="weight"/>
        /// [O, C/groups, kh, kw] and optional <paramref name="bias"/> [O]; the result is [N, O, H', W']
        /// with H' = (H + top + bottom − dh·(kh − 1) − 1)/sh + 1 (likewise W').
        /// </summary>
        public Tensor Conv2d(Tensor weight, Tensor? bias = null, ConvolutionOptions options = default)
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
            ConvolutionForward(x, w, b, output, geometry, groups);
            if (GradMode.ShouldRecord(x, w, b))
            {
                var node = ConvolutionNode.Rent();
                node.Input0 = x;
                node.Input1 = w;
                node.Input2 = b;
                node.Geometry = geometry;
                node.Groups = groups;
                GradMode.Attach(output, node);
            }
            return output;
        }

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

    /// <summary>Runs <paramref name="body"/>(chunk) for chunks 0..count−1 on both cores; each chunk's work is independent.</summary>
    private static void ForEachChunk(int count, long workPerChunk, Action<int> body)
    {
        if (count <= 1 || workPerChunk * count < 200_000)
        {
            for (int chunk = 0; chunk < count; chunk++) body(chunk);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, body);
    }

    /// <summary>
    /// Samples per chunk: enough that the chunk's unfolded matrix [C·kh·kw, samples·H'·W'] is wide
    /// (one efficient GEMM instead of many small ones) while it stays around L2 size. Depends only on
    /// the shapes, so the chunking, and with it the order of the weight-gradient sums, does not depend
    /// on the thread count.
    /// </summary>
    private static int SamplesPerChunkFor(in ConvolutionGeometry g, int batch)
    {
        int pixels = Math.Max(1, g.OutputPixels);
        int byWidth = Math.Max(1, 2048 / pixels);
        int byMemory = Math.Max(1, (256 * 1024) / Math.Max(1, g.PatchSize * pixels));
        return Math.Clamp(Math.Min(byWidth, byMemory), 1, Math.Max(1, batch));
    }

    private static void ConvolutionForward(Tensor x, Tensor w, Tensor? b, Tensor output, ConvolutionGeometry g, int groups)
    {
        int batch = x.Shape[0], channels = x.Shape[1], outChannels = w.Shape[0];
        int groupOut = outChannels / groups, patch = g.PatchSize, pixels = g.OutputPixels;
        int imageSize = channels * g.Height * g.Width, groupImage = g.Channels * g.Height * g.Width;
        float[] xs = x._buffer, ws = w._buffer, ys = output._buffer;
        int xOffset = x._offset, wOffset = w._offset;
        float[]? bs = b?._buffer;
        int bOffset = b?._offset ?? 0;
        int perChunk = SamplesPerChunkFor(g, batch);
        int chunks = (batch + perChunk - 1) / perChunk;
        ForEachChunk(chunks, (long)perChunk * outChannels * patch * pixels, chunk =>
        {
            int first = chunk * perChunk, count = Math.Min(batch, first + perChunk) - first;
            int width = count * pixels;
            // columns: [patch, count·pixels]; product: [groupOut, count·pixels]
            float[] columns = BufferPool.Rent(patch * width);
            float[] product = BufferPool.Rent(groupOut * width);
            for (int group = 0; group < groups; group++)
            {
                for (int s = 0; s < count; s++)
                    Im2Col.Unfold(g, xs.AsSpan(xOffset + (first + s) * imageSize + group * groupImage, groupImage), columns.AsSpan(0, patch * width), width, s * pixels);
                Gemm.Multiply(groupOut, width, patch, ws.AsSpan(wOffset + group * groupOut * patch, groupOut * patch), patch, false,
                    columns.AsSpan(0, patch * width), width, false, product.AsSpan(0, groupOut * width), width);
                for (int s = 0; s < count; s++)
                    for (int o = 0; o < groupOut; o++)
                    {
                        ReadOnlySpan<float> source = product.AsSpan(o * width + s * pixels, pixels);
                        Span<float> plane = ys.AsSpan(((first + s) * outChannels + group * groupOut + o) * pixels, pixels);
                        if (bs is null) source.CopyTo(plane);
                        else TensorPrimitives.Add(source, bs[bOffset + group * groupOut + o], plane);
                    }
            }
            BufferPool.Return(product);
            BufferPool.Return(columns);
        });
    }

    private sealed class ConvolutionNode : Node<ConvolutionNode>
    {
        public ConvolutionGeometry Geometry;
        public int Groups;

        public override string OperationName => "Conv2d";

        public override int InputCount => Input2 is null ? 2 : 3;

        public override void Backward(Tensor output)
        {
            Tensor x = Input0, w = Input1!;
            Tensor? b = Input2;
            ConvolutionGeometry g = Geometry;
            int batch = x.Shape[0], channels = x.Shape[1], outChannels = w.Shape[0], groups = Groups;
            int groupOut = outChannels / groups, patch = g.PatchSize, pixels = g.OutputPixels;
            int imageSize = channels * g.Height * g.Width, groupImage = g.Channels * g.Height * g.Width;
            float[] dy = output._gradBuffer!;
            float[] xs = x._buffer, ws = w._buffer;
            int xOffset = x._offset, wOffset = w._offset;

            if (Wants(b))
            {
                Span<float> db = b!.GradientTarget(out bool accumulate);
                if (!accumulate) db.Clear();
                for (int n = 0; n < batch; n++)
                    for (int o = 0; o < outChannels; o++)
                        db[o] += TensorPrimitives.Sum(dy.AsSpan((n * outChannels + o) * pixels, pixels));
            }

            bool wantX = Wants(x), wantW = Wants(w);
            if (!wantX && !wantW) return;
            float[]? dxBuffer = null;
            bool dxAccumulate = false;
            if (wantX)
            {
                x.GradientTarget(out dxAccumulate);
                dxBuffer = x._gradBuffer;
                if (!dxAccumulate) dxBuffer.AsSpan(0, x.Count).Clear();
            }
            int perChunk = SamplesPerChunkFor(g, batch);
            int chunks = (batch + perChunk - 1) / perChunk;
            int weightSize = w.Count;
            float[]? partials = wantW ? BufferPool.Rent(chunks * weightSize) : null;
            ForEachChunk(chunks, (long)perChunk * 2 * outChannels * patch * pixels, chunk =>
            {
                int first = chunk * perChunk, count = Math.Min(batch, first + perChunk) - first;
                int width = count * pixels;
                // columns: [patch, count·pixels]; gradient: dy of the chunk's group as [groupOut, count·pixels]
                float[] columns = BufferPool.Rent(patch * width);
                float[] gradient = BufferPool.Rent(groupOut * width);
                Span<float> col = columns.AsSpan(0, patch * width), dyGroup = gradient.AsSpan(0, groupOut * width);
                for (int group = 0; group < groups; group++)
                {
                    for (int s = 0; s < count; s++)
                        for (int o = 0; o < groupOut; o++)
                            dy.AsSpan(((first + s) * outChannels + group * groupOut + o) * pixels, pixels).CopyTo(dyGroup.Slice(o * width + s * pixels, pixels));
                    if (wantW)
                    {
                        for (int s = 0; s < count; s++)
                            Im2Col.Unfold(g, xs.AsSpan(xOffset + (first + s) * imageSize + group * groupImage, groupImage), col, width, s * pixels);
                        Gemm.Multiply(groupOut, patch, width, dyGroup, width, false, col, width, true,
                            partials.AsSpan(chunk * weightSize + group * groupOut * patch, groupOut * patch), patch);
                    }
                    if (wantX)
                    {
                        Gemm.Multiply(patch, width, groupOut, ws.AsSpan(wOffset + group * groupOut * patch, groupOut * patch), patch, true, dyGroup, width, false, col, width);
                        for (int s = 0; s < count; s++)
                            Im2Col.FoldAdd(g, col, width, s * pixels, dxBuffer.AsSpan((first + s) * imageSize + group * groupImage, groupImage));
                    }
                }
                BufferPool.Return(gradient);
                BufferPool.Return(columns);
            });
            if (partials is not null)
            {
                Span<float> dw = w.GradientTarget(out bool accumulate);
                if (!accumulate) partials.AsSpan(0, weightSize).CopyTo(dw);
                else TensorPrimitives.Add(dw, partials.AsSpan(0, weightSize), dw);
                for (int chunk = 1; chunk < chunks; chunk++) TensorPrimitives.Add(dw, partials.AsSpan(chunk * weightSize, weightSize), dw);
                BufferPool.Return(partials);
            }
        }
    }
}
