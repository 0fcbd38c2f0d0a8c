using Dendrite.Data;

namespace Dendrite.Tests.Data;

public class ImageAugmentationTests
{
    private static Batch OneImage(float[] pixels, int side) =>
        new(Tensor.FromArray(pixels, new Shape(1, 1, side, side)), Tensor.From(0f), 0);

    private static float[] Dot(int side, int y, int x)
    {
        var pixels = new float[side * side];
        pixels[y * side + x] = 1f;
        return pixels;
    }

    [Fact]
    public void ShiftsMoveFlipsMirrorAndNothingChangesWhenAllIsOff()
    {
        float[] image = Dot(7, 2, 1);
        Assert.Equal(image, new ImageAugmentation(1).Apply(OneImage(image, 7)).Features.ToArray());
        float[] flipped = new ImageAugmentation(1) { HorizontalFlipProbability = 1f }.Apply(OneImage(image, 7)).Features.ToArray();
        Assert.Equal(Dot(7, 2, 5), flipped);
        float[] centre = Dot(7, 3, 3);
        var seen = new HashSet<int>();
        for (int seed = 0; seed < 40; seed++)
        {
            float[] shifted = new ImageAugmentation(seed) { MaxShift = 2 }.Apply(OneImage(centre, 7)).Features.ToArray();
            int at = Array.IndexOf(shifted, 1f);
            Assert.True(at >= 0 && shifted.Sum() == 1f, "a shift moves the dot by whole pixels");
            Assert.InRange(Math.Abs(at / 7 - 3), 0, 2);
            Assert.InRange(Math.Abs(at % 7 - 3), 0, 2);
            seen.Add(at);
        }
        Assert.True(seen.Count > 10, "shifts vary");
    }

    [Fact]
    public void RotationTurnsAboutTheCentreAndKeepsTheMass()
    {
        var image = new float[15 * 15];
        for (int y = 3; y < 12; y++) image[y * 15 + 7] = 1f; // a vertical bar through the centre
        float[] turned = new ImageAugmentation(3) { MaxRotationDegrees = 30f }.Apply(OneImage(image, 15)).Features.ToArray();
        Assert.Equal(1f, turned[7 * 15 + 7], 3);
        Assert.Equal(image.Sum(), turned.Sum(), 1.0);
        Assert.NotEqual(image, turned);
    }

    [Fact]
    public void ErasingAndDropoutZeroPixelsAndNoiseHasItsDeviation()
    {
        var white = Enumerable.Repeat(1f, 28 * 28).ToArray();
        float[] erased = new ImageAugmentation(5) { EraseProbability = 1f }.Apply(OneImage(white, 28)).Features.ToArray();
        int zeros = erased.Count(v => v == 0f);
        Assert.InRange(zeros, 1, 28 * 28 / 4);
        float[] dropped = new ImageAugmentation(6) { PixelDropout = 0.3f }.Apply(OneImage(white, 28)).Features.ToArray();
        Assert.InRange(dropped.Count(v => v == 0f) / (28.0 * 28), 0.24, 0.36);
        float[] noisy = new ImageAugmentation(7) { NoiseStandardDeviation = 0.1f }.Apply(OneImage(white, 28)).Features.ToArray();
        Assert.Equal(0.1, Math.Sqrt(noisy.Select(v => (v - 1.0) * (v - 1.0)).Average()), 0.02);
    }

    [Fact]
    public void TheSameSeedGivesTheSameAugmentationsWithOrWithoutPrefetch()
    {
        Dataset digits = Datasets.Digits(asImages: true);
        float[] Run(bool prefetch)
        {
            var augmentation = new ImageAugmentation(11) { MaxShift = 1, MaxRotationDegrees = 10, EraseProbability = 0.5f, NoiseStandardDeviation = 0.05f };
            var loader = new DataLoader(digits, 64, generator: new RandomGenerator(2), prefetch: prefetch, transform: augmentation.Apply);
            return loader.SelectMany(b => b.Features.ToArray()).ToArray();
        }
        Assert.Equal(Run(true), Run(false));
    }

    [Fact]
    public void NonImagesAreRejected()
    {
        var error = Assert.Throws<ShapeMismatchException>(() => new ImageAugmentation().Apply(new Batch(Tensor.Zeros([2, 10]), Tensor.From(0f, 1f), 0)));
        Assert.Contains("[2, 10]", error.Message);
    }
}
