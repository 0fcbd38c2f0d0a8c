using System.Globalization;
using System.Text.RegularExpressions;
using Dendrite.Plots;

namespace Dendrite.Cli.Tests;

/// <summary>
/// <c>dendrite demo ...</c> and <c>dendrite train --plots</c> as a user runs them: the numbers they
/// print, and every PNG they write checked to exist, to have its size, and not to be blank.
/// </summary>
public sealed class DemoTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dendrite-demo-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CommandLine.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>The file was written where the output says, with the size asked for, and shows something.</summary>
    private static void AssertPicture(string output, string path, int width, int height)
    {
        Assert.Contains(path, output);
        PngInfo info = PngInfo.Read(path);
        Assert.Equal((width, height), (info.Width, info.Height));
        Assert.False(info.IsBlank, $"{path} is blank: {info}");
        Assert.True(info.DistinctColors > 8 && info.NonBackgroundFraction > 0.02, $"{path}: {info}");
    }

    private static double Number(string text) => double.Parse(text.TrimEnd('x').Replace(",", ""), CultureInfo.InvariantCulture);

    [Fact]
    public void VanishingGradientsShowsASigmoidFirstLayerAtLeast100TimesBelowTheLastAndNotWithReluOrBatchNorm()
    {
        var (code, output, error) = Run("demo", "vanishing-gradients", "--out", _directory, "--epochs", "2");
        Assert.True(code == 0, error);

        // The table: one row per layer, columns sigmoid, ReLU + He, sigmoid + batch norm.
        string[] Row(string name) => Regex.Match(output, $@"^{Regex.Escape(name)}\s+(\S+)\s+(\S+)\s+(\S+)\s*$", RegexOptions.Multiline) is { Success: true } m
            ? [m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value]
            : throw new Xunit.Sdk.XunitException($"no row '{name}' in:\n{output}");
        string[] first = Row("layer 1"), last = Row("layer 10"), ratio = Row("first/last");
        Assert.True(Number(last[0]) >= 100 * Number(first[0]), $"sigmoid: layer 1 {first[0]}, layer 10 {last[0]}");
        Assert.True(Number(ratio[0]) <= 1e-2, output);
        Assert.True(Number(ratio[1]) > 1e-2 && Number(ratio[2]) > 1e-2, output);

        // The warning for the sigmoid net only.
        string sigmoid = output[output.IndexOf("sigmoid: ", StringComparison.Ordinal)..output.IndexOf("ReLU + He: ", StringComparison.Ordinal)];
        Assert.Contains("warning: vanishing gradients (epoch 1)", sigmoid);
        Assert.Contains("ReLU + He: no warnings", output);
        Assert.Contains("sigmoid + batch norm: no warnings", output);
        Assert.Single(Regex.Matches(output, "vanishing gradients"));

        AssertPicture(output, Path.Combine(_directory, "vanishing-gradients-relu-he.png"), 1200, 500);
        AssertPicture(output, Path.Combine(_directory, "vanishing-gradients-batch-norm.png"), 1200, 500);
    }

    [Fact]
    public void ActivationsPlotsTheFunctionsAndTheirDerivatives()
    {
        var (code, output, error) = Run("demo", "activations", "--out", _directory);
        Assert.True(code == 0, error);
        Assert.Matches(@"sigmoid\s+0\.500\s+0\.250", output);
        Assert.Matches(@"tanh\s+0\.000\s+1\.000", output);
        AssertPicture(output, Path.Combine(_directory, "activations.png"), 1200, 500);
    }

    [Fact]
    public void LearningRatesWarnsOfTheOneTooHighAndDrawsTheRunsAndTheErrorSurface()
    {
        var (code, output, error) = Run("demo", "learning-rates", "--out", _directory, "--epochs", "6");
        Assert.True(code == 0, error);
        Assert.Matches(@"lr 5 \(too high\).*diverging loss", output);
        Assert.Matches(@"lr 0\.5 \(about right\)\s+\S+\s+\S+\s+0\.9\d+\s+none", output);
        AssertPicture(output, Path.Combine(_directory, "learning-rates-loss.png"), 800, 500);
        AssertPicture(output, Path.Combine(_directory, "learning-rates-accuracy.png"), 800, 500);
        AssertPicture(output, Path.Combine(_directory, "error-surface-line.png"), 800, 500);
        AssertPicture(output, Path.Combine(_directory, "error-surface-plane.png"), 800, 650);
    }

    [Fact]
    public void FeaturesWithoutAModelTrainsASmallFashionMnistMlpAndDrawsItsUnits()
    {
        var (code, output, error) = Run("demo", "features", "--out", _directory, "--train-samples", "6000", "--epochs", "2");
        Assert.True(code == 0, error);
        Assert.Contains("training an MLP 784-128-10", output);
        // Each output unit's input is classified as its class with confidence.
        var probabilities = Regex.Matches(output, @"logit\s+\S+\s+p (\d\.\d{3})").Select(m => Number(m.Groups[1].Value)).ToList();
        Assert.Equal(10, probabilities.Count);
        Assert.All(probabilities, p => Assert.True(p > 0.9, output));
        Assert.True(Number(Regex.Match(output, @"test accuracy: (\d\.\d+)").Groups[1].Value) > 0.75, output);
        AssertPicture(output, Path.Combine(_directory, "features-first-layer.png"), 960, 1000);
        AssertPicture(output, Path.Combine(_directory, "features-output-units.png"), 900, 440);
        AssertPicture(output, Path.Combine(_directory, "confusion.png"), 800, 700);
        Assert.False(File.Exists(Path.Combine(_directory, "features-hidden-units.png")));
    }

    [Fact]
    public void FeaturesOfAModelSavedByTrainOnFashionMnistIncludeItsSecondHiddenLayer()
    {
        string run = Path.Combine(_directory, "run");
        var (trainCode, _, trainError) = Run("train", "--data", "fashion-mnist", "--model", "784-32-32-10", "--epochs", "1", "--batch-size", "128",
            "--no-diagnostics", "--out", run);
        Assert.True(trainCode == 0, trainError);

        string figures = Path.Combine(_directory, "figures");
        var (code, output, error) = Run("demo", "features", "--model", run, "--out", figures);
        Assert.True(code == 0, error);
        Assert.Contains("trained on fashion-mnist", output);
        Assert.DoesNotContain("training an MLP", output);
        AssertPicture(output, Path.Combine(figures, "features-first-layer.png"), 960, 1000);
        AssertPicture(output, Path.Combine(figures, "features-output-units.png"), 900, 440);
        AssertPicture(output, Path.Combine(figures, "features-hidden-units.png"), 900, 440);
        AssertPicture(output, Path.Combine(figures, "confusion.png"), 800, 700);
    }

    [Fact]
    public void FeaturesRefusesAModelThatIsNotAnImageClassifier()
    {
        string csv = Path.Combine(_directory, "points.csv");
        File.WriteAllText(csv, "a,b,label\n" + string.Join('\n', Enumerable.Range(0, 40).Select(i => $"{i % 7},{i % 5},{i % 2}")));
        string run = Path.Combine(_directory, "csv-run");
        Assert.Equal(0, Run("train", "--data", csv, "--epochs", "1", "--out", run).ExitCode);
        var (code, _, error) = Run("demo", "features", "--model", run, "--out", _directory);
        Assert.Equal(1, code);
        Assert.Contains("image classifiers", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void TrainPrintsTheDiagnosticsAndWithPlotsWritesTheFiguresAndTheReport()
    {
        string run = Path.Combine(_directory, "plots");
        var (code, output, error) = Run("train", "--epochs", "3", "--plots", "--tensorboard", Path.Combine(run, "tensorboard"), "--out", run);
        Assert.True(code == 0, error);
        Assert.Contains("diagnostics after 3 epoch(s)", output);
        Assert.Matches(@"0 Dense\(64->256, relu\)\s+\d\.\d\de[-+]\d\d", output);
        Assert.Contains("warnings: none", output);
        Assert.Contains("grad/weight", File.ReadAllText(Path.Combine(run, "diagnostics.txt")));
        AssertPicture(output, Path.Combine(run, "curves.png"), 1200, 500);
        AssertPicture(output, Path.Combine(run, "gradient-norms.png"), 800, 500);
        AssertPicture(output, Path.Combine(run, "first-layer.png"), 960, 1000);
        AssertPicture(output, Path.Combine(run, "confusion.png"), 800, 700);
        AssertPicture(output, Path.Combine(run, "error-surface-line.png"), 800, 500);
        AssertPicture(output, Path.Combine(run, "error-surface-plane.png"), 800, 650);
        Assert.StartsWith("events.out.tfevents.", Path.GetFileName(Assert.Single(Directory.GetFiles(Path.Combine(run, "tensorboard")))));
        Assert.EndsWith("test accuracy: " + Regex.Match(output, @"test accuracy: (\d\.\d{4})").Groups[1].Value, output.Trim());

        // Without --plots there are no figures besides the curves, and --no-diagnostics prints no table.
        string quiet = Path.Combine(_directory, "quiet");
        var (quietCode, quietOutput, _) = Run("train", "--epochs", "2", "--no-diagnostics", "--out", quiet);
        Assert.Equal(0, quietCode);
        Assert.DoesNotContain("diagnostics after", quietOutput);
        Assert.False(File.Exists(Path.Combine(quiet, "gradient-norms.png")));
    }
}
