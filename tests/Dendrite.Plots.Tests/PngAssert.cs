namespace Dendrite.Plots.Tests;

internal static class PngAssert
{
    /// <summary>
    /// The file exists where the plot function said, has the requested size, and shows something:
    /// more than a few colours (anti-aliased lines and text make many) and a meaningful share of
    /// pixels off the background.
    /// </summary>
    public static PngInfo IsPicture(string returnedPath, string requestedPath, int width, int height)
    {
        Assert.Equal(Path.GetFullPath(requestedPath), returnedPath);
        Assert.True(File.Exists(returnedPath), $"{returnedPath} was not written");
        var info = PngInfo.Read(returnedPath);
        Assert.Equal((width, height), (info.Width, info.Height));
        Assert.False(info.IsBlank, $"{returnedPath} is blank: {info}");
        Assert.True(info.DistinctColors > 8, $"{returnedPath} has only {info.DistinctColors} colours");
        Assert.True(info.NonBackgroundFraction > 0.02, $"{returnedPath} is {info.NonBackgroundFraction:P1} non-background");
        return info;
    }
}
