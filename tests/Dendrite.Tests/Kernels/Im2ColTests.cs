using Dendrite.Kernels;

namespace Dendrite.Tests.Kernels;

public class Im2ColTests
{
    public static TheoryData<ConvolutionGeometry> Geometries() => new()
    {
        new(2, 5, 6, 3, 3),
        new(1, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1),
        new(3, 6, 5, 2, 3, 1, 2, 0, 1, 2, 0),
        new(2, 9, 9, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2),
        new(1, 4, 4, 5, 5, 1, 1, 2, 2, 2, 2),
        new(4, 3, 8, 1, 1, 3, 3),
        new(1, 28, 28, 5, 5, 1, 1, 2, 2, 2, 2),
        new(6, 14, 14, 5, 5),
        new(2, 5, 40, 3, 3, 1, 1, 1, 1, 1, 1),
        new(1, 6, 37, 3, 4, 1, 1, 0, 2, 3, 1, 1, 2),
        new(2, 3, 17, 1, 1),
        new(1, 4, 33, 2, 2, 2, 2, 1, 0, 0, 1),
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void WideUnfoldAndFoldMatchOneImageAtATime(ConvolutionGeometry g)
    {
        // Three images side by side in a [K, 3·P + 5] matrix; image 1 at column offset P + 2.
        var generator = new RandomGenerator(g.GetHashCode() + 1);
        int pixels = g.OutputPixels, rowStride = 3 * pixels + 5, offset = pixels + 2;
        float[] image = new float[g.Channels * g.Height * g.Width];
        generator.FillNormal(image);
        float[] single = new float[g.PatchSize * pixels];
        Im2Col.UnfoldReference(g, image, single);
        float[] wide = new float[g.PatchSize * rowStride];
        wide.AsSpan().Fill(7f);
        Im2Col.Unfold(g, image, wide, rowStride, offset);
        for (int row = 0; row < g.PatchSize; row++)
        {
            Assert.Equal(single.AsSpan(row * pixels, pixels).ToArray(), wide.AsSpan(row * rowStride + offset, pixels).ToArray());
            // Nothing outside the image's columns was touched.
            Assert.All(wide.AsSpan(row * rowStride, offset).ToArray(), v => Assert.Equal(7f, v));
            Assert.All(wide.AsSpan(row * rowStride + offset + pixels, rowStride - offset - pixels).ToArray(), v => Assert.Equal(7f, v));
        }

        // Folding the wide columns back gives the same as folding the single image's, added or written.
        generator.FillNormal(wide);
        for (int row = 0; row < g.PatchSize; row++) wide.AsSpan(row * rowStride + offset, pixels).CopyTo(single.AsSpan(row * pixels, pixels));
        float[] start = new float[image.Length];
        generator.FillNormal(start);
        float[] expected = (float[])start.Clone(), added = (float[])start.Clone(), written = (float[])start.Clone(), zero = new float[image.Length];
        Im2Col.FoldAdd(g, single, zero);
        Im2Col.FoldAdd(g, wide, rowStride, offset, added);
        Im2Col.Fold(g, wide, rowStride, offset, written, accumulate: false);
        for (int i = 0; i < expected.Length; i++) expected[i] += zero[i];
        Assert.Equal(zero, written);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], added[i], 1e-5f);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void UnfoldMatchesItsTwinAndFoldIsItsAdjoint(ConvolutionGeometry g)
    {
        var generator = new RandomGenerator(g.GetHashCode());
        float[] image = new float[g.Channels * g.Height * g.Width];
        generator.FillNormal(image);
        float[] expected = new float[g.PatchSize * g.OutputPixels], actual = new float[expected.Length];
        Im2Col.UnfoldReference(g, image, expected);
        Im2Col.Unfold(g, image, actual);
        Assert.Equal(expected, actual);

        // <unfold(x), c> = <x, fold(c)> for random x, c: FoldAdd is Unfold's transpose.
        float[] columns = new float[expected.Length];
        generator.FillNormal(columns);
        float[] folded = new float[image.Length];
        Im2Col.FoldAdd(g, columns, folded);
        double left = 0, right = 0;
        for (int i = 0; i < columns.Length; i++) left += (double)actual[i] * columns[i];
        for (int i = 0; i < image.Length; i++) right += (double)image[i] * folded[i];
        Assert.Equal(left, right, 1e-3);
    }
}
