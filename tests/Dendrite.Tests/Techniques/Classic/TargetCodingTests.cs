using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Techniques.Classic;
using Dendrite.Training;
using Xunit.Abstractions;

namespace Dendrite.Tests.Techniques.Classic;

/// <summary>±1 target coding: codes and decodes exactly, and a tanh-output network trained on the codes with squared error classifies Iris.</summary>
public class TargetCodingTests(ITestOutputHelper output)
{
    [Fact]
    public void EncodesOnePlusAndTheRestMinus()
    {
        Tensor codes = TargetCoding.Encode(Tensor.From(2, 0, 1), classes: 3);
        Assert.Equal(new Shape(3, 3), codes.Shape);
        Assert.Equal([-1f, -1f, 1f, 1f, -1f, -1f, -1f, 1f, -1f], codes.ToArray());
        Assert.Equal([-0.9f, 0.9f], TargetCoding.Encode(Tensor.From(1), 2, magnitude: 0.9f).ToArray());
        Assert.Equal([1f, -1f, 1f], TargetCoding.Encode(Tensor.From(1, 0, 1), 2, singleOutput: true).ToArray());
    }

    [Fact]
    public void DecodingTheCodesGivesTheLabelsBack()
    {
        Tensor labels = Tensor.From(0, 3, 1, 2, 2, 3, 0);
        Assert.Equal(labels.ToArray(), TargetCoding.Decode(TargetCoding.Encode(labels, 4)).ToArray());
        Tensor binary = Tensor.From(0, 1, 1, 0);
        Assert.Equal(binary.ToArray(), TargetCoding.Decode(TargetCoding.Encode(binary, 2, singleOutput: true)).ToArray());
        // Outputs decode by arg-max, or by sign for one column.
        Assert.Equal([1f, 0f], TargetCoding.Decode(Tensor.FromArray([-0.2f, 0.4f, -0.9f, 0.1f, -0.3f, -0.95f], new Shape(2, 3))).ToArray());
        Assert.Equal([1f, 0f], TargetCoding.Decode(Tensor.FromArray([0.01f, -0.01f], new Shape(2, 1))).ToArray());
    }

    [Fact]
    public void BadLabelsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => TargetCoding.Encode(Tensor.From(0, 3), 3));
        Assert.Throws<ArgumentException>(() => TargetCoding.Encode(Tensor.From(0.5f), 3));
        Assert.Throws<ArgumentException>(() => TargetCoding.Encode(Tensor.From(0), 3, singleOutput: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => TargetCoding.Encode(Tensor.From(0), 3, magnitude: 1.5f));
    }

    [Fact]
    public void ATanhNetworkTrainedOnPlusMinusOneCodesClassifiesIris()
    {
        Dataset iris = Datasets.Iris();
        var (train, test) = Splits.TrainValidation(iris, 0.3, new RandomGenerator(1), stratified: true);
        var scaler = new Standardizer().Fit(train);
        Dataset Coded(Dataset d) => Dataset.ForRegression(scaler.Transform(d.Features), TargetCoding.Encode(d.Targets, 3));
        Dataset codedTrain = Coded(train), codedTest = Coded(test);

        // 4-8-3 with tanh hidden and tanh output units, squared error on the ±1 codes.
        var generator = new RandomGenerator(2);
        var model = new Sequential(new Dense(4, 8, new Tanh(), generator: generator), new Dense(8, 3, new Tanh(), generator: generator));
        var trainer = new Trainer(model, new Adam(model.Parameters(), 0.02f), new MeanSquaredError(), [new PlusMinusOneAccuracy()]);
        History history = trainer.Fit(codedTrain, epochs: 60, batchSize: 16, validation: codedTest, seed: 3);

        Tensor outputs = Trainer.Predict(model, codedTest.Features);
        Assert.All(outputs.ToArray(), v => Assert.InRange(v, -1f, 1f));
        double accuracy = TargetCoding.Accuracy(outputs, test.Targets);
        output.WriteLine($"Iris, 4-8-3 tanh outputs on ±1 codes, squared error: test accuracy {accuracy:P1} ({test.Count} samples), final training MSE {history["loss"][^1]:F4}.");
        Assert.True(accuracy >= 0.9, $"test accuracy {accuracy:P1}; expected at least 90 %.");
        Assert.Equal(accuracy, history["val_accuracy"][^1], 6);   // the metric decodes the same way
    }
}
