namespace Dendrite.Plots;

/// <summary>
/// Writes encoded PNG bytes so that a reader (an image viewer, a CI artefact upload, a test) sees
/// either the previous picture or the new one, never half a file: the bytes go to a hidden temporary
/// file in the target's directory and are then renamed over the target.
/// </summary>
/// <remarks>
/// The same scheme as the core's checkpoints use. The temporary file sits in the same directory so
/// that the rename never crosses file systems (which would turn it into a non-atomic copy). If the
/// write fails, the temporary file is deleted and the target keeps its previous contents.
/// </remarks>
internal static class PngFile
{
    /// <summary>Prefix and suffix of the temporary files, so that tests can look for leftovers.</summary>
    internal const string TemporaryPrefix = ".";
    internal const string TemporarySuffix = ".tmp";

    /// <summary>Writes <paramref name="png"/> to <paramref name="path"/>, creating its directory if needed.</summary>
    /// <returns>The full path written.</returns>
    public static string Write(string path, byte[] png)
    {
        string fullPath = Path.GetFullPath(path);
        string fileName = Path.GetFileName(fullPath);
        string directory = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"'{path}' names a root directory, not a file.", nameof(path));
        Directory.CreateDirectory(directory);

        // Short enough for a 255-byte name limit whatever the target's name.
        string stem = fileName.Length > 100 ? fileName[..100] : fileName;
        string temporaryPath = Path.Combine(directory, $"{TemporaryPrefix}{stem}.{Guid.NewGuid():N}{TemporarySuffix}");
        try
        {
            using (var stream = new FileStream(temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(png);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporaryPath, fullPath, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporaryPath); }
            catch (IOException) { } // the original exception matters more than a leftover temporary file
            catch (UnauthorizedAccessException) { }
            throw;
        }
        return fullPath;
    }
}
