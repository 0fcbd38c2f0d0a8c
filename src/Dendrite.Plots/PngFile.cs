using Dendrite.IO;

namespace Dendrite.Plots;

/// <summary>
/// Writes encoded PNG bytes so that a reader (an image viewer, a CI artefact upload, a test) sees
/// either the previous picture or the new one, never half a file.
/// </summary>
/// <remarks>
/// The core's <see cref="AtomicFile"/> does the work, as for checkpoints: the bytes go to a hidden
/// temporary file in the target's directory (<c>.{name}.{guid}.tmp</c>), which is then renamed over
/// the target; if anything fails, the temporary file is deleted and the target keeps its contents.
/// </remarks>
internal static class PngFile
{
    /// <summary>Writes <paramref name="png"/> to <paramref name="path"/>, creating its directory if needed.</summary>
    /// <returns>The full path written.</returns>
    public static string Write(string path, byte[] png)
    {
        string fullPath = Path.GetFullPath(path);
        if (Path.GetDirectoryName(fullPath) is { } directory) Directory.CreateDirectory(directory);
        AtomicFile.WriteAllBytes(fullPath, png);
        return fullPath;
    }
}
