using System.Text;

namespace Dendrite.IO;

/// <summary>
/// Writes a file so that readers see either the previous contents or the new ones, never a mix:
/// the bytes go to a temporary file beside the target, are flushed to disk, and the temporary file
/// is then renamed over the target (a rename within one directory is atomic on the file systems
/// .NET runs on).
/// </summary>
/// <remarks>
/// If anything fails before the rename (the writer throws, the disk is full, the flush fails), the
/// temporary file is deleted, the exception propagates, and the target keeps its previous contents.
/// A process killed between the write and the rename may leave a stale hidden temporary file
/// (<c>.{name}.{guid}.tmp</c>) beside the target; nothing reads those, and they can be deleted.
/// The directory entry itself is not fsynced (.NET has no portable way to open a directory), so
/// after a power loss right after the rename a file system may still show the previous file, but
/// never a half-written one.
/// </remarks>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8WithoutBom = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Per async flow (and so per test), never process-wide: tests running in parallel do not see each other's hook.
    private static readonly AsyncLocal<Action<string>?> BeforeRenameHook = new();

    /// <summary>
    /// Creates or replaces the file at <paramref name="path"/> with what <paramref name="write"/>
    /// writes to the stream it is given.
    /// </summary>
    /// <param name="path">The target file; its directory must exist.</param>
    /// <param name="write">
    /// Writes the whole contents. The stream is a fresh file stream positioned at 0; do not dispose it.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or names a directory.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string fullPath = Path.GetFullPath(path);
        string fileName = Path.GetFileName(fullPath);
        string? directory = Path.GetDirectoryName(fullPath);
        if (fileName.Length == 0 || directory is null)
            throw new ArgumentException($"AtomicFile.Write: '{path}' names a directory, not a file.", nameof(path));

        // Same directory as the target, so that the rename never crosses file systems (which would
        // turn it into a non-atomic copy). The name is kept short enough for a 255-byte name limit.
        string stem = fileName.Length > 100 ? fileName[..100] : fileName;
        string temporaryPath = Path.Combine(directory, $".{stem}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            BeforeRenameHook.Value?.Invoke(temporaryPath);
            File.Move(temporaryPath, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporaryPath);
            throw;
        }
    }

    /// <summary>Creates or replaces the file at <paramref name="path"/> with <paramref name="bytes"/>, atomically (see <see cref="Write"/>).</summary>
    /// <param name="path">The target file; its directory must exist.</param>
    /// <param name="bytes">The whole new contents.</param>
    public static void WriteAllBytes(string path, ReadOnlyMemory<byte> bytes) =>
        Write(path, stream => stream.Write(bytes.Span));

    /// <summary>Creates or replaces the file at <paramref name="path"/> with <paramref name="contents"/> as UTF-8 without a byte-order mark, atomically (see <see cref="Write"/>).</summary>
    /// <param name="path">The target file; its directory must exist.</param>
    /// <param name="contents">The whole new text.</param>
    public static void WriteAllText(string path, string contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        WriteAllBytes(path, Utf8WithoutBom.GetBytes(contents));
    }

    /// <summary>
    /// Test hook: until the returned scope is disposed, every <see cref="Write"/> on the calling flow
    /// calls <paramref name="beforeRename"/> with the temporary file's path after that file is written
    /// and flushed and before it is renamed over the target. A hook that throws simulates a crash there.
    /// </summary>
    internal static IDisposable InterceptBeforeRename(Action<string> beforeRename)
    {
        var scope = new HookScope(BeforeRenameHook.Value);
        BeforeRenameHook.Value = beforeRename;
        return scope;
    }

    private sealed class HookScope(Action<string>? previous) : IDisposable
    {
        public void Dispose() => BeforeRenameHook.Value = previous;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original exception matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
