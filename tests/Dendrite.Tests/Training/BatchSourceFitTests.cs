using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Training;
using Dendrite.Training.Callbacks;

namespace Dendrite.Tests.Training;

/// <summary>
/// <c>Trainer.Fit(IBatchSource, ...)</c>: the trainer's loop, callbacks and validation over batches
/// that the caller's source draws, such as a priority sampler.
/// </summary>
public sealed class BatchSourceFitTests
{
    /// <summary>Points in [-1, 1]²; class 1 (about 3 %) is a disc of radius 0.2 around (0.5, 0.5).</summary>
    private static Dataset RareClassTask(int count, long seed)
    {
        var generator = new RandomGenerator(seed);
        Tensor x = Tensor.Uniform([count, 2], -1f, 1f, generator);
        var labels = new float[count];
        for (int i = 0; i < count; i++)
        {
            float dx = x[i, 0] - 0.5f, dy = x[i, 1] - 0.5f;
            labels[i] = dx * dx + dy * dy < 0.04f ? 1f : 0f;
        }
        return Dataset.ForClassification(x, Tensor.FromArray(labels), ["common", "rare"]);
    }

    private static Trainer NewTrainer() =>
        NewTrainer(new Sequential(new Dense(2, 16, new Tanh(), generator: new RandomGenerator(3)), new Dense(16, 2, generator: new RandomGenerator(4))));

    private static Trainer NewTrainer(Module model) => new(model, new Adam(model.Parameters(), 0.01f), new CrossEntropy());

    private static double RareRecall(Module model, Dataset test)
    {
        float[] predicted = Trainer.Predict(model, test.Features).ArgMax(1).ToArray();
        float[] truth = test.Targets.ToArray();
        int rare = truth.Count(t => t == 1f);
        Assert.True(rare >= 20, $"the test set has only {rare} rare points");
        return Enumerable.Range(0, truth.Length).Count(i => truth[i] == 1f && predicted[i] == 1f) / (double)rare;
    }

    private sealed class EpochShape : Callback
    {
        public List<(int Batches, int Samples, int BatchEnds)> Epochs { get; } = [];
        private int _batchEnds;

        public override void OnEpochBegin(TrainingContext context, int epoch) => _batchEnds = 0;

        public override void OnBatchEnd(TrainingContext context, int batch, IReadOnlyDictionary<string, double> logs) => _batchEnds++;

        public override void OnEpochEnd(TrainingContext context, int epoch, IDictionary<string, double> logs) =>
            Epochs.Add((context.BatchesPerEpoch, context.SamplesPerEpoch, _batchEnds));
    }

    [Fact]
    public void FitOnAPrioritySampler_LearnsTheRareClassThatUniformBatchesMiss()
    {
        Dataset train = RareClassTask(2000, 31), test = RareClassTask(2000, 32);
        int[] rare = [.. Enumerable.Range(0, train.Count).Where(i => train.Targets[i] == 1f)];

        Trainer uniform = NewTrainer();
        uniform.Fit(train, epochs: 20, batchSize: 32, seed: 5);

        Trainer prioritised = NewTrainer();
        var sampler = new PrioritySampler(train, rare, highShare: 0.1, batchSize: 32, new RandomGenerator(5));
        var shape = new EpochShape();
        History history = prioritised.Fit(sampler, epochs: 20, validation: test, callbacks: [shape]);

        double uniformRecall = RareRecall(uniform.Model, test), prioritisedRecall = RareRecall(prioritised.Model, test);
        Assert.True(uniformRecall < 0.5, $"uniform batches found {uniformRecall:P0} of the rare class; the task is meant to be too rare for them");
        Assert.True(prioritisedRecall > 0.9, $"priority sampling found only {prioritisedRecall:P0} of the rare class");
        Assert.Equal(20, history.Epochs);
        Assert.True(history["val_loss"].All(double.IsFinite));
        Assert.All(shape.Epochs, e => Assert.Equal((sampler.BatchesPerEpoch, sampler.BatchesPerEpoch * 32, sampler.BatchesPerEpoch), e));
    }

    [Fact]
    public void FitOnALoader_IsFitOnTheDataSetWithTheLoadersSeed()
    {
        Dataset train = RareClassTask(300, 7);
        Trainer fromDataSet = NewTrainer(), fromLoader = NewTrainer();

        fromDataSet.Fit(train, epochs: 3, batchSize: 16, seed: 11);
        fromLoader.Fit(new DataLoader(train, 16, shuffle: true, generator: new RandomGenerator(11)), epochs: 3);

        Assert.Equal(fromDataSet.Model.Parameters().SelectMany(p => p.ToArray()), fromLoader.Model.Parameters().SelectMany(p => p.ToArray()));
    }

    [Fact]
    public void BadArguments_AreRejected()
    {
        Trainer trainer = NewTrainer();
        Assert.Throws<ArgumentNullException>(() => trainer.Fit((IBatchSource)null!, 1));
        var loader = new DataLoader(RareClassTask(10, 1), 4);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(loader, -1));
        Assert.Contains("-1", error.Message);
    }
}
