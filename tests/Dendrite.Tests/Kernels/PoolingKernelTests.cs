using Dendrite.Kernels;

namespace Dendrite.Tests.Kernels;

public class PoolingKernelTests
{
    // Heights and widths around the 16-window vector width, odd ones (a row or column outside every window) and 1.
    public static TheoryData<int, int, int> Sizes() => new()
    {
        { 1, 2, 2 }, { 3, 4, 5 }, { 2, 28, 28 }, { 2, 10, 10 }, { 1, 3, 33 }, { 2, 7, 31 }, { 1, 2, 64 }, { 1, 5, 66 }, { 3, 9, 1 }, { 2, 1, 8 },
    };

    private static float[] Values(int count, int seed, bool special)
    {
        var generator = new RandomGenerator(seed);
        var values = new float[count];
        generator.FillNormal(values);
        if (special)
        {
            // Ties (few distinct values) and NaNs in every position of a window.
            for (int i = 0; i < count; i++) values[i] = MathF.Round(values[i]);
            for (int i = 3; i < count; i += 7) values[i] = float.NaN;
            for (int i = 5; i < count; i += 11) values[i] = float.NegativeInfinity;
        }
        return values;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MaxForward2x2MatchesItsTwinAndTheGeneralLoop(int planes, int height, int width)
    {
        var g = new ConvolutionGeometry(planes, height, width, 2, 2, 2, 2);
        if (g.OutputPixels == 0) return;
        foreach (bool special in new[] { false, true })
        {
            float[] input = Values(planes * height * width, height * 31 + width, special);
            int outputs = planes * g.OutputPixels;
            float[] expected = new float[outputs], actual = new float[outputs], general = new float[outputs];
            byte[] expectedWindow = new byte[outputs], actualWindow = new byte[outputs];
            int[] argmax = new int[outputs];
            Pooling.MaxForward2x2Reference(g, input, expected, expectedWindow);
            Pooling.MaxForward2x2(g, input, actual, actualWindow);
            Pooling.MaxForward(g, input, general, argmax);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(expectedWindow, actualWindow);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), general.Select(BitConverter.SingleToInt32Bits));
            for (int o = 0; o < outputs; o++)
            {
                int p = o / g.OutputPixels, y = o % g.OutputPixels / g.OutputWidth, x = o % g.OutputWidth;
                int code = expectedWindow[o];
                Assert.Equal((p * height + 2 * y + (code >> 1)) * width + 2 * x + (code & 1), argmax[o]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MaxBackward2x2MatchesItsTwin(int planes, int height, int width)
    {
        var g = new ConvolutionGeometry(planes, height, width, 2, 2, 2, 2);
        if (g.OutputPixels == 0) return;
        int outputs = planes * g.OutputPixels, inputs = planes * height * width;
        float[] input = Values(inputs, 7 + width, special: false);
        float[] pooled = new float[outputs];
        byte[] window = new byte[outputs];
        Pooling.MaxForward2x2(g, input, pooled, window);
        float[] gradient = Values(outputs, 9 + height, special: false);
        foreach (bool accumulate in new[] { false, true })
        {
            float[] expected = Values(inputs, 3, special: false), actual = (float[])expected.Clone();
            Pooling.MaxBackward2x2Reference(g, gradient, window, expected, accumulate);
            Pooling.MaxBackward2x2(g, gradient, window, actual, accumulate);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        }
    }
}
