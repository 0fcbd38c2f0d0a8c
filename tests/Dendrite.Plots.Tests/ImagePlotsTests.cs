using SkiaSharp;

namespace Dendrite.Plots.Tests;

public sealed class ImagePlotsTests : IDisposable
{
    private readonly PlotDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>A 28x28 image whose value is <paramref name="f"/>(row, column).</summary>
    private static float[] Image(Func<int, int, float> f, int size = 28)
    {
        var image = new float[size * size];
        for (int row = 0; row < size; row++)
            for (int column = 0; column < size; column++) image[row * size + column] = f(row, column);
        return image;
    }

    private static double Brightness(SKColor color) => (color.Red + color.Green + color.Blue) / 3.0;

    /// <summary>The pixel at a fraction of the way across and down tile <paramref name="index"/>.</summary>
    private static SKColor Pixel(SKBitmap bitmap, ImageGridLayout layout, int index, double across, double down) =>
        bitmap.GetPixel(layout.TileX(index) + (int)(across * layout.TileWidth), layout.TileY(index) + (int)(down * layout.TileHeight));

    [Fact]
    public void A_10x10_grid_of_28x28_tiles_is_sized_to_the_grid_at_a_whole_scale()
    {
        string path = _directory.File("weights.png");
        var random = new Random(1);
        var images = Enumerable.Range(0, 100).Select(_ => Image((_, _) => (float)(random.NextDouble() - 0.5))).ToList();

        string written = ImagePlots.SaveGrid(path, images, 28, 28, columns: 10, symmetricColormap: true, title: "first-layer weights");

        var layout = ImageGridLayout.Compute(100, 28, 28, 10, hasCaptions: false, hasTitle: true, null, null);
        Assert.Equal(0, layout.TileWidth % 28); // whole screen pixels per data pixel: crisp
        Assert.True(layout.TileWidth >= 56, $"tiles of {layout.TileWidth} pixels are too small to read");
        PngAssert.IsPicture(written, path, layout.Width, layout.Height);
    }

    [Fact]
    public void Each_tile_follows_its_data()
    {
        string path = _directory.File("pattern.png");
        float[] brightLeft = Image((_, column) => column < 14 ? 1f : 0f);
        float[] brightTop = Image((row, _) => row < 14 ? 5f : -5f); // own range: the scale is per tile
        float[] ramp = Image((_, column) => column);

        ImagePlots.SaveGrid(path, [brightLeft, brightTop, ramp], 28, 28, columns: 2, captions: ["left", "top", "ramp"]);

        var layout = ImageGridLayout.Compute(3, 28, 28, 2, hasCaptions: true, hasTitle: false, null, null);
        using var bitmap = SKBitmap.Decode(path);
        Assert.Equal((layout.Width, layout.Height), (bitmap.Width, bitmap.Height));
        Assert.Equal(255, Brightness(Pixel(bitmap, layout, 0, 0.25, 0.5)));
        Assert.Equal(0, Brightness(Pixel(bitmap, layout, 0, 0.75, 0.5)));
        Assert.Equal(255, Brightness(Pixel(bitmap, layout, 1, 0.5, 0.25)));
        Assert.Equal(0, Brightness(Pixel(bitmap, layout, 1, 0.5, 0.75)));
        double previous = -1;
        foreach (double across in new[] { 0.05, 0.3, 0.6, 0.95 })
        {
            double brightness = Brightness(Pixel(bitmap, layout, 2, across, 0.5));
            Assert.True(brightness > previous, $"the ramp is not brighter at {across} of the way across");
            previous = brightness;
        }
    }

    [Fact]
    public void Every_data_pixel_is_one_uniform_block()
    {
        // A 4x4 checkerboard at a whole-number scale shows exactly two colours inside the tile.
        string path = _directory.File("checker.png");
        float[] checker = Image((row, column) => (row + column) % 2, size: 4);

        ImagePlots.SaveGrid(path, [checker], 4, 4, columns: 1, width: 200, height: 200);

        var layout = ImageGridLayout.Compute(1, 4, 4, 1, false, false, 200, 200);
        using var bitmap = SKBitmap.Decode(path);
        var colours = new HashSet<SKColor>();
        for (int y = 0; y < layout.TileHeight; y++)
            for (int x = 0; x < layout.TileWidth; x++)
                colours.Add(bitmap.GetPixel(layout.TileX(0) + x, layout.TileY(0) + y));
        Assert.Equal(2, colours.Count);
        Assert.Equal(0, layout.TileWidth % 4);
        int block = layout.TileWidth / 4;
        Assert.Equal(bitmap.GetPixel(layout.TileX(0), layout.TileY(0)), bitmap.GetPixel(layout.TileX(0) + block - 1, layout.TileY(0) + block - 1));
        Assert.NotEqual(bitmap.GetPixel(layout.TileX(0), layout.TileY(0)), bitmap.GetPixel(layout.TileX(0) + block, layout.TileY(0)));
    }

    [Fact]
    public void The_symmetric_colour_map_is_blue_below_zero_white_at_zero_red_above()
    {
        string path = _directory.File("diverging.png");
        float[] weights = Image((_, column) => column < 10 ? -0.3f : column < 18 ? 0f : 0.1f);

        ImagePlots.SaveGrid(path, [weights], 28, 28, columns: 1, symmetricColormap: true);

        var layout = ImageGridLayout.Compute(1, 28, 28, 1, false, false, null, null);
        using var bitmap = SKBitmap.Decode(path);
        var negative = Pixel(bitmap, layout, 0, 0.1, 0.5);
        var zero = Pixel(bitmap, layout, 0, 0.5, 0.5);
        var positive = Pixel(bitmap, layout, 0, 0.9, 0.5);
        Assert.True(negative.Blue > negative.Red + 100, $"negative weights drawn {negative}");
        Assert.True(zero.Red > 240 && zero.Green > 240 && zero.Blue > 240, $"zero drawn {zero}");
        // 0.1 against the tile's largest |w| of 0.3: a light red, not the full colour.
        Assert.True(positive.Red > positive.Blue + 20 && positive.Red > 200, $"positive weights drawn {positive}");
    }

    [Fact]
    public void A_tensor_of_images_and_a_requested_size()
    {
        string path = _directory.File("tensor-grid.png");
        var random = new Random(3);
        var values = new float[12 * 28 * 28];
        for (int i = 0; i < values.Length; i++) values[i] = (float)random.NextDouble();
        var batch = Tensor.FromArray(values, new Shape(12, 1, 28, 28));

        string written = ImagePlots.SaveGrid(path, batch, 28, 28, columns: 4, captions: [.. Enumerable.Range(0, 12).Select(i => $"unit {i} (a long caption)")],
            width: 640, height: 480);

        PngAssert.IsPicture(written, path, 640, 480);
    }

    [Fact]
    public void Images_of_the_wrong_size_are_refused()
    {
        string path = _directory.File("x.png");
        var error = Assert.Throws<ArgumentException>(() => ImagePlots.SaveGrid(path, [new float[784], new float[783]], 28, 28, 10));
        Assert.Contains("images[1] has 783 values", error.Message);
        var tensor = Assert.Throws<ArgumentException>(() => ImagePlots.SaveGrid(path, Tensor.FromArray(new float[20], new Shape(2, 10)), 28, 28, 10));
        Assert.Contains("[2, 10]", tensor.Message);
        Assert.False(File.Exists(path));
    }
}
