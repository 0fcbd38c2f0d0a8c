using SkiaSharp;

namespace Dendrite.Plots.Tests;

public sealed class PngInfoTests : IDisposable
{
    private readonly PlotDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string WritePng(string name, int width, int height, Action<SKCanvas> draw)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            draw(canvas);
        }
        string path = _directory.File(name);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    [Fact]
    public void A_white_image_is_blank()
    {
        var info = PngInfo.Read(WritePng("white.png", 120, 80, _ => { }));

        Assert.Equal((120, 80, 1), (info.Width, info.Height, info.DistinctColors));
        Assert.Equal(0xFFFFFFFFu, info.BackgroundArgb);
        Assert.True(info.IsBlank);
    }

    [Fact]
    public void A_drawn_image_is_not_blank()
    {
        using var paint = new SKPaint { Color = SKColors.Blue };
        var info = PngInfo.Read(WritePng("square.png", 100, 100, canvas => canvas.DrawRect(10, 10, 50, 50, paint)));

        Assert.Equal(2, info.DistinctColors);
        Assert.Equal(0.25, info.NonBackgroundFraction, 6);
        Assert.True(info.IsBlank); // two colours: a flat shape, not a plot
    }

    [Fact]
    public void A_file_that_is_not_a_png_or_is_missing_is_reported()
    {
        string text = _directory.File("not.png");
        File.WriteAllText(text, "hello");

        Assert.Contains("PNG signature", Assert.Throws<InvalidDataException>(() => PngInfo.Read(text)).Message);
        Assert.Throws<FileNotFoundException>(() => PngInfo.Read(_directory.File("missing.png")));
    }
}
