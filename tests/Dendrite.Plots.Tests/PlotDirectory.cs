namespace Dendrite.Plots.Tests;

/// <summary>
/// A fresh directory per test for the PNGs it writes, deleted afterwards. Set DENDRITE_PLOTS_OUT to a
/// directory to keep every test's PNGs there instead and look at them (tests that count the files in
/// their directory opt out with <c>private: true</c>).
/// </summary>
public sealed class PlotDirectory : IDisposable
{
    private readonly bool _keep;

    public PlotDirectory(bool @private = false)
    {
        string? keep = @private ? null : Environment.GetEnvironmentVariable("DENDRITE_PLOTS_OUT");
        _keep = !string.IsNullOrEmpty(keep);
        Path = _keep
            ? System.IO.Path.GetFullPath(keep!)
            : System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dendrite-plots-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (!_keep && Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
