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
    };

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
