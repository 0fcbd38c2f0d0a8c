using Dendrite.Tensors;
using SkiaSharp;

namespace Dendrite.Plots;

/// <summary>
/// Grids of small images: input samples, the first layer's weights as 28x28 tiles, the inputs that
/// most excite chosen units. The pixels are written directly (nearest neighbour, a whole number of
/// screen pixels per data pixel), not resampled by a chart, so tiles stay crisp.
/// </summary>
public static class ImagePlots
{
    /// <summary>
    /// Draws each image as a tile, row-major, <paramref name="columns"/> per row, each normalised to its
    /// own range: grey levels from its minimum (black) to its maximum (white), or with
    /// <paramref name="symmetricColormap"/> a blue-white-red scale centred on zero (blue negative, red
    /// positive, white 0, full colour at the tile's largest |value|), which suits weights.
    /// </summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="images">Each image as imageHeight·imageWidth values, row-major. NaN or infinite values are drawn magenta.</param>
    /// <param name="imageHeight">Rows of each image.</param>
    /// <param name="imageWidth">Columns of each image.</param>
    /// <param name="columns">Tiles per row.</param>
    /// <param name="captions">One caption per image, written under it (shortened to fit), or null.</param>
    /// <param name="symmetricColormap">Use the diverging colour scale centred on zero.</param>
    /// <param name="title">A title above the grid, or null.</param>
    /// <param name="width">Image width in pixels; null (with <paramref name="height"/> null) sizes the image to the grid at a whole-number scale.</param>
    /// <param name="height">Image height in pixels; the grid is centred and scaled to fit.</param>
    /// <returns>The full path of the written PNG.</returns>
    public static string SaveGrid(string path, IReadOnlyList<float[]> images, int imageHeight, int imageWidth, int columns,
        IReadOnlyList<string>? captions = null, bool symmetricColormap = false, string? title = null, int? width = null, int? height = null)
    {
        const string Where = "ImagePlots.SaveGrid";
        Check.Path(Where, path);
        Check.NotEmpty(Where, nameof(images), images?.Count ?? 0);
        if (imageHeight < 1 || imageWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(imageHeight), $"{Where}: images of {imageHeight}x{imageWidth} pixels were announced; both sizes must be at least 1.");
        if (columns < 1)
            throw new ArgumentOutOfRangeException(nameof(columns), $"{Where}: columns is {columns}; pass at least 1.");
        for (int i = 0; i < images!.Count; i++)
            if (images[i] is null || images[i].Length != imageHeight * imageWidth)
                throw new ArgumentException(
                    $"{Where}: images[{i}] has {images[i]?.Length ?? 0} values but a {imageHeight}x{imageWidth} image has {imageHeight * imageWidth}.",
                    nameof(images));
        if (captions is not null) Check.SameLength(Where, nameof(images), images.Count, nameof(captions), captions.Count);

        var layout = ImageGridLayout.Compute(images.Count, imageHeight, imageWidth, columns, captions is not null, !string.IsNullOrEmpty(title), width, height);
        Check.Size(Where, layout.Width, layout.Height);

        using var bitmap = new SKBitmap(new SKImageInfo(layout.Width, layout.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var pixels = bitmap.GetPixelSpan();
        pixels.Fill(255); // opaque white
        for (int i = 0; i < images.Count; i++)
            DrawTile(pixels, layout, layout.TileX(i), layout.TileY(i), images[i], imageHeight, imageWidth, symmetricColormap);
        bitmap.NotifyPixelsChanged();

        using (var canvas = new SKCanvas(bitmap))
        {
            using var frame = new SKPaint { Color = new SKColor(190, 190, 190), Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
            for (int i = 0; i < images.Count; i++)
                canvas.DrawRect(layout.TileX(i) - 1.5f, layout.TileY(i) - 1.5f, layout.TileWidth + 2, layout.TileHeight + 2, frame);
            DrawText(canvas, layout, images.Count, captions, title);
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return PngFile.Write(path, data.ToArray());
    }

    /// <summary>The same, with the images in a tensor, e.g. a dense layer's weight [units, 784] or a batch [n, 1, 28, 28].</summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="images">Shape [n, ...] whose trailing dimensions hold imageHeight·imageWidth values per image.</param>
    /// <param name="imageHeight">Rows of each image.</param>
    /// <param name="imageWidth">Columns of each image.</param>
    /// <param name="columns">Tiles per row.</param>
    /// <param name="captions">One caption per image, or null.</param>
    /// <param name="symmetricColormap">Use the diverging colour scale centred on zero.</param>
    /// <param name="title">A title above the grid, or null.</param>
    /// <param name="width">Image width in pixels, or null for automatic.</param>
    /// <param name="height">Image height in pixels, or null for automatic.</param>
    /// <returns>The full path of the written PNG.</returns>
    public static string SaveGrid(string path, Tensor images, int imageHeight, int imageWidth, int columns,
        IReadOnlyList<string>? captions = null, bool symmetricColormap = false, string? title = null, int? width = null, int? height = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rank < 2 || images.Shape[0] == 0 || images.Count / images.Shape[0] != imageHeight * imageWidth)
            throw new ArgumentException(
                $"ImagePlots.SaveGrid: images has shape {images.Shape}; expected [n, ...] with {imageHeight}x{imageWidth} = {imageHeight * imageWidth} values per image, " +
                "e.g. [n, 784] or [n, 1, 28, 28] for 28x28.", nameof(images));
        float[] values = images.ToArray();
        int count = images.Shape[0], size = imageHeight * imageWidth;
        var list = new float[count][];
        for (int i = 0; i < count; i++) list[i] = values.AsSpan(i * size, size).ToArray();
        return SaveGrid(path, list, imageHeight, imageWidth, columns, captions, symmetricColormap, title, width, height);
    }

    /// <summary>Writes one tile's pixels, nearest neighbour from data to screen.</summary>
    private static void DrawTile(Span<byte> pixels, ImageGridLayout layout, int left, int top, float[] image,
        int imageHeight, int imageWidth, bool symmetric)
    {
        // The tile's own range, over its finite values.
        float minimum = float.PositiveInfinity, maximum = float.NegativeInfinity;
        foreach (float value in image)
            if (float.IsFinite(value))
            {
                minimum = Math.Min(minimum, value);
                maximum = Math.Max(maximum, value);
            }
        float largest = Math.Max(Math.Abs(minimum), Math.Abs(maximum));

        for (int y = 0; y < layout.TileHeight; y++)
        {
            int row = y * imageHeight / layout.TileHeight;
            int offset = ((top + y) * layout.Width + left) * 4;
            for (int x = 0; x < layout.TileWidth; x++)
            {
                float value = image[row * imageWidth + x * imageWidth / layout.TileWidth];
                var (r, g, b) = !float.IsFinite(value) ? ((byte)255, (byte)0, (byte)255)
                    : symmetric ? Diverging(largest > 0 ? value / largest : 0)
                    : Gray(maximum > minimum ? (value - minimum) / (maximum - minimum) : 0.5f);
                pixels[offset + 4 * x] = r;
                pixels[offset + 4 * x + 1] = g;
                pixels[offset + 4 * x + 2] = b;
                pixels[offset + 4 * x + 3] = 255;
            }
        }
    }

    private static (byte R, byte G, byte B) Gray(float t)
    {
        byte level = (byte)Math.Round(255 * Math.Clamp(t, 0, 1));
        return (level, level, level);
    }

    // ColorBrewer's RdBu, reversed so that negative is blue: from −1 through 0 (near white) to +1.
    private static readonly (float R, float G, float B)[] DivergingStops =
        [(33, 102, 172), (146, 197, 222), (247, 247, 247), (244, 165, 130), (178, 24, 43)];

    /// <summary>The diverging colour of <paramref name="t"/> in [−1, 1].</summary>
    internal static (byte R, byte G, byte B) Diverging(float t)
    {
        float position = (Math.Clamp(t, -1, 1) + 1) / 2 * (DivergingStops.Length - 1);
        int low = Math.Min((int)position, DivergingStops.Length - 2);
        float fraction = position - low;
        var (a, b) = (DivergingStops[low], DivergingStops[low + 1]);
        return ((byte)Math.Round(a.R + (b.R - a.R) * fraction), (byte)Math.Round(a.G + (b.G - a.G) * fraction), (byte)Math.Round(a.B + (b.B - a.B) * fraction));
    }

    private static void DrawText(SKCanvas canvas, ImageGridLayout layout, int count, IReadOnlyList<string>? captions, string? title)
    {
        if (Figure.FontFamily is not { } family) return; // no font installed: tiles only
        using var typeface = SKTypeface.FromFamilyName(family);
        using var boldTypeface = SKTypeface.FromFamilyName(family, SKFontStyle.Bold);
        using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };

        if (!string.IsNullOrEmpty(title))
        {
            using var titleFont = new SKFont(boldTypeface, 16);
            canvas.DrawText(title, layout.Width / 2f, layout.Top - layout.TitleHeight + 18, SKTextAlign.Center, titleFont, paint);
        }
        if (captions is null) return;
        using var font = new SKFont(typeface, 12);
        for (int i = 0; i < count; i++)
        {
            string caption = Shorten(captions[i] ?? "", font, layout.TileWidth + ImageGridLayout.Gap - 2);
            float centre = layout.TileX(i) + layout.TileWidth / 2f;
            canvas.DrawText(caption, centre, layout.TileY(i) + layout.TileHeight + 14, SKTextAlign.Center, font, paint);
        }
    }

    /// <summary>The caption, cut and ended with "…" if wider than <paramref name="maximumWidth"/> pixels.</summary>
    private static string Shorten(string caption, SKFont font, float maximumWidth)
    {
        if (font.MeasureText(caption) <= maximumWidth) return caption;
        for (int length = caption.Length - 1; length > 0; length--)
        {
            string candidate = caption[..length] + "…";
            if (font.MeasureText(candidate) <= maximumWidth) return candidate;
        }
        return "";
    }
}
