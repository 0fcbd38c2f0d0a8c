using System.Buffers;
using Dendrite.Autograd;
using Dendrite.Kernels;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// Pooling over 2-D windows of [N, C, H, W] (each channel of each sample on its own):
//   max:     y = max over the window (padding is −∞)      dx[argmax] += dy
//            (2×2 windows with stride 2 keep a byte per output saying which cell of its window won)
//   average: y = Σ window / count                         dx[window] += dy / count
// where count includes zero padding when countIncludePad (PyTorch's default), else only real cells.

public static partial class TensorOps
{
    extension(Tensor input)
    {
        /// <summary>Max pooling of [N, C, H, W] with a kh×kw window (stride defaults to the window, as PyTorch).</summary>
        public Tensor MaxPool2d(int kernelHeight, int kernelWidth, int strideHeight = 0, int strideWidth = 0, int paddingHeight = 0, int paddingWidth = 0)
        {
            var (geometry, x) = PoolingSetup(input, "MaxPool2d", kernelHeight, kernelWidth, strideHeight, strideWidth, paddingHeight, paddingWidth);
            int batch = x.Shape[0], planes = x.Shape[1];
            Tensor output = Tensor.Uninitialized(new Shape(batch, planes, geometry.OutputHeight, geometry.OutputWidth));
            int outputSize = planes * geometry.OutputPixels, imageSize = planes * geometry.Height * geometry.Width;
            bool record = GradMode.ShouldRecord(x);
            if (Pooling.Is2x2(geometry))
            {
                // The common case: all planes of the batch in one call; the backward needs only where in
                // its window each maximum was, one byte per output, from a pool until the node is released.
                var planesGeometry = geometry with { Channels = batch * planes };
                byte[] window = ArrayPool<byte>.Shared.Rent(batch * outputSize);
                MaxPool2x2Job.Run(planesGeometry, x._buffer, x._offset, output._buffer, output._offset, window, backward: false, accumulate: false);
                if (!record) ArrayPool<byte>.Shared.Return(window);
                else
                {
                    var node = MaxPoolNode.Rent();
                    node.Input0 = x;
                    node.Window = window;
                    node.Geometry = planesGeometry;
                    GradMode.Attach(output, node);
                }
                return output;
            }
            // The arg-max positions are only needed for the backward pass; they come from a pool and go back when the node is released.
            int[] argmax = ArrayPool<int>.Shared.Rent(batch * outputSize);
            for (int n = 0; n < batch; n++)
                Pooling.MaxForward(geometry, x.Span.Slice(n * imageSize, imageSize), output.Span.Slice(n * outputSize, outputSize), argmax.AsSpan(n * outputSize, outputSize));
            if (!record) ArrayPool<int>.Shared.Return(argmax);
            else
            {
                var node = MaxPoolNode.Rent();
                node.Input0 = x;
                node.ArgMax = argmax;
                node.OutputSize = outputSize;
                node.ImageSize = imageSize;
                GradMode.Attach(output, node);
            }
            return output;
        }

        /// <summary>Average pooling of [N, C, H, W] with a kh×kw window (stride defaults to the window).</summary>
        public Tensor AvgPool2d(int kernelHeight, int kernelWidth, int strideHeight = 0, int strideWidth = 0, int paddingHeight = 0, int paddingWidth = 0, bool countIncludePad = true)
        {
            var (geometry, x) = PoolingSetup(input, "AvgPool2d", kernelHeight, kernelWidth, strideHeight, strideWidth, paddingHeight, paddingWidth);
            int batch = x.Shape[0], planes = x.Shape[1];
            Tensor output = Tensor.Uninitialized(new Shape(batch, planes, geometry.OutputHeight, geometry.OutputWidth));
            int outputSize = planes * geometry.OutputPixels, imageSize = planes * geometry.Height * geometry.Width;
            for (int n = 0; n < batch; n++)
                Pooling.AverageForward(geometry, x.Span.Slice(n * imageSize, imageSize), output.Span.Slice(n * outputSize, outputSize), countIncludePad);
            if (GradMode.ShouldRecord(x))
            {
                var node = AveragePoolNode.Rent();
                node.Input0 = x;
                node.Geometry = geometry;
                node.CountIncludePad = countIncludePad;
                GradMode.Attach(output, node);
            }
            return output;
        }

        /// <summary>Max pooling of sequences [N, C, L] with a window of <paramref name="kernelSize"/> (stride defaults to the window).</summary>
        public Tensor MaxPool1d(int kernelSize, int stride = 0, int padding = 0)
        {
            input.Shape.Dims3("MaxPool1d");
            return input.Unsqueeze(2).MaxPool2d(1, kernelSize, 1, stride, 0, padding).Squeeze(2);
        }

        /// <summary>Average pooling of sequences [N, C, L].</summary>
        public Tensor AvgPool1d(int kernelSize, int stride = 0, int padding = 0, bool countIncludePad = true)
        {
            input.Shape.Dims3("AvgPool1d");
            return input.Unsqueeze(2).AvgPool2d(1, kernelSize, 1, stride, 0, padding, countIncludePad).Squeeze(2);
        }

        /// <summary>
        /// Adaptive average pooling of [N, C, H, W] to [N, C, outH, outW] (as <c>torch.nn.functional.adaptive_avg_pool2d</c>):
        /// output cell (i, j) averages input rows ⌊i·H/outH⌋ … ⌈(i+1)·H/outH⌉ − 1 and likewise columns, so any
        /// input size maps to a fixed output size (cells may overlap, or repeat when the input is smaller).
        /// </summary>
        public Tensor AdaptiveAvgPool2d(int outputHeight, int outputWidth)
        {
            var (batch, planes, height, width) = input.Shape.Dims4("AdaptiveAvgPool2d");
            if (outputHeight <= 0 || outputWidth <= 0)
                throw new ArgumentOutOfRangeException(nameof(outputHeight), $"AdaptiveAvgPool2d: the output size must be positive; got {outputHeight}x{outputWidth}.");
            if (height == outputHeight && width == outputWidth) return input;
            Tensor x = input.Contiguous();
            Tensor output = Tensor.Uninitialized(new Shape(batch, planes, outputHeight, outputWidth));
            ReadOnlySpan<float> xs = x.Span;
            Span<float> ys = output.Span;
            for (int plane = 0; plane < batch * planes; plane++)
                for (int i = 0; i < outputHeight; i++)
                {
                    int y0 = i * height / outputHeight, y1 = ((i + 1) * height + outputHeight - 1) / outputHeight;
                    for (int j = 0; j < outputWidth; j++)
                    {
                        int x0 = j * width / outputWidth, x1 = ((j + 1) * width + outputWidth - 1) / outputWidth;
                        float sum = 0f;
                        for (int y = y0; y < y1; y++)
                            for (int xx = x0; xx < x1; xx++) sum += xs[(plane * height + y) * width + xx];
                        ys[(plane * outputHeight + i) * outputWidth + j] = sum / ((y1 - y0) * (x1 - x0));
                    }
                }
            if (GradMode.ShouldRecord(x))
            {
                var node = AdaptivePoolNode.Rent();
                node.Input0 = x;
                GradMode.Attach(output, node);
            }
            return output;
        }

        /// <summary>The mean of each channel over all positions: [N, C, ...] → [N, C] (global average pooling).</summary>
        public Tensor GlobalAveragePool()
        {
            if (input.Rank < 3) throw new ShapeMismatchException($"GlobalAveragePool needs [N, C, spatial...]; got {input.Shape}.");
            return input.Flatten(2).Mean(2);
        }

        /// <summary>The maximum of each channel over all positions: [N, C, ...] → [N, C] (global max pooling).</summary>
        public Tensor GlobalMaxPool()
        {
            if (input.Rank < 3) throw new ShapeMismatchException($"GlobalMaxPool needs [N, C, spatial...]; got {input.Shape}.");
            return input.Flatten(2).Max(2);
        }
    }

    private static (ConvolutionGeometry Geometry, Tensor Contiguous) PoolingSetup(Tensor input, string name, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int paddingHeight, int paddingWidth)
    {
        var (_, planes, height, width) = input.Shape.Dims4(name);
        if (kernelHeight <= 0 || kernelWidth <= 0)
            throw new ArgumentOutOfRangeException(nameof(kernelHeight), $"{name}: the window must be at least 1x1; got {kernelHeight}x{kernelWidth}.");
        if (paddingHeight * 2 > kernelHeight || paddingWidth * 2 > kernelWidth)
            throw new ArgumentOutOfRangeException(nameof(paddingHeight), $"{name}: padding ({paddingHeight}, {paddingWidth}) must be at most half the window {kernelHeight}x{kernelWidth} (as in PyTorch).");
        var geometry = new ConvolutionGeometry(planes, height, width, kernelHeight, kernelWidth,
            strideHeight <= 0 ? kernelHeight : strideHeight, strideWidth <= 0 ? kernelWidth : strideWidth,
            paddingHeight, paddingHeight, paddingWidth, paddingWidth);
        CheckOutputSize(name, geometry, input.Shape);
        return (geometry, input.Contiguous());
    }

    private sealed class MaxPoolNode : Node<MaxPoolNode>
    {
        // Either the 2×2 window codes of all planes (with their geometry), or general arg-max positions within each image.
        public byte[] Window = [];
        public ConvolutionGeometry Geometry;
        public int[] ArgMax = [];
        public int OutputSize, ImageSize;

        public override string OperationName => "MaxPool2d";

        public override void Backward(Tensor output)
        {
            Tensor x = Input0;
            if (!Wants(x)) return;
            Span<float> dx = x.GradientTarget(out bool accumulate);
            ReadOnlySpan<float> dy = output.GradientSpan;
            if (Window.Length > 0)
            {
                MaxPool2x2Job.Run(Geometry, x._gradBuffer!, 0, output._gradBuffer!, 0, Window, backward: true, accumulate);
                return;
            }
            if (!accumulate) dx.Clear();
            int batch = x.Shape[0];
            for (int n = 0; n < batch; n++)
                for (int o = 0; o < OutputSize; o++)
                    dx[n * ImageSize + ArgMax[n * OutputSize + o]] += dy[n * OutputSize + o];
        }

        protected override void ClearState()
        {
            if (ArgMax.Length > 0) ArrayPool<int>.Shared.Return(ArgMax);
            ArgMax = [];
            if (Window.Length > 0) ArrayPool<byte>.Shared.Return(Window);
            Window = [];
        }
    }

    /// <summary>
    /// The 2×2 kernels over chunks of whole planes, on both cores when there is enough work. A chunk's
    /// spans end at its last plane, so no kernel writes past them (the codes' 16-byte stores check).
    /// </summary>
    private sealed class MaxPool2x2Job : ChunkJob
    {
        /// <summary>Input floats per chunk: a few cache-friendly chunks for each core.</summary>
        private const int ChunkInputs = 32 * 1024;

        [ThreadStatic] private static MaxPool2x2Job? _instance;

        private ConvolutionGeometry _plane;
        private int _planes, _planesPerChunk;
        private float[] _image = null!, _pooled = null!;
        private int _imageOffset, _pooledOffset;
        private byte[] _window = null!;
        private bool _backward, _accumulate;

        /// <summary>
        /// Forward: <paramref name="image"/> → <paramref name="pooled"/> and the codes. Backward: d(pooled) in
        /// <paramref name="pooled"/> → d(image) in <paramref name="image"/>, written or added.
        /// </summary>
        public static void Run(in ConvolutionGeometry planes, float[] image, int imageOffset, float[] pooled, int pooledOffset, byte[] window,
            bool backward, bool accumulate)
        {
            MaxPool2x2Job job = _instance ??= new MaxPool2x2Job();
            int planeSize = planes.Height * planes.Width;
            job._plane = planes with { Channels = 1 };
            job._planes = planes.Channels;
            job._planesPerChunk = Math.Max(1, ChunkInputs / Math.Max(1, planeSize));
            job._image = image;
            job._imageOffset = imageOffset;
            job._pooled = pooled;
            job._pooledOffset = pooledOffset;
            job._window = window;
            job._backward = backward;
            job._accumulate = accumulate;
            int chunks = (planes.Channels + job._planesPerChunk - 1) / job._planesPerChunk;
            try
            {
                if (chunks > 1 && (long)planes.Channels * planeSize >= 2 * ChunkInputs) Gemm.RunParallel(job, chunks);
                else for (int chunk = 0; chunk < chunks; chunk++) job.RunChunk(chunk);
            }
            finally
            {
                job._image = job._pooled = null!;
                job._window = null!;
            }
        }

        public override void RunChunk(int chunk)
        {
            int first = chunk * _planesPerChunk, count = Math.Min(_planes, first + _planesPerChunk) - first;
            ConvolutionGeometry g = _plane with { Channels = count };
            int planeSize = g.Height * g.Width, pooledSize = g.OutputPixels;
            Span<float> image = _image.AsSpan(_imageOffset + first * planeSize, count * planeSize);
            Span<float> pooled = _pooled.AsSpan(_pooledOffset + first * pooledSize, count * pooledSize);
            Span<byte> window = _window.AsSpan(first * pooledSize, count * pooledSize);
            if (_backward) Pooling.MaxBackward2x2(g, pooled, window, image, _accumulate);
            else Pooling.MaxForward2x2(g, image, pooled, window);
        }
    }

    // dx[window(i, j)] += dy[i, j] / |window(i, j)|
    private sealed class AdaptivePoolNode : Node<AdaptivePoolNode>
    {
        public override string OperationName => "AdaptiveAvgPool2d";

        public override void Backward(Tensor output)
        {
            Tensor x = Input0;
            if (!Wants(x)) return;
            Span<float> dx = x.GradientTarget(out bool accumulate);
            if (!accumulate) dx.Clear();
            ReadOnlySpan<float> dy = output.GradientSpan;
            var (batch, planes, height, width) = x.Shape.Dims4("AdaptiveAvgPool2d");
            int outputHeight = output.Shape[2], outputWidth = output.Shape[3];
            for (int plane = 0; plane < batch * planes; plane++)
                for (int i = 0; i < outputHeight; i++)
                {
                    int y0 = i * height / outputHeight, y1 = ((i + 1) * height + outputHeight - 1) / outputHeight;
                    for (int j = 0; j < outputWidth; j++)
                    {
                        int x0 = j * width / outputWidth, x1 = ((j + 1) * width + outputWidth - 1) / outputWidth;
                        float share = dy[(plane * outputHeight + i) * outputWidth + j] / ((y1 - y0) * (x1 - x0));
                        for (int y = y0; y < y1; y++)
                            for (int xx = x0; xx < x1; xx++) dx[(plane * height + y) * width + xx] += share;
                    }
                }
        }
    }

    private sealed class AveragePoolNode : Node<AveragePoolNode>
    {
        public ConvolutionGeometry Geometry;
        public bool CountIncludePad;

        public override string OperationName => "AvgPool2d";

        public override void Backward(Tensor output)
        {
            Tensor x = Input0;
            if (!Wants(x)) return;
            Span<float> dx = x.GradientTarget(out bool accumulate);
            if (!accumulate) dx.Clear();
            ReadOnlySpan<float> dy = output.GradientSpan;
            int batch = x.Shape[0], planes = x.Shape[1];
            int outputSize = planes * Geometry.OutputPixels, imageSize = planes * Geometry.Height * Geometry.Width;
            for (int n = 0; n < batch; n++)
                Pooling.AverageBackwardAdd(Geometry, dy.Slice(n * outputSize, outputSize), dx.Slice(n * imageSize, imageSize), CountIncludePad);
        }
    }
}
