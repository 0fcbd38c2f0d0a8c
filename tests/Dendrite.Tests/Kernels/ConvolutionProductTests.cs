using Dendrite.Kernels;

namespace Dendrite.Tests.Kernels;

public class ConvolutionProductTests
{
    // rows, depth, pixels, samples: 8- and 16-channel blocks, pixel counts below, at and above 16 (blocks
    // that run into the next sample, or several), odd widths.
    public static TheoryData<int, int, int, int> Shapes() => new()
    {
        { 1, 1, 1, 1 }, { 6, 25, 784, 2 }, { 16, 150, 100, 3 }, { 3, 7, 5, 9 }, { 8, 9, 33, 2 }, { 9, 4, 16, 4 }, { 16, 1, 3, 11 }, { 5, 0, 20, 2 }, { 12, 30, 37, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyMatchesItsTwin(int rows, int depth, int pixels, int samples)
    {
        var generator = new RandomGenerator(rows * 1000 + depth * 10 + pixels);
        int width = samples * pixels, columnStride = width + 3, sampleStride = rows * pixels + 2;
        float[] weights = new float[rows * depth], columns = new float[Math.Max(0, (depth - 1) * columnStride + width)], bias = new float[rows];
        generator.FillNormal(weights);
        generator.FillNormal(columns);
        generator.FillNormal(bias);
        foreach (bool relu in new[] { false, true })
            foreach (bool withBias in new[] { false, true })
            {
                float[] expected = new float[samples * sampleStride], actual = new float[samples * sampleStride];
                expected.AsSpan().Fill(9f);
                actual.AsSpan().Fill(9f);
                ReadOnlySpan<float> b = withBias ? bias : default;
                ConvolutionProduct.MultiplyReference(rows, depth, pixels, samples, weights, columns, columnStride, b, relu, expected, sampleStride);
                ConvolutionProduct.Multiply(rows, depth, pixels, samples, weights, columns, columnStride, b, relu, actual, sampleStride);
                for (int i = 0; i < expected.Length; i++)
                {
                    // Gaps between samples are left alone; outputs agree up to the order of rounding.
                    if (i % sampleStride >= rows * pixels) Assert.Equal(9f, actual[i]);
                    else Assert.Equal(expected[i], actual[i], 1e-4f * (1 + depth));
                }
            }
    }

    public static TheoryData<ConvolutionGeometry, int> DirectGeometries() => new()
    {
        { new ConvolutionGeometry(1, 28, 28, 5, 5, 1, 1, 2, 2, 2, 2), 6 },
        { new ConvolutionGeometry(2, 20, 22, 3, 3, 1, 1, 1, 0, 0, 2), 8 },
        { new ConvolutionGeometry(3, 9, 34, 3, 3, 1, 1, 0, 0, 0, 0, 2, 1), 3 },
        { new ConvolutionGeometry(1, 4, 32, 1, 1), 1 },
        { new ConvolutionGeometry(2, 6, 22, 2, 5, 1, 1, 1, 1, 3, 1, 1, 2), 5 },
    };

    [Theory]
    [MemberData(nameof(DirectGeometries))]
    public void DirectIsTheProductOfTheUnfoldedImageBitForBit(ConvolutionGeometry g, int rows)
    {
        Assert.True(ConvolutionProduct.DirectFits(g));
        var generator = new RandomGenerator(g.GetHashCode());
        float[] image = new float[g.Channels * g.Height * g.Width], weights = new float[rows * g.PatchSize], bias = new float[rows];
        generator.FillNormal(image);
        generator.FillNormal(weights);
        generator.FillNormal(bias);
        float[] columns = new float[g.PatchSize * g.OutputPixels];
        Im2Col.Unfold(g, image, columns);
        foreach (bool relu in new[] { false, true })
        {
            float[] expected = new float[rows * g.OutputPixels], actual = new float[rows * g.OutputPixels];
            ConvolutionProduct.Multiply(rows, g.PatchSize, g.OutputPixels, 1, weights, columns, g.OutputPixels, bias, relu, expected, rows * g.OutputPixels);
            ConvolutionProduct.Direct(g, rows, weights, image, bias, relu, actual);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        }
    }

    public static TheoryData<ConvolutionGeometry, int> ChannelGeometries() => new()
    {
        // C3, a padded 3x3 with 20 channels (a partial block), strides, dilation, a 1x1, pixel counts
        // below 8, between 8 and 16 and not a multiple of 8.
        { new ConvolutionGeometry(6, 14, 14, 5, 5), 16 },
        { new ConvolutionGeometry(3, 9, 11, 3, 3, 1, 1, 1, 1, 1, 1), 20 },
        { new ConvolutionGeometry(2, 9, 10, 3, 3, 2, 2, 1, 0, 1, 2), 16 },
        { new ConvolutionGeometry(4, 7, 13, 3, 2, 1, 2, 2, 2, 0, 1, 2, 1), 33 },
        { new ConvolutionGeometry(5, 3, 3, 1, 1), 7 },
        { new ConvolutionGeometry(2, 4, 5, 2, 2), 16 },
        { new ConvolutionGeometry(1, 1, 10, 1, 1), 32 },
    };

    [Theory]
    [MemberData(nameof(ChannelGeometries))]
    public void DirectChannelsIsTheProductOfTheUnfoldedImageBitForBit(ConvolutionGeometry g, int rows)
    {
        // Two images, the second 5 floats after the first ends; outputs 3 floats apart.
        var generator = new RandomGenerator(g.GetHashCode() + rows);
        int imageSize = g.Channels * g.Height * g.Width, imageStride = imageSize + 5, outputSize = rows * g.OutputPixels, sampleStride = outputSize + 3;
        float[] images = new float[imageStride + imageSize], weights = new float[rows * g.PatchSize], bias = new float[rows];
        generator.FillNormal(images);
        generator.FillNormal(weights);
        generator.FillNormal(bias);
        foreach (bool relu in new[] { false, true })
            foreach (bool withBias in new[] { false, true })
            {
                float[] expected = new float[sampleStride + outputSize], actual = new float[sampleStride + outputSize];
                expected.AsSpan().Fill(9f);
                actual.AsSpan().Fill(9f);
                for (int s = 0; s < 2; s++)
                {
                    float[] columns = new float[g.PatchSize * g.OutputPixels];
                    Im2Col.Unfold(g, images.AsSpan(s * imageStride, imageSize), columns);
                    // The few-channel product takes up to 16 channels at a time.
                    for (int first = 0; first < rows; first += 16)
                    {
                        int count = Math.Min(16, rows - first);
                        ConvolutionProduct.Multiply(count, g.PatchSize, g.OutputPixels, 1, weights.AsSpan(first * g.PatchSize, count * g.PatchSize), columns, g.OutputPixels,
                            withBias ? bias.AsSpan(first, count) : default, relu, expected.AsSpan(s * sampleStride + first * g.OutputPixels, count * g.OutputPixels), count * g.OutputPixels);
                    }
                }
                ConvolutionProduct.DirectChannels(g, rows, weights, images, imageStride, 2, withBias ? bias : default, relu, actual, sampleStride);
                Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
            }
    }
}
