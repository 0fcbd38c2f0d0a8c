using Dendrite.Tensors;

namespace Dendrite.Data;

/// <summary>
/// Random changes to training images that keep their label (the seeds' "rotate, scale, drop pixels",
/// "mirror images"): shifts, small rotations, horizontal flips, random erasing, pixel dropout and
/// Gaussian noise. Works on batches of [N, C, H, W] (or [N, H·W] square single-channel) images; pass
/// <see cref="Apply"/> as the data loader's transform. Its own generator makes it deterministic
/// under the seed, whatever the prefetching.
/// </summary>
public sealed class ImageAugmentation
{
    private readonly RandomGenerator _generator;

    /// <summary>Creates the augmentation; every effect is off unless set.</summary>
    /// <param name="seed">Seeds the augmentation's own random generator.</param>
    public ImageAugmentation(long seed = 0) => _generator = new RandomGenerator(seed);

    /// <summary>Largest shift in pixels, in each direction (uniform integer shift in [−s, s]; vacated pixels are 0).</summary>
    public int MaxShift { get; init; }

    /// <summary>Largest rotation in degrees (uniform in [−θ, θ], bilinear, about the image centre).</summary>
    public float MaxRotationDegrees { get; init; }

    /// <summary>Probability of mirroring an image left to right (off for digits and letters, whose mirror images are other symbols).</summary>
    public float HorizontalFlipProbability { get; init; }

    /// <summary>Probability of erasing one random rectangle (Zhong et al. 2017) covering 2%–20% of the image, filled with 0.</summary>
    public float EraseProbability { get; init; }

    /// <summary>Probability that each pixel is set to 0 (pixel dropout).</summary>
    public float PixelDropout { get; init; }

    /// <summary>Standard deviation of additive Gaussian noise (0 for none).</summary>
    public float NoiseStandardDeviation { get; init; }

    /// <summary>The generator's state (for checkpoints of runs that augment).</summary>
    public RandomGeneratorState State
    {
        get => _generator.GetState();
        set => _generator.SetState(value);
    }

    /// <summary>A new batch with augmented copies of the images; the targets and indices are unchanged.</summary>
    public Batch Apply(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Tensor features = batch.Features;
        int count = features.Shape[0];
        var (channels, height, width) = ImageGeometry(features.Shape);
        float[] data = features.ToArray();
        int plane = height * width, image = channels * plane;
        var scratch = new float[plane];
        for (int n = 0; n < count; n++)
        {
            Span<float> pixels = data.AsSpan(n * image, image);
            int shiftY = MaxShift > 0 ? _generator.NextInt(-MaxShift, MaxShift + 1) : 0;
            int shiftX = MaxShift > 0 ? _generator.NextInt(-MaxShift, MaxShift + 1) : 0;
            float angle = MaxRotationDegrees > 0 ? (2f * _generator.NextFloat() - 1f) * MaxRotationDegrees * MathF.PI / 180f : 0f;
            bool flip = HorizontalFlipProbability > 0 && _generator.NextFloat() < HorizontalFlipProbability;
            for (int c = 0; c < channels; c++)
            {
                Span<float> p = pixels.Slice(c * plane, plane);
                if (angle != 0f || shiftX != 0 || shiftY != 0 || flip)
                {
                    p.CopyTo(scratch);
                    Warp(scratch, p, height, width, angle, shiftY, shiftX, flip);
                }
            }
            if (EraseProbability > 0 && _generator.NextFloat() < EraseProbability) Erase(pixels, channels, height, width);
            if (PixelDropout > 0)
                for (int i = 0; i < plane; i++)
                    if (_generator.NextFloat() < PixelDropout)
                        for (int c = 0; c < channels; c++) pixels[c * plane + i] = 0f;
            if (NoiseStandardDeviation > 0)
                for (int i = 0; i < pixels.Length; i++) pixels[i] += NoiseStandardDeviation * _generator.NextNormal();
        }
        return batch with { Features = Tensor.FromArray(data, features.Shape) };
    }

    /// <summary>Output pixel (y, x) reads the source at the inverse rotation and shift, bilinearly, 0 outside.</summary>
    private static void Warp(ReadOnlySpan<float> source, Span<float> target, int height, int width, float angle, int shiftY, int shiftX, bool flip)
    {
        float cos = MathF.Cos(angle), sin = MathF.Sin(angle);
        float cy = (height - 1) / 2f, cx = (width - 1) / 2f;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                // Undo the flip, then the shift, then the rotation (the inverse of rotating by θ is rotating by −θ).
                float dy = y - shiftY - cy, dx = (flip ? width - 1 - x : x) - shiftX - cx;
                float sy = cos * dy + sin * dx + cy, sx = -sin * dy + cos * dx + cx;
                target[y * width + x] = Bilinear(source, height, width, sy, sx);
            }
    }

    private static float Bilinear(ReadOnlySpan<float> source, int height, int width, float y, float x)
    {
        int y0 = (int)MathF.Floor(y), x0 = (int)MathF.Floor(x);
        float fy = y - y0, fx = x - x0;
        return (1 - fy) * ((1 - fx) * Pixel(source, height, width, y0, x0) + fx * Pixel(source, height, width, y0, x0 + 1))
            + fy * ((1 - fx) * Pixel(source, height, width, y0 + 1, x0) + fx * Pixel(source, height, width, y0 + 1, x0 + 1));
    }

    private static float Pixel(ReadOnlySpan<float> source, int height, int width, int y, int x) =>
        (uint)y < (uint)height && (uint)x < (uint)width ? source[y * width + x] : 0f;

    private void Erase(Span<float> pixels, int channels, int height, int width)
    {
        double area = height * width * (0.02 + 0.18 * _generator.NextDouble());
        double aspect = Math.Exp((2 * _generator.NextDouble() - 1) * Math.Log(3));
        int h = Math.Clamp((int)Math.Round(Math.Sqrt(area * aspect)), 1, height);
        int w = Math.Clamp((int)Math.Round(Math.Sqrt(area / aspect)), 1, width);
        int top = _generator.NextInt(height - h + 1), left = _generator.NextInt(width - w + 1);
        for (int c = 0; c < channels; c++)
            for (int y = top; y < top + h; y++)
                pixels.Slice(c * height * width + y * width + left, w).Clear();
    }

    private static (int Channels, int Height, int Width) ImageGeometry(Shape shape)
    {
        if (shape.Rank == 4) return (shape[1], shape[2], shape[3]);
        if (shape.Rank == 3) return (1, shape[1], shape[2]);
        if (shape.Rank == 2)
        {
            int side = (int)Math.Round(Math.Sqrt(shape[1]));
            if (side * side == shape[1]) return (1, side, side);
        }
        throw new ShapeMismatchException($"ImageAugmentation needs images [N, C, H, W], [N, H, W] or square flat images [N, H·W]; got {shape}.");
    }
}
