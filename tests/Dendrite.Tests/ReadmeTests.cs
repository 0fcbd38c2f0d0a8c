using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Training;
using Dendrite.Training.Callbacks;
using Dendrite.Training.Metrics;

namespace Dendrite.Tests;

/// <summary>The README's C# example runs and says what the README claims; a second test keeps the two texts identical.</summary>
public class ReadmeTests
{
    private static string Root()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "Dendrite.slnx"))) directory = Path.GetDirectoryName(directory);
        return directory ?? throw new InvalidOperationException("The repository root was not found above the test output.");
    }

    private static double RunTheReadmeExample(TextWriter console)
    {
        Directory.SetCurrentDirectory(Directory.CreateTempSubdirectory("dendrite-readme-").FullName);
        Console.SetOut(console);
        // README-BEGIN
        Dataset digits = Datasets.Digits();
        digits = digits.WithFeatures(digits.Features / 16f);
        var (train, validation, test) = Splits.TrainValidationTest(digits, 0.6, 0.2, 0.2, new(42), stratified: true);
        var model = new Sequential(new Dense(64, 256, new Relu()), new Dense(256, 10));
        var trainer = new Trainer(model, new Adam(model.Parameters(), 0.003f), new CrossEntropy(), [new Accuracy()]);
        trainer.Fit(train, epochs: 40, batchSize: 32, validation, callbacks: [new ProgressBar()]);
        Console.WriteLine($"test accuracy: {trainer.Evaluate(test)["accuracy"]:F4}");
        Model.Save(model, "digits-mlp");
        // README-END
        return trainer.Evaluate(test)["accuracy"];
    }

    [Fact]
    public void TheExampleTrainsAndSaves()
    {
        TextWriter original = Console.Out;
        string current = Directory.GetCurrentDirectory();
        var console = new StringWriter();
        try
        {
            double accuracy = RunTheReadmeExample(console);
            Assert.True(accuracy > 0.95, $"accuracy {accuracy}");
            Assert.Contains("test accuracy: 0.9", console.ToString());
            Assert.True(File.Exists("digits-mlp.safetensors") && File.Exists("digits-mlp.json"));
        }
        finally
        {
            Console.SetOut(original);
            Directory.SetCurrentDirectory(current);
        }
    }

    [Fact]
    public void TheReadmeShowsExactlyTheCodeThisTestRuns()
    {
        string readme = File.ReadAllText(Path.Combine(Root(), "README.md"));
        int start = readme.IndexOf("```csharp", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no C# example");
        string block = readme[(start + 9)..readme.IndexOf("```", start + 9, StringComparison.Ordinal)];
        string[] readmeLines = block.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

        string source = File.ReadAllText(Path.Combine(Root(), "tests", "Dendrite.Tests", "ReadmeTests.cs"));
        string body = source[(source.IndexOf("// README-BEGIN", StringComparison.Ordinal) + 15)..source.IndexOf("// README-END", StringComparison.Ordinal)];
        string[] testLines = body.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

        string[] code = readmeLines.Where(l => !l.StartsWith("using ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(testLines, code);
        foreach (string line in readmeLines.Where(l => l.StartsWith("using ", StringComparison.Ordinal)))
            Assert.True(source.Contains(line, StringComparison.Ordinal) || line == "using Dendrite.Ops;", $"the test lacks the README's '{line}'");
    }
}
