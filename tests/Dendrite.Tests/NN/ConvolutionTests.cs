using Dendrite.NN;
using Dendrite.NN.Layers;

namespace Dendrite.Tests.NN;

public class ConvolutionTests
{
    public sealed record Case(string Name, int[] Input, int[] Weight, ConvolutionOptions Options, bool Bias = true)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> Cases() => new()
    {
        new("plain", [2, 3, 6, 6], [4, 3, 3, 3], default),
        new("stride2_pad1", [2, 2, 7, 7], [3, 2, 3, 3], ConvolutionOptions.Symmetric(stride: 2, padding: 1)),
        new("pad2_5x5", [1, 1, 6, 6], [2, 1, 5, 5], ConvolutionOptions.Symmetric(padding: 2)),
        new("dilation2", [1, 2, 8, 8], [2, 2, 3, 3], ConvolutionOptions.Symmetric(padding: 2, dilation: 2)),
        new("depthwise", [2, 3, 5, 5], [6, 1, 3, 3], ConvolutionOptions.Symmetric(padding: 1, groups: 3)),
        new("groups2_nobias", [1, 4, 5, 5], [4, 2, 3, 3], ConvolutionOptions.Symmetric(groups: 2), Bias: false),
        new("rectangular", [1, 2, 6, 7], [2, 2, 2, 3], new ConvolutionOptions(2, 1, 1, 0, 0, 1)),
        new("one_by_one", [3, 4, 3, 3], [2, 4, 1, 1], default),
        new("many_samples", [9, 1, 4, 4], [2, 1, 3, 3], ConvolutionOptions.Symmetric(padding: 1)),
        // Output rows of 17-32 pixels and at most 8 channels: the direct kernel without im2col.
        new("wide_rows_direct", [2, 2, 4, 20], [3, 2, 3, 3], ConvolutionOptions.Symmetric(padding: 1)),
        // Exactly 16 output channels: the channels-in-lanes kernel without im2col, here with stride 2.
        new("sixteen_channels", [2, 2, 5, 6], [16, 2, 3, 3], ConvolutionOptions.Symmetric(stride: 2, padding: 1)),
        // More than 16 output channels: the GEMM and a scatter instead of the few-channel product.
        new("many_channels_gemm", [2, 3, 5, 5], [20, 3, 3, 3], ConvolutionOptions.Symmetric(padding: 1)),
        // 16 input channels, stride 1: dx as a forward convolution of dz with the flipped weights, from dz
        // gathered for several samples, from dy itself for one sample, and with padding that differs by side.
        new("sixteen_in_dx_convolved", [3, 16, 5, 6], [5, 16, 3, 3], ConvolutionOptions.Symmetric(padding: 1)),
        new("sixteen_in_one_sample", [1, 16, 4, 4], [2, 16, 5, 5], ConvolutionOptions.Symmetric(padding: 2), Bias: false),
        new("sixteen_in_uneven_padding", [2, 16, 5, 4], [3, 16, 3, 2], new ConvolutionOptions(PadTop: 2, PadBottom: 0, PadLeft: 1, PadRight: 0)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2dGradientsMatchFiniteDifferences(Case c)
    {
        var generator = new RandomGenerator(c.Name.Length * 7 + 1);
        var x = Tensor.Uniform(c.Input, -1f, 1f, generator);
        var w = Tensor.Uniform(c.Weight, -0.5f, 0.5f, generator);
        var b = Tensor.Uniform([c.Weight[0]], -0.5f, 0.5f, generator);
        Tensor[] inputs = c.Bias ? [x, w, b] : [x, w];
        var result = GradCheck.Run(() => x.Conv2d(w, c.Bias ? b : null, c.Options), inputs);
        Assert.True(result.Passed, result.ToString());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2dMatchesADirectLoop(Case c)
    {
        var generator = new RandomGenerator(5);
        var x = Tensor.Uniform(c.Input, -1f, 1f, generator);
        var w = Tensor.Uniform(c.Weight, -0.5f, 0.5f, generator);
        var b = Tensor.Uniform([c.Weight[0]], -0.5f, 0.5f, generator);
        Tensor y = x.Conv2d(w, c.Bias ? b : null, c.Options);
        var o = c.Options;
        int groups = Math.Max(o.Groups, 1), sh = Math.Max(o.StrideHeight, 1), sw = Math.Max(o.StrideWidth, 1), dh = Math.Max(o.DilationHeight, 1), dw = Math.Max(o.DilationWidth, 1);
        int outChannels = c.Weight[0], groupIn = c.Weight[1], groupOut = outChannels / groups;
        for (int n = 0; n < c.Input[0]; n++)
            for (int oc = 0; oc < outChannels; oc++)
                for (int oy = 0; oy < y.Shape[2]; oy++)
                    for (int ox = 0; ox < y.Shape[3]; ox++)
                    {
                        double sum = c.Bias ? b[oc] : 0;
                        for (int ic = 0; ic < groupIn; ic++)
                            for (int i = 0; i < c.Weight[2]; i++)
                                for (int j = 0; j < c.Weight[3]; j++)
                                {
                                    int iy = oy * sh - o.PadTop + i * dh, ix = ox * sw - o.PadLeft + j * dw;
                                    if (iy < 0 || iy >= c.Input[2] || ix < 0 || ix >= c.Input[3]) continue;
                                    sum += x[n, oc / groupOut * groupIn + ic, iy, ix] * w[oc, ic, i, j];
                                }
                        Assert.Equal(sum, y[n, oc, oy, ox], 1e-4);
                    }
    }

    [Fact]
    public void PoolingGradientsMatchFiniteDifferences()
    {
        var generator = new RandomGenerator(3);
        // Distinct values so the max of each window is unique.
        var x = Tensor.FromArray(generator.Permutation(2 * 2 * 7 * 7).Select(v => v * 0.1f).ToArray(), new Shape(2, 2, 7, 7));
        foreach (Func<Tensor> f in new Func<Tensor>[]
        {
            () => x.MaxPool2d(2, 2),
            () => x.MaxPool2d(3, 3, 2, 2, 1, 1),
            () => x.AvgPool2d(2, 2),
            () => x.AvgPool2d(3, 3, 2, 2, 1, 1, countIncludePad: true),
            () => x.AvgPool2d(3, 3, 2, 2, 1, 1, countIncludePad: false),
            () => x.GlobalAveragePool(),
            () => x.GlobalMaxPool(),
        })
        {
            var result = GradCheck.Run(f, [x], epsilon: 1e-2);
            Assert.True(result.Passed, result.ToString());
        }
    }

    [Fact]
    public void PoolingComputesMaxAndMean()
    {
        var x = Tensor.FromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], new Shape(1, 1, 4, 4));
        Assert.Equal([6f, 8f, 14f, 16f], x.MaxPool2d(2, 2).ToArray());
        Assert.Equal([3.5f, 5.5f, 11.5f, 13.5f], x.AvgPool2d(2, 2).ToArray());
        // 3x3 windows, stride 2, padding 1: corners include padding.
        Assert.Equal([14f / 9f, 30f / 9f, 57f / 9f, 99f / 9f], x.AvgPool2d(3, 3, 2, 2, 1, 1).ToArray());
        Assert.Equal([14f / 4f, 30f / 6f, 57f / 6f, 99f / 9f], x.AvgPool2d(3, 3, 2, 2, 1, 1, countIncludePad: false).ToArray());
    }

    [Fact]
    public void OutputSizeErrorsNameTheLayerTheInputAndTheFormula()
    {
        var layer = new Conv2d(1, 4, 5);
        var error = Assert.Throws<ShapeMismatchException>(() => layer.Forward(Tensor.Zeros([2, 1, 3, 3])));
        Assert.Contains("Conv2d(1->4, 5x5)", error.Message);
        Assert.Contains("[2, 1, 3, 3]", error.Message);
        Assert.Contains("(N − F + P)/S + 1", error.Message);
        Assert.Contains("(3 − 5 + 0)/1 + 1", error.Message);
        var channels = Assert.Throws<ShapeMismatchException>(() => layer.Forward(Tensor.Zeros([2, 3, 8, 8])));
        Assert.Contains("[N, 1, H, W]", channels.Message);
        var pool = Assert.Throws<ShapeMismatchException>(() => new MaxPool2d(4).Forward(Tensor.Zeros([1, 1, 2, 2])));
        Assert.Contains("MaxPool2d", pool.Message);
    }

    [Fact]
    public void SamePaddingKeepsTheSpatialSize()
    {
        foreach (int kernel in new[] { 1, 2, 3, 4, 5 })
        {
            var layer = new Conv2d(2, 3, kernel, padding: Padding.SameSize);
            Assert.Equal(new Shape(1, 3, 7, 9), layer.Forward(Tensor.Zeros([1, 2, 7, 9])).Shape);
        }
        Assert.Equal(new Shape(1, 3, 4, 5), new Conv2d(2, 3, 3, stride: 2, padding: Padding.SameSize).Forward(Tensor.Zeros([1, 2, 7, 9])).Shape);
    }

    [Fact]
    public void ConvolutionalLayersConform()
    {
        LayerConformance.Check(() => new Conv2d(2, 3, 3, padding: 1, activation: new Tanh()), [2, 2, 5, 5], [2, 3, 5, 5], ["weight", "bias"],
            wrongInputShape: [2, 4, 5, 5], nameInError: "Conv2d(2->3");
        LayerConformance.Check(() => new Conv2d(4, 4, 3, groups: 4, bias: false), [1, 4, 4, 4], [1, 4, 2, 2], ["weight"]);
        LayerConformance.Check(() => new Conv1d(3, 2, 3, padding: 1), [2, 3, 6], [2, 2, 6], ["weight", "bias"], wrongInputShape: [2, 4, 6], nameInError: "Conv1d");
        LayerConformance.Check(() => new MaxPool2d(2), [1, 2, 4, 4], [1, 2, 2, 2], [],
            input: g => Tensor.FromArray(g.Permutation(32).Select(v => (float)v).ToArray(), new Shape(1, 2, 4, 4)));
        LayerConformance.Check(() => new AvgPool2d(2), [1, 2, 4, 4], [1, 2, 2, 2], []);
        LayerConformance.Check(() => new TrainablePool2d(2), [1, 2, 4, 4], [1, 2, 2, 2], ["weight", "bias"]);
        LayerConformance.Check(() => new GlobalAveragePool(), [2, 3, 4, 4], [2, 3], []);
        LayerConformance.Check(() => new ResidualBlock(2, 4, stride: 2), [2, 2, 6, 6], [2, 4, 3, 3],
            ["conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias", "shortcut.0.weight", "shortcut.1.weight", "shortcut.1.bias"], tolerance: 3e-2);
        LayerConformance.Check(() => new ResidualBlock(3, 3), [2, 3, 4, 4], [2, 3, 4, 4],
            ["conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias"], tolerance: 3e-2);
        LayerConformance.Check(() => new InceptionBlock(3, 2, 2, 3, 1, 2, 2), [1, 3, 5, 5], [1, 9, 5, 5],
            ["branch1.weight", "branch1.bias", "branch3.0.weight", "branch3.0.bias", "branch3.1.weight", "branch3.1.bias",
             "branch5.0.weight", "branch5.0.bias", "branch5.1.weight", "branch5.1.bias", "branchPool.1.weight", "branchPool.1.bias"], tolerance: 3e-2,
            input: g => Tensor.FromArray(g.Permutation(75).Select(v => v * 0.03f).ToArray(), new Shape(1, 3, 5, 5)));
        LayerConformance.Check(() => new SparseConv2d(6, SparseConv2d.LeNet5Table, 5), [1, 6, 6, 6], [1, 16, 2, 2], ["weight", "bias"]);
    }

    [Fact]
    public void LeNet5sSparseC3HasThePapersParameterCountAndIgnoresUnconnectedMaps()
    {
        var c3 = new SparseConv2d(6, SparseConv2d.LeNet5Table, 5);
        Assert.Equal(1516, c3.ParameterCount().Trainable);
        float[] kernel = c3.FullKernel().ToArray();
        // Map 0 sees inputs 0-2: its kernels for inputs 3-5 are zero, and changing input 3 does not change map 0.
        Assert.All(kernel.AsSpan(3 * 25, 3 * 25).ToArray(), v => Assert.Equal(0f, v));
        var x = Tensor.Uniform([1, 6, 5, 5], -1f, 1f, new RandomGenerator(2));
        float before = c3.Forward(x)[0, 0, 0, 0];
        x[0, 3, 2, 2] += 10f;
        Assert.Equal(before, c3.Forward(x)[0, 0, 0, 0]);
    }

    public static TheoryData<string, int[], int[], ConvolutionOptions> ThreadingCases() => new()
    {
        // One chunk of samples, several chunks run on both cores, a 1×1 (no im2col), groups.
        { "one_chunk", [16, 3, 12, 12], [8, 3, 3, 3], ConvolutionOptions.Symmetric(padding: 1) },
        { "lenet_c1", [64, 1, 28, 28], [6, 1, 5, 5], ConvolutionOptions.Symmetric(padding: 2) },
        { "lenet_c3", [64, 6, 14, 14], [16, 6, 5, 5], default },
        { "pointwise", [12, 8, 9, 9], [16, 8, 1, 1], default },
        { "groups2_stride2", [24, 4, 20, 20], [8, 2, 3, 3], ConvolutionOptions.Symmetric(stride: 2, padding: 1, groups: 2) },
        { "resnet_16_dx_convolved", [20, 16, 14, 14], [16, 16, 3, 3], ConvolutionOptions.Symmetric(padding: 1) },
    };

    [Theory]
    [MemberData(nameof(ThreadingCases))]
    public void ConvolutionResultsDoNotDependOnTheThreadCount(string name, int[] input, int[] weight, ConvolutionOptions options)
    {
        var generator = new RandomGenerator(name.Length + 8);
        var x = Tensor.Uniform(input, -1f, 1f, generator);
        var w = Tensor.Uniform(weight, -1f, 1f, generator);
        var b = Tensor.Uniform([weight[0]], -1f, 1f, generator);
        float[] Run(int threads, bool relu)
        {
            int previous = Dendrite.Kernels.Gemm.MaxThreads;
            Dendrite.Kernels.Gemm.MaxThreads = threads;
            try
            {
                Tensor xc = x.Detach() * 1f, wc = w.Detach() * 1f, bc = b.Detach() * 1f;
                xc.RequiresGrad = wc.RequiresGrad = bc.RequiresGrad = true;
                Tensor y = relu ? xc.Conv2dRelu(wc, bc, options) : xc.Conv2d(wc, bc, options);
                float[] values = y.ToArray();
                var loss = y.Square().Sum();
                loss.Backward();
                return [loss.Item(), .. values, .. xc.Grad!.ToArray(), .. wc.Grad!.ToArray(), .. bc.Grad!.ToArray()];
            }
            finally
            {
                Dendrite.Kernels.Gemm.MaxThreads = previous;
            }
        }
        foreach (bool relu in new[] { false, true })
            Assert.Equal(Run(1, relu), Run(2, relu));
    }

    [Theory]
    [InlineData(64, 6, 28, 28)]
    [InlineData(64, 16, 10, 10)]
    [InlineData(3, 50, 17, 33)]
    public void MaxPoolResultsDoNotDependOnTheThreadCount(int batch, int channels, int height, int width)
    {
        // Enough planes for several chunks on both cores; odd sizes leave rows and columns outside every window.
        var x = Tensor.Uniform([batch, channels, height, width], -1f, 1f, new RandomGenerator(height * width));
        var upstream = Tensor.Uniform([batch, channels, height / 2, width / 2], -1f, 1f, new RandomGenerator(7));
        float[] Run(int threads)
        {
            int previous = Dendrite.Kernels.Gemm.MaxThreads;
            Dendrite.Kernels.Gemm.MaxThreads = threads;
            try
            {
                Tensor xc = x.Detach() * 1f;
                xc.RequiresGrad = true;
                Tensor y = xc.MaxPool2d(2, 2);
                float[] values = y.ToArray();
                y.Backward(upstream);
                return [.. values, .. xc.Grad!.ToArray()];
            }
            finally
            {
                Dendrite.Kernels.Gemm.MaxThreads = previous;
            }
        }
        Assert.Equal(Run(1), Run(2));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2dReluIsConv2dThenReluBitForBit(Case c)
    {
        var generator = new RandomGenerator(c.Name.Length * 3 + 2);
        var x = Tensor.Uniform(c.Input, -1f, 1f, generator);
        var w = Tensor.Uniform(c.Weight, -0.5f, 0.5f, generator);
        var b = Tensor.Uniform([c.Weight[0]], -0.5f, 0.5f, generator);
        var upstream = Tensor.Uniform(x.Conv2d(w, null, c.Options).Shape.ToArray(), -1f, 1f, generator);
        float[][] Run(bool fused)
        {
            Tensor xc = x.Detach() * 1f, wc = w.Detach() * 1f, bc = b.Detach() * 1f;
            xc.RequiresGrad = wc.RequiresGrad = bc.RequiresGrad = true;
            Tensor? bias = c.Bias ? bc : null;
            Tensor y = fused ? xc.Conv2dRelu(wc, bias, c.Options) : xc.Conv2d(wc, bias, c.Options).Relu();
            float[] values = y.ToArray();
            y.Backward(upstream);
            return [values, xc.Grad!.ToArray(), wc.Grad!.ToArray(), c.Bias ? bc.Grad!.ToArray() : []];
        }
        float[][] fused = Run(true), composed = Run(false);
        for (int i = 0; i < fused.Length; i++)
            Assert.Equal(composed[i].Select(BitConverter.SingleToInt32Bits), fused[i].Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Conv2dReluGradientsMatchFiniteDifferences()
    {
        // Values kept away from the ReLU's kink, where central differences are not the derivative.
        var generator = new RandomGenerator(21);
        var x = Tensor.Uniform([2, 2, 5, 5], -1f, 1f, generator);
        var w = Tensor.Uniform([3, 2, 3, 3], -0.5f, 0.5f, generator);
        var b = Tensor.FromArray([0.3f, -0.2f, 0.05f], new Shape(3));
        var result = GradCheck.Run(() => x.Conv2dRelu(w, b, ConvolutionOptions.Symmetric(padding: 1)), [x, w, b]);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void ALayerWithReluUsesTheFusedOpAndGivesTheSameResult()
    {
        var generator = new RandomGenerator(4);
        var layer = new Conv2d(2, 3, 3, padding: 1, activation: new Relu(), generator: generator);
        var x = Tensor.Uniform([2, 2, 6, 6], -1f, 1f, generator);
        Tensor y = layer.Forward(x);
        Assert.Equal("Conv2dRelu", y.OperationName);
        Tensor expected = x.Conv2d(layer.Weight, layer.Bias, layer.Options(6, 6)).Relu();
        Assert.Equal(expected.ToArray(), y.ToArray());
    }
}
