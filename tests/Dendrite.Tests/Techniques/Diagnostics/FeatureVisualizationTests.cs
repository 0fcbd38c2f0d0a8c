using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Techniques.Diagnostics;
using Dendrite.Training;

namespace Dendrite.Tests.Techniques.Diagnostics;

public class FeatureVisualizationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void TheFirstLayersBestUnitNormInputIsItsNormalisedWeightVector()
    {
        var layer = new Dense(5, 3, generator: new RandomGenerator(4));
        Tensor best = FeatureVisualization.FirstLayerInputs(layer);
        Assert.Equal(new Shape(3, 5), best.Shape);
        float[] w = layer.Weight.ToArray(), x = best.ToArray();
        var generator = new Random(1);
        for (int u = 0; u < 3; u++)
        {
            ReadOnlySpan<float> row = x.AsSpan(u * 5, 5), weights = w.AsSpan(u * 5, 5);
            Assert.Equal(1f, TensorPrimitives.Norm(row), 5);
            float achieved = TensorPrimitives.Dot(weights, row);
            Assert.Equal(TensorPrimitives.Norm(weights), achieved, 5);
            // No other unit-norm input does better (Cauchy-Schwarz), checked on random ones.
            for (int trial = 0; trial < 100; trial++)
            {
                float[] other = Enumerable.Range(0, 5).Select(_ => (float)generator.NextDouble() - 0.5f).ToArray();
                TensorPrimitives.Divide(other, TensorPrimitives.Norm(other), other);
                Assert.True(TensorPrimitives.Dot(weights, other) <= achieved + 1e-6f);
            }
        }
    }

    [Fact]
    public void GradientAscentRaisesTheChosenUnitAndLeavesTheModelAsItWas()
    {
        var model = Models.Mlp([16, 8, 8, 4], dropout: 0.5f, generator: new RandomGenerator(2));
        float[] before = model.Parameters().SelectMany(p => p.ToArray()).ToArray();
        int[] units = [0, 3, 3];
        Tensor start = Tensor.Full([16], 0.5f);
        Tensor found = FeatureVisualization.MaximizeActivation(model, units, [16], new ActivationMaximizationOptions { Steps = 60, L2 = 0 });
        Assert.Equal(new Shape(3, 16), found.Shape);
        Assert.All(found.ToArray(), v => Assert.InRange(v, 0f, 1f));
        float[] atStart = FeatureVisualization.Activations(model, TensorOps.Stack([start, start, start]), units);
        float[] atEnd = FeatureVisualization.Activations(model, found, units);
        for (int i = 0; i < units.Length; i++) Assert.True(atEnd[i] > atStart[i] + 0.1f, $"unit {units[i]}: {atStart[i]} -> {atEnd[i]}");
        // Rows are independent: the same unit from the same start gives the same input.
        Assert.Equal(found.Select(0, 1).ToArray(), found.Select(0, 2).ToArray());
        Assert.True(model.IsTraining);
        Assert.All(model.Parameters(), p => Assert.True(p.RequiresGrad));
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad));
        Assert.Equal(before, model.Parameters().SelectMany(p => p.ToArray()).ToArray());

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => FeatureVisualization.MaximizeActivation(model, [4], [16]));
        Assert.Contains("4 outputs", error.Message);
    }

    [Fact]
    public void TheInputsThatExciteAFashionMnistMlpsOutputUnitsLookLikeTheirGarments()
    {
        // A small MLP trained briefly on 6,000 images; the input found for each class is compared with
        // the mean image of every class: "garment-like" means it resembles its own class's mean most.
        Dataset all = Datasets.FashionMnist();
        Dataset train = all.Subset(Enumerable.Range(0, 6000).ToArray());
        var model = Models.Mlp([784, 64, 10], generator: new RandomGenerator(1));
        new Trainer(model, new Adam(model.Parameters(), 0.003f), new CrossEntropy()).Fit(train, 2, 64, seed: 1);

        float[] features = train.Features.ToArray();
        int[] labels = train.ClassIndices();
        var means = new float[10][];
        var counts = new int[10];
        for (int c = 0; c < 10; c++) means[c] = new float[784];
        for (int i = 0; i < train.Count; i++)
        {
            counts[labels[i]]++;
            TensorPrimitives.Add(means[labels[i]], features.AsSpan(i * 784, 784), means[labels[i]]);
        }
        float[] overall = new float[784];
        for (int c = 0; c < 10; c++)
        {
            TensorPrimitives.Divide(means[c], counts[c], means[c]);
            TensorPrimitives.Add(overall, means[c], overall);
        }
        TensorPrimitives.Divide(overall, 10f, overall);

        int[] classes = Enumerable.Range(0, 10).ToArray();
        Tensor found = FeatureVisualization.MaximizeActivation(model, classes, [784], new ActivationMaximizationOptions { Start = Tensor.FromArray(overall) });
        float[] images = found.ToArray();
        float[] probabilities = Trainer.Predict(model, found).Softmax(-1).ToArray();
        int recognised = 0;
        for (int c = 0; c < 10; c++)
        {
            // Correlation of what changed from the start with what sets class k apart from the average.
            float[] change = images.AsSpan(c * 784, 784).ToArray();
            TensorPrimitives.Subtract(change, overall, change);
            double[] similarity = means.Select(m =>
            {
                float[] distinct = m.ToArray();
                TensorPrimitives.Subtract(distinct, overall, distinct);
                return (double)TensorPrimitives.CosineSimilarity(change, distinct);
            }).ToArray();
            int best = Array.IndexOf(similarity, similarity.Max());
            output.WriteLine($"{Datasets.FashionMnistClassNames[c],-12} p {probabilities[c * 10 + c]:F3}  most like {Datasets.FashionMnistClassNames[best]} ({similarity[best]:F2}; own {similarity[c]:F2})");
            if (best == c) recognised++;
            Assert.True(probabilities[c * 10 + c] > 0.9, $"class {c}: p {probabilities[c * 10 + c]}");
        }
        Assert.True(recognised >= 8, $"{recognised} of 10 inputs look most like their own class");
    }
}
