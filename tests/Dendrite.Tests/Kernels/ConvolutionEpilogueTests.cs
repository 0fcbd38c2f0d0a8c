using Dendrite.Kernels;

namespace Dendrite.Tests.Kernels;

public class ConvolutionEpilogueTests
{
    public static TheoryData<int> Lengths() => [0, 1, 5, 15, 16, 17, 28, 31, 32, 33, 100, 784];

    private static float[] Values(int count, int seed)
    {
        var values = new float[count];
        new RandomGenerator(seed).FillNormal(values);
        // Zeros of both signs and NaN, where ReLU's rule (x > 0 ? x : 0) matters.
        for (int i = 0; i < count; i += 9) values[i] = 0f;
        for (int i = 4; i < count; i += 9) values[i] = -0f;
        for (int i = 7; i < count; i += 13) values[i] = float.NaN;
        return values;
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    [Theory]
    [MemberData(nameof(Lengths))]
    public void BiasActivationMatchesItsTwin(int length)
    {
        float[] source = Values(length, length + 1);
        foreach (float? bias in new float?[] { null, 0.25f, -0f })
            foreach (bool relu in new[] { false, true })
            {
                float[] expected = new float[length], actual = new float[length], inPlace = (float[])source.Clone();
                ConvolutionEpilogue.BiasActivationReference(source, bias, relu, expected);
                ConvolutionEpilogue.BiasActivation(source, bias, relu, actual);
                ConvolutionEpilogue.BiasActivation(inPlace, bias, relu, inPlace);
                Assert.Equal(Bits(expected), Bits(actual));
                Assert.Equal(Bits(expected), Bits(inPlace));
            }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ReluGradientMatchesItsTwin(int length)
    {
        float[] output = Values(length, 3), gradient = Values(length, 4);
        float[] expected = new float[length], actual = new float[length];
        ConvolutionEpilogue.ReluGradientReference(output, gradient, expected);
        ConvolutionEpilogue.ReluGradient(output, gradient, actual);
        Assert.Equal(Bits(expected), Bits(actual));
    }
}
