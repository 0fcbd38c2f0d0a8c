using Dendrite.Autograd;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.Training.Metrics;

namespace Dendrite.Tests.NN;

/// <summary>Every zoo model loads by name and scores exactly its recorded test accuracy.</summary>
public class ModelZooTests(Xunit.Abstractions.ITestOutputHelper output)
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (ZooEntry entry in ModelZoo.Entries) data.Add(entry.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ZooModelsReproduceTheirRecordedAccuracy(string name)
    {
        ZooEntry entry = ModelZoo.Describe(name);
        if (entry.Data == "fashion-mnist" && !Directory.Exists(Datasets.FashionMnistDirectory))
        {
            output.WriteLine($"{name}: Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist); CI installs it.");
            return;
        }
        Module model = ModelZoo.Load(name);
        Assert.False(model.IsTraining);
        var (_, _, test) = ModelZoo.Splits(entry);
        Assert.Equal(entry.TestSamples, test.Count);
        var accuracy = new Accuracy();
        using (new NoGrad())
            for (int start = 0; start < test.Count; start += 500)
            {
                int count = Math.Min(500, test.Count - start);
                accuracy.Update(model.Forward(test.Features.Narrow(0, start, count)), test.Targets.Narrow(0, start, count));
            }
        output.WriteLine($"{name}: recorded {entry.TestAccuracy:F4}, measured {accuracy.Result:F4}");
        Assert.Equal(entry.TestAccuracy, accuracy.Result, 1e-6);
    }

    [Fact]
    public void TheZooListsItsModelsAndRejectsUnknownNames()
    {
        Assert.Contains(ModelZoo.Entries, e => e.Name == "digits-mlp");
        Assert.All(ModelZoo.Entries, e => Assert.InRange(e.TestAccuracy, 0.5, 1.0));
        var error = Assert.Throws<ArgumentException>(() => ModelZoo.Load("alexnet-imagenet"));
        Assert.Contains("digits-mlp", error.Message);
        Assert.Contains("digits-mlp", ModelZoo.Table());
    }
}
