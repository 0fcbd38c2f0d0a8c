using System.Text;
using Dendrite.IO;

namespace Dendrite.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dendrite-atomic-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private string[] LeftoverTemporaryFiles() => Directory.GetFiles(_directory, "*.tmp");

    [Fact]
    public void WriteCreatesTheFileWithWhatTheWriterWrote()
    {
        string path = PathOf("new.bin");
        AtomicFile.Write(path, stream => stream.Write([1, 2, 3]));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Empty(LeftoverTemporaryFiles());
    }

    [Fact]
    public void WriteReplacesAnExistingFileWhole()
    {
        string path = PathOf("replace.bin");
        File.WriteAllBytes(path, new byte[1000]);
        AtomicFile.WriteAllBytes(path, new byte[] { 7, 8 });
        Assert.Equal([7, 8], File.ReadAllBytes(path));
        Assert.Empty(LeftoverTemporaryFiles());
    }

    [Fact]
    public void WriteAllTextWritesUtf8WithoutAByteOrderMark()
    {
        string path = PathOf("text.json");
        AtomicFile.WriteAllText(path, "{\"é\":1}");
        Assert.Equal(Encoding.UTF8.GetBytes("{\"é\":1}"), File.ReadAllBytes(path));
    }

    [Fact]
    public void AnExceptionFromTheWriterLeavesThePreviousFileAndNoTemporaryFile()
    {
        string path = PathOf("keep.txt");
        File.WriteAllText(path, "previous");
        var failure = new InvalidOperationException("writer failed half-way");

        var thrown = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("new contents, half written"u8);
            throw failure;
        }));

        Assert.Same(failure, thrown);
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Empty(LeftoverTemporaryFiles());
    }

    [Fact]
    public void TheTemporaryFileIsCompleteAndBesideTheTargetBeforeTheRename()
    {
        string path = PathOf("target.bin");
        File.WriteAllBytes(path, [0]);
        string? temporary = null;
        byte[]? temporaryContents = null;
        byte[]? targetDuringWrite = null;
        using (AtomicFile.InterceptBeforeRename(tempPath =>
        {
            temporary = tempPath;
            temporaryContents = File.ReadAllBytes(tempPath);
            targetDuringWrite = File.ReadAllBytes(path);
        }))
        {
            AtomicFile.WriteAllBytes(path, new byte[] { 4, 5, 6 });
        }

        Assert.NotNull(temporary);
        Assert.Equal(_directory, Path.GetDirectoryName(temporary));
        Assert.StartsWith(".target.bin.", Path.GetFileName(temporary));
        Assert.EndsWith(".tmp", temporary);
        Assert.Equal([4, 5, 6], temporaryContents);
        Assert.Equal([0], targetDuringWrite);
        Assert.Equal([4, 5, 6], File.ReadAllBytes(path));
        Assert.False(File.Exists(temporary));
    }

    [Fact]
    public void ACrashBetweenWriteAndRenameLeavesThePreviousSafetensorsFileIntactAndLoadable()
    {
        string path = PathOf("model.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["weight"] = Tensor.From(1f, 2f, 3f) }, new Dictionary<string, string> { ["epoch"] = "1" });
        byte[] before = File.ReadAllBytes(path);

        float[]? writtenButNotRenamed = null;
        using (AtomicFile.InterceptBeforeRename(tempPath =>
        {
            // The new file is complete on disk at this point; only the rename is missing.
            writtenButNotRenamed = Safetensors.Load(tempPath).Tensors["weight"].ToArray();
            throw new IOException("simulated crash between write and rename");
        }))
        {
            var crash = Assert.Throws<IOException>(() => Safetensors.Save(path,
                new Dictionary<string, Tensor> { ["weight"] = Tensor.From(9f, 9f, 9f, 9f) }, new Dictionary<string, string> { ["epoch"] = "2" }));
            Assert.Contains("simulated crash", crash.Message);
        }

        Assert.Equal([9f, 9f, 9f, 9f], writtenButNotRenamed!);
        Assert.Equal(before, File.ReadAllBytes(path));
        var loaded = Safetensors.Load(path);
        Assert.Equal([1f, 2f, 3f], loaded.Tensors["weight"].ToArray());
        Assert.Equal("1", loaded.Metadata["epoch"]);
        Assert.Empty(LeftoverTemporaryFiles());

        // With the hook gone, the next save goes through.
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["weight"] = Tensor.From(5f) });
        Assert.Equal([5f], Safetensors.Load(path).Tensors["weight"].ToArray());
    }

    [Fact]
    public void APathThatNamesADirectoryIsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => AtomicFile.WriteAllBytes(_directory + Path.DirectorySeparatorChar, new byte[] { 1 }));
        Assert.Contains("directory", error.Message);
    }
}
