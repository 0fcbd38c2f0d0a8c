namespace Dendrite.Plots;

/// <summary>
/// Where each tile of an image grid goes. Tiles are scaled by a whole number of screen pixels per
/// data pixel whenever they are at least data-sized, so that every data pixel is the same square
/// block and a 28x28 tile stays crisp.
/// </summary>
/// <param name="Width">Canvas width in pixels.</param>
/// <param name="Height">Canvas height in pixels.</param>
/// <param name="Columns">Tiles per row.</param>
/// <param name="Rows">Rows of tiles.</param>
/// <param name="TileWidth">Width of one tile in pixels.</param>
/// <param name="TileHeight">Height of one tile in pixels.</param>
/// <param name="Left">x of the first tile's left edge.</param>
/// <param name="Top">y of the first tile's top edge.</param>
/// <param name="TitleHeight">Height of the title band above the grid (0 without a title).</param>
/// <param name="CaptionHeight">Height of the caption band under each tile (0 without captions).</param>
internal sealed record ImageGridLayout(int Width, int Height, int Columns, int Rows, int TileWidth, int TileHeight,
    int Left, int Top, int TitleHeight, int CaptionHeight)
{
    /// <summary>Space between neighbouring tiles; the tile's frame is drawn in it.</summary>
    public const int Gap = 6;
    public const int Margin = 10;
    public const int TitleBand = 30;
    public const int CaptionBand = 18;

    /// <summary>Automatic sizes aim for a grid about this big.</summary>
    private const int TargetWidth = 900, TargetHeight = 1200;
    /// <summary>Largest automatic magnification (an 8x8 digit becomes 128x128).</summary>
    private const int MaximumScale = 16;

    /// <summary>Left edge of tile <paramref name="index"/> (row-major).</summary>
    public int TileX(int index) => Left + index % Columns * (TileWidth + Gap);

    /// <summary>Top edge of tile <paramref name="index"/> (row-major).</summary>
    public int TileY(int index) => Top + index / Columns * (TileHeight + CaptionHeight + Gap);

    /// <summary>Lays out <paramref name="count"/> tiles of imageHeight x imageWidth data pixels.</summary>
    /// <param name="count">Number of tiles.</param>
    /// <param name="imageHeight">Data rows per tile.</param>
    /// <param name="imageWidth">Data columns per tile.</param>
    /// <param name="columns">Tiles per row (fewer when there are fewer tiles).</param>
    /// <param name="hasCaptions">Whether to leave a caption band under each tile.</param>
    /// <param name="hasTitle">Whether to leave a title band above the grid.</param>
    /// <param name="width">Canvas width, or null to fit the grid at a whole-number scale.</param>
    /// <param name="height">Canvas height, or null to fit the grid at a whole-number scale.</param>
    public static ImageGridLayout Compute(int count, int imageHeight, int imageWidth, int columns, bool hasCaptions, bool hasTitle,
        int? width, int? height)
    {
        columns = Math.Min(columns, count);
        int rows = (count + columns - 1) / columns;
        int titleHeight = hasTitle ? TitleBand : 0;
        int captionHeight = hasCaptions ? CaptionBand : 0;
        // Everything that is not a tile: margins, gaps, the title and the captions.
        int fixedWidth = 2 * Margin + (columns - 1) * Gap;
        int fixedHeight = 2 * Margin + titleHeight + rows * captionHeight + (rows - 1) * Gap;

        int tileWidth, tileHeight;
        if (width is null && height is null)
        {
            int scale = Math.Min(TargetWidth / (columns * imageWidth), TargetHeight / (rows * imageHeight));
            scale = Math.Clamp(scale, 1, MaximumScale);
            (tileWidth, tileHeight) = (imageWidth * scale, imageHeight * scale);
        }
        else
        {
            double fitWidth = width is { } w ? (double)(w - fixedWidth) / columns / imageWidth : double.PositiveInfinity;
            double fitHeight = height is { } h ? (double)(h - fixedHeight) / rows / imageHeight : double.PositiveInfinity;
            double fit = Math.Min(fitWidth, fitHeight);
            // Whole multiples when there is room for one; otherwise shrink (unevenly, but it fits).
            double scale = fit >= 1 ? Math.Floor(fit) : fit;
            (tileWidth, tileHeight) = ((int)(imageWidth * scale), (int)(imageHeight * scale));
            if (tileWidth < 1 || tileHeight < 1)
                throw new ArgumentOutOfRangeException(nameof(width),
                    $"ImagePlots.SaveGrid: {count} tiles in {columns} columns do not fit in {width?.ToString() ?? "any"}x{height?.ToString() ?? "any"} pixels; make the image larger or pass fewer tiles.");
        }

        int gridWidth = fixedWidth + columns * tileWidth;
        int gridHeight = fixedHeight + rows * tileHeight;
        int canvasWidth = width ?? gridWidth;
        int canvasHeight = height ?? gridHeight;
        // Centred in a canvas of the requested size.
        int left = Margin + (canvasWidth - gridWidth) / 2;
        int top = Margin + titleHeight + (canvasHeight - gridHeight) / 2;
        return new ImageGridLayout(canvasWidth, canvasHeight, columns, rows, tileWidth, tileHeight, left, top, titleHeight, captionHeight);
    }
}
