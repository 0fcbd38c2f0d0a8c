using Dendrite.Kernels;
using Dendrite.Tests.Support;

namespace Dendrite.Tests.Kernels;

public class SoftmaxAndReductionKernelTests
{
    public static TheoryData<int, int, int> Layouts() => new()
    {
        { 1, 1, 1 }, { 3, 5, 1 }, { 4, 17, 1 }, { 2, 3, 4 }, { 1, 7, 33 }, { 5, 1, 3 }, { 2, 40, 19 },
    };

    private static float[] Values(int n, float scale = 4f) => Tensor.Randn([n], new RandomGenerator(n)).ToArray().Select(v => v * scale).ToArray();

    [Theory]
    [MemberData(nameof(Layouts))]
    public void SoftmaxMatchesItsTwin(int outer, int axis, int inner)
    {
        float[] x = Values(outer * axis * inner);
        float[] expected = new float[x.Length], actual = new float[x.Length];
        Softmax.Reference.Forward(x, expected, outer, axis, inner);
        Softmax.Forward(x, actual, outer, axis, inner);
        Assertions.AllClose(expected, actual, 1e-5, 1e-7);
        Softmax.Reference.LogForward(x, expected, outer, axis, inner);
        Softmax.LogForward(x, actual, outer, axis, inner);
        Assertions.AllClose(expected, actual, 1e-5, 1e-5);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void SumMatchesItsTwin(int outer, int axis, int inner)
    {
        float[] x = Values(outer * axis * inner);
        float[] expected = new float[outer * inner], actual = new float[outer * inner];
        Reductions.Reference.Sum(x, expected, outer, axis, inner);
        Reductions.Sum(x, actual, outer, axis, inner);
        Assertions.AllClose(expected, actual, 1e-5, 1e-5);
    }

    [Fact]
    public void SoftmaxIsStableForHugeLogits()
    {
        float[] x = [1000f, 1001f, 999f, -1e30f];
        var y = new float[4];
        Softmax.Forward(x, y, 1, 4, 1);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(1f, y.Sum(), 5);
        Softmax.LogForward(x, y, 1, 4, 1);
        Assert.Equal(-1.4076059f, y[0], 4);
        var lse = new float[1];
        Softmax.LogSumExp(x, lse, 1, 4, 1);
        Assert.Equal(1001.4076f, lse[0], 2);
    }

    [Fact]
    public void MaxReturnsTheFirstIndexOfTiesAndTreatsNaNAsMaximum()
    {
        float[] x = [1f, 3f, 3f, 2f, float.NaN, 5f];
        var values = new float[2];
        var indices = new int[2];
        Reductions.Max(x, values, indices, 2, 3, 1);
        Assert.Equal(3f, values[0]);
        Assert.Equal(1, indices[0]);
        Assert.True(float.IsNaN(values[1]));
        Assert.Equal(1, indices[1]);
    }
}
