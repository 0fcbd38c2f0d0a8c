namespace Dendrite.Plots.Tests;

public sealed class FontTests
{
    [Fact]
    public void A_sans_serif_font_is_installed_for_the_labels()
    {
        // Without one, plots still render but with no text at all. SkiaSharp's Linux build reads
        // /usr/share/fonts; on Debian: apt-get install -y fonts-dejavu-core.
        Assert.True(Figure.FontFamily is not null,
            "No sans-serif font found under /usr/share/fonts: plots would have no titles, labels or legends. Install one: apt-get install -y fonts-dejavu-core");
    }
}
