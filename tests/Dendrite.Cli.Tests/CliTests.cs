using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;
using Dendrite.Plots;

namespace Dendrite.Cli.Tests;

/// <summary>The dendrite command as a user meets it: run in-process with captured output.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dendrite-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CommandLine.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void TrainWithNoOptionsReachesTheTargetOnDigitsAndWritesCurves()
    {
        string outDirectory = Path.Combine(_directory, "run");
        var (code, output, error) = Run("train", "--out", outDirectory);
        Assert.True(code == 0, error);
        Match match = Regex.Match(output, @"test accuracy: (0\.\d{4})");
        Assert.True(match.Success, output);
        double accuracy = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(accuracy >= 0.96, $"test accuracy {accuracy}");
        Assert.Contains("Epoch 40/40", output);
        PngInfo curves = PngInfo.Read(Path.Combine(outDirectory, "curves.png"));
        Assert.False(curves.IsBlank);
        Assert.True(curves.Width >= 800);
        foreach (string file in new[] { "model.json", "model.safetensors", "history.csv", "history.json", "run.json", "confusion.txt" })
            Assert.True(File.Exists(Path.Combine(outDirectory, file)), file);
        string header = File.ReadLines(Path.Combine(outDirectory, "history.csv")).First();
        Assert.Contains("val_loss", header);
        Assert.Contains("loss", header);

        // The saved model evaluates and predicts without the training code.
        var (evaluateCode, evaluated, evaluateError) = Run("evaluate", outDirectory, "--data", "digits");
        Assert.True(evaluateCode == 0, evaluateError);
        Assert.Contains($"test accuracy: {match.Groups[1].Value}", evaluated);
        var (predictCode, predicted, _) = Run("predict", outDirectory, "--data", "digits");
        Assert.Equal(0, predictCode);
        Assert.StartsWith("index,prediction,class", predicted);
        int testSamples = int.Parse(Regex.Match(output, @"(\d+) test samples").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(testSamples + 1, predicted.Trim().Split('\n').Length);
    }

    private string WriteCsv(string name, string contents)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, contents);
        return path;
    }

    [Theory]
    [InlineData("missing.csv", "a,b,label\n1,2,0\n3,,1\n", "line 3", "missing value")]
    [InlineData("text.csv", "a,b,label\n1,2,0\n3,abc,1\n", "line 3", "'abc'")]
    [InlineData("ragged.csv", "a,b,label\n1,2,0\n3,4,5,1\n", "line 3", "4 fields")]
    public void BadCsvFilesGiveOneClearMessageAndANonZeroExitCode(string name, string contents, string where, string what)
    {
        string path = WriteCsv(name, contents);
        var (code, _, error) = Run("train", "--data", path, "--epochs", "1", "--out", Path.Combine(_directory, "out"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(name, error);
        Assert.Contains(where, error);
        Assert.Contains(what, error);
        Assert.DoesNotContain("   at ", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void ADataPathThatDoesNotExistIsNamed()
    {
        var (code, _, error) = Run("train", "--data", "/nowhere/data.csv");
        Assert.Equal(1, code);
        Assert.Contains("/nowhere/data.csv", error);
        Assert.Contains("digits", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void AnIdxFileWhoseHeaderDoesNotMatchItsSizeIsNamed()
    {
        string fashion = Path.Combine(_directory, "fashion");
        Directory.CreateDirectory(fashion);
        // Images declare 100 28x28 images but hold 10; the labels are fine.
        WriteIdx(Path.Combine(fashion, "train-images-idx3-ubyte.gz"), 0x803, [100, 28, 28], 10 * 28 * 28);
        WriteIdx(Path.Combine(fashion, "train-labels-idx1-ubyte.gz"), 0x801, [100], 100);
        WriteIdx(Path.Combine(fashion, "t10k-images-idx3-ubyte.gz"), 0x803, [10, 28, 28], 10 * 28 * 28);
        WriteIdx(Path.Combine(fashion, "t10k-labels-idx1-ubyte.gz"), 0x801, [10], 10);
        var (code, _, error) = Run("train", "--data", "fashion-mnist", "--fashion-mnist-dir", fashion, "--epochs", "1");
        Assert.Equal(1, code);
        Assert.Contains("train-images-idx3-ubyte.gz", error);
        Assert.DoesNotContain("   at ", error);
    }

    private static void WriteIdx(string path, int magic, int[] dimensions, int payload)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        var header = new List<byte> { 0, 0, (byte)(magic >> 8), (byte)magic };
        foreach (int d in dimensions) header.AddRange([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        gzip.Write(header.ToArray());
        gzip.Write(new byte[payload]);
    }

    [Fact]
    public void BadOptionValuesListWhatIsAccepted()
    {
        var (code, _, error) = Run("train", "--optimizer", "magic", "--epochs", "1", "--out", Path.Combine(_directory, "o"));
        Assert.Equal(1, code);
        Assert.Contains("adam", error);
        var (modelCode, _, modelError) = Run("train", "--model", "10-5-10", "--epochs", "1", "--out", Path.Combine(_directory, "o"));
        Assert.Equal(1, modelCode);
        Assert.Contains("64 input features", modelError);
        var (imageCode, _, imageError) = Run("train", "--model", "lenet5", "--epochs", "1", "--out", Path.Combine(_directory, "o"));
        Assert.Equal(1, imageCode);
        Assert.Contains("fashion-mnist", imageError);
        var (augmentCode, _, augmentError) = Run("train", "--augmentations", "flip,twirl", "--epochs", "1", "--out", Path.Combine(_directory, "o"));
        Assert.Equal(1, augmentCode);
        Assert.Contains("'twirl' is not an augmentation", augmentError);
        Assert.Contains("rotate", augmentError);
    }

    [Fact]
    public void ChosenAugmentationsAreAppliedAndNamed()
    {
        var (code, output, error) = Run("train", "--augmentations", "shift, noise", "--epochs", "2", "--out", Path.Combine(_directory, "a"));
        Assert.True(code == 0, error);
        Assert.Contains("augmentation: shift, noise", output);
        var (plainCode, plain, _) = Run("train", "--epochs", "2", "--out", Path.Combine(_directory, "p"));
        Assert.Equal(0, plainCode);
        Assert.DoesNotContain("augmentation:", plain);
        // Augmented batches train a different model from the same seed.
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(_directory, "p", "model.safetensors")), File.ReadAllBytes(Path.Combine(_directory, "a", "model.safetensors")));
    }

    [Fact]
    public void RegressionOnACsvFileReportsRegressionMetrics()
    {
        var lines = new List<string> { "x1,x2,y" };
        var generator = new Random(3);
        for (int i = 0; i < 200; i++)
        {
            double x1 = generator.NextDouble(), x2 = generator.NextDouble();
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{x1},{x2},{3 * x1 - 2 * x2 + 0.5}"));
        }
        string path = WriteCsv("linear.csv", string.Join('\n', lines));
        var (code, output, error) = Run("train", "--data", path, "--regression", "--epochs", "300", "--lr", "0.01", "--out", Path.Combine(_directory, "r"));
        Assert.True(code == 0, error);
        Match r2 = Regex.Match(output, @"test r2: (-?\d\.\d{4})");
        Assert.True(r2.Success, output);
        Assert.True(double.Parse(r2.Groups[1].Value, CultureInfo.InvariantCulture) > 0.95, output);
    }
}
