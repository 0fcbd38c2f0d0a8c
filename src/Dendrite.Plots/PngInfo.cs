using SkiaSharp;

namespace Dendrite.Plots;

/// <summary>
/// What a PNG file holds, read back for tests and smoke checks: its size, how many colours it uses,
/// and how much of it differs from its background. Lets a test of any plotting code assert "exists,
/// has the expected size, and is not blank" in one line.
/// </summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="DistinctColors">Number of distinct RGBA colours.</param>
/// <param name="BackgroundArgb">The most frequent colour, taken as the background, as 0xAARRGGBB.</param>
/// <param name="NonBackgroundFraction">Share of pixels whose colour differs from <paramref name="BackgroundArgb"/>.</param>
public sealed record PngInfo(int Width, int Height, int DistinctColors, uint BackgroundArgb, double NonBackgroundFraction)
{
    /// <summary>
    /// True when the picture shows (almost) nothing: at most two colours, or fewer than 0.5% of its
    /// pixels off the background. A chart with axes and one line already exceeds both.
    /// </summary>
    public bool IsBlank => DistinctColors <= 2 || NonBackgroundFraction < 0.005;

    /// <summary>Decodes the PNG at <paramref name="path"/> and counts its colours.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a PNG, or cannot be decoded.</exception>
    public static PngInfo Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"PngInfo.Read: there is no file at '{path}'.", path);
        byte[] bytes = File.ReadAllBytes(path);
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (!bytes.AsSpan().StartsWith(signature))
            throw new InvalidDataException($"PngInfo.Read: '{path}' does not start with the PNG signature ({bytes.Length} bytes).");

        using var bitmap = SKBitmap.Decode(bytes)
            ?? throw new InvalidDataException($"PngInfo.Read: '{path}' has a PNG signature but could not be decoded.");
        var counts = new Dictionary<uint, int>();
        foreach (var color in bitmap.Pixels)
        {
            uint key = (uint)color; // SKColor is 0xAARRGGBB
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        var (background, backgroundCount) = counts.MaxBy(pair => pair.Value);
        int total = bitmap.Width * bitmap.Height;
        return new PngInfo(bitmap.Width, bitmap.Height, counts.Count, background,
            total == 0 ? 0 : 1 - (double)backgroundCount / total);
    }
}
