using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Techniques.Elm;
using Dendrite.Techniques.SemiSupervised;
using Dendrite.Techniques.Transfer;
using Dendrite.Training;
using Dendrite.Training.Metrics;

namespace Dendrite.Tests.Techniques;

public class TransferElmSemiSupervisedTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static Dataset Classes(Dataset data, int from, int to)
    {
        int[] labels = data.ClassIndices();
        int[] rows = Enumerable.Range(0, data.Count).Where(i => labels[i] >= from && labels[i] < to).ToArray();
        var subset = data.Subset(rows);
        float[] shifted = subset.Targets.ToArray().Select(v => v - from).ToArray();
        return Dataset.ForClassification(subset.Features, Tensor.FromArray(shifted));
    }

    [Fact]
    public void FrozenTransferredLayersDoNotMoveAndTheNewHeadLearns()
    {
        var (train, _) = TechniquesData.DigitsSplit(seed: 7);
        var source = new Sequential(new Dense(64, 32, new Relu(), generator: new RandomGenerator(1)), new Dense(32, 5, generator: new RandomGenerator(2)));
        new Trainer(source, new Adam(source.Parameters(), 0.01f), new CrossEntropy()).Fit(Classes(train, 0, 5), 5, 32);
        string path = Path.Combine(Path.GetTempPath(), $"dendrite-transfer-{Guid.NewGuid():N}");
        try
        {
            Model.Save(source, path);
            var head = new Dense(32, 5, generator: new RandomGenerator(3));
            Sequential model = TransferLearning.FromSaved(path, keepLayers: 1, head);
            float[] kept = ((Dense)model[0]).Weight.ToArray();
            Assert.Equal(((Dense)source[0]).Weight.ToArray(), kept);
            Assert.False(((Dense)model[0]).Weight.RequiresGrad);
            var trainer = new Trainer(model, new Adam(model.Parameters(), 0.01f), new CrossEntropy(), [new Accuracy()]);
            var target = Classes(train, 5, 10);
            double before = trainer.Evaluate(target)["accuracy"];
            trainer.Fit(target, 5, 32);
            double after = trainer.Evaluate(target)["accuracy"];
            output.WriteLine($"new task accuracy {before:F3} -> {after:F3}");
            Assert.Equal(kept, ((Dense)model[0]).Weight.ToArray());
            Assert.True(after > before + 0.3);
        }
        finally
        {
            foreach (string file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(path) + ".*")) File.Delete(file);
        }
    }

    [Fact]
    public void ASmallerLearningRateScaleIsSetOnTheKeptLayers()
    {
        var source = new Sequential(new Dense(4, 3, new Relu()), new Dense(3, 2));
        Sequential model = TransferLearning.Reuse(source, 1, new Dense(3, 7), learningRateScale: 0.1f);
        Assert.All(model[0].Parameters(), p => { Assert.True(p.RequiresGrad); Assert.Equal(0.1f, p.LearningRateScale); });
        Assert.All(model[1].Parameters(), p => Assert.Equal(1f, p.LearningRateScale));
        Assert.Throws<ArgumentOutOfRangeException>(() => TransferLearning.Reuse(source, 3, new Dense(3, 7)));
    }

    [Fact]
    public void ElmLeastSquaresSolutionHasZeroGradientOfTheRegularisedObjective()
    {
        var (x, t) = TechniquesData.SmoothRegression(150, seed: 9);
        var elm = new ExtremeLearningMachine(2, 40, 1, generator: new RandomGenerator(4));
        const float lambda = 0.01f;
        elm.Fit(x, t, lambda);
        Assert.False(elm.Hidden.Weight.RequiresGrad);

        double GradientNorm()
        {
            elm.ZeroGrad();
            elm.Objective(x, t, lambda).Backward();
            float[] g = [.. elm.Output.Weight.Grad!.ToArray(), .. elm.Output.Bias!.Grad!.ToArray()];
            return Math.Sqrt(g.Sum(v => (double)v * v));
        }
        double atSolution = GradientNorm();
        float objective = elm.Objective(x, t, lambda).Item();
        // Moving away from the solution raises the objective and the gradient.
        elm.Output.Weight.Data[3] += 0.05f;
        double away = GradientNorm();
        float objectiveAway = elm.Objective(x, t, lambda).Item();
        output.WriteLine($"|∇E| at the solution {atSolution:E2}, after moving one weight by 0.05: {away:E2}; E {objective:F5} -> {objectiveAway:F5}");
        Assert.True(atSolution < 1e-3 * away, $"the gradient at the least-squares solution should vanish: {atSolution} vs {away}");
        Assert.True(objectiveAway > objective);
    }

    [Fact]
    public void ElmClassifiesTheDigitsInClosedForm()
    {
        var (train, test) = TechniquesData.DigitsSplit(seed: 10);
        var elm = new ExtremeLearningMachine(64, 400, 10, generator: new RandomGenerator(5));
        elm.Fit(train, regularization: 0.1f);
        var accuracy = new Accuracy();
        accuracy.Update(Trainer.Predict(elm, test.Features), test.Targets);
        output.WriteLine($"ELM test accuracy {accuracy.Result:F4}");
        Assert.True(accuracy.Result > 0.93);
    }

    [Fact]
    public void NearestNeighboursMatchBruteForce()
    {
        Tensor x = Tensor.Randn([300, 5], new RandomGenerator(11));
        int[][] neighbours = ContrastivePairs.NearestNeighbours(x, 3);
        float[] v = x.ToArray();
        for (int i = 0; i < 300; i += 37)
        {
            int[] expected = Enumerable.Range(0, 300).Where(j => j != i)
                .OrderBy(j => Enumerable.Range(0, 5).Sum(c => (v[i * 5 + c] - v[j * 5 + c]) * (v[i * 5 + c] - v[j * 5 + c]))).Take(3).ToArray();
            Assert.Equal(expected, neighbours[i]);
        }
        var pairs = ContrastivePairs.FromNeighbours(x, 3, 2, new RandomGenerator(12));
        Assert.Equal(300 * 5, pairs.Count);
        Assert.Equal(0.6, pairs.SimilarShare, 6);
        Assert.DoesNotContain(Enumerable.Range(0, pairs.Count), i => pairs.First[i] == pairs.Second[i]);
    }

    [Fact]
    public void ContrastivePairsFromUnlabelledDataBeatSupervisedOnlyOnFewLabels()
    {
        var (train, test) = TechniquesData.DigitsSplit(seed: 13);
        // Three labelled digits per class; the rest of the training set is unlabelled.
        int[] labels = train.ClassIndices();
        int[] labelledRows = Enumerable.Range(0, 10).SelectMany(c => Enumerable.Range(0, train.Count).Where(i => labels[i] == c).Take(3)).ToArray();
        Dataset labelled = train.Subset(labelledRows);
        Tensor unlabelled = train.Features;
        PairSet pairs = ContrastivePairs.FromNeighbours(unlabelled, neighbours: 3, dissimilarPerSample: 3, new RandomGenerator(14));

        double Run(float weight)
        {
            var generator = new RandomGenerator(15);
            var encoder = new Sequential(new Dense(64, 64, new Relu(), generator: generator), new Dense(64, 16, generator: generator));
            var head = new Dense(16, 10, generator: generator);
            var learner = new ContrastiveSemiSupervised(encoder, head, margin: 4f, contrastiveWeight: weight);
            learner.Fit(labelled, unlabelled, pairs, epochs: 3, pairBatch: 128, labelBatch: 30, learningRate: 3e-3f, generator: new RandomGenerator(16));
            var accuracy = new Accuracy();
            accuracy.Update(Trainer.Predict(learner.Model, test.Features), test.Targets);
            return accuracy.Result;
        }
        double supervised = Run(0f), semiSupervised = Run(1f);
        output.WriteLine($"30 labels: supervised only {supervised:F4}, with contrastive pairs {semiSupervised:F4} ({pairs.Count} pairs)");
        Assert.True(semiSupervised > supervised + 0.03, $"semi-supervised {semiSupervised} should beat supervised {supervised}");
    }
}
