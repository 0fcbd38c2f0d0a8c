using System.Globalization;

namespace Dendrite.Tests.Support;

public static class Assertions
{
    /// <summary>numpy.allclose: |actual − expected| ≤ atol + rtol·|expected| element-wise, with the worst element named on failure.</summary>
    public static void AllClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol = 1e-4, double atol = 1e-5, string what = "values")
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} elements, got {actual.Length}.");
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            if (double.IsInfinity(e) && e == a) continue;
            double excess = Math.Abs(a - e) - (atol + rtol * Math.Abs(e));
            if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess)))
            {
                worst = i;
                worstExcess = double.IsNaN(excess) ? double.PositiveInfinity : excess;
            }
        }
        if (worst >= 0)
            Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                $"{what}: element {worst} is {actual[worst]:G9} but expected {expected[worst]:G9} (rtol {rtol}, atol {atol})."));
    }

    public static void AllClose(Tensor expected, Tensor actual, double rtol = 1e-4, double atol = 1e-5, string what = "values")
    {
        Assert.Equal(expected.Shape, actual.Shape);
        AllClose(expected.ToArray(), actual.ToArray(), rtol, atol, what);
    }
}
