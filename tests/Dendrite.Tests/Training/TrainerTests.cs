using Dendrite.Data;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Optim.Schedules;
using Dendrite.Training;
using Dendrite.Training.Callbacks;
using Dendrite.Training.Metrics;

namespace Dendrite.Tests.Training;

public class TrainerTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static (Dataset Train, Dataset Validation, Dataset Test) DigitsSplits(long seed = 1)
    {
        Dataset digits = Datasets.Digits();
        var scaled = digits.WithFeatures(digits.Features * (1f / 16f));
        return Splits.TrainValidationTest(scaled, 0.6, 0.2, 0.2, new RandomGenerator(seed), stratified: true);
    }

    private static Sequential Mlp(long seed, int hidden = 64, float dropout = 0f)
    {
        var generator = new RandomGenerator(seed);
        var layers = new List<Module> { new Dense(64, hidden, new Relu(), generator: generator) };
        if (dropout > 0) layers.Add(new Dropout(dropout));
        layers.Add(new Dense(hidden, 10, generator: generator));
        return new Sequential(layers);
    }

    [Fact]
    public void FitTrainsAnMlpOnTheDigitsAndEvaluatesIt()
    {
        var (train, validation, test) = DigitsSplits();
        var model = Mlp(1);
        var trainer = new Trainer(model, new Adam(model.Parameters(), 0.01f), new CrossEntropy(), [new Accuracy()]);
        History history = trainer.Fit(train, epochs: 15, batchSize: 32, validation: validation, seed: 3);
        output.WriteLine(history.ToCsv());
        Assert.Equal(15, history.Epochs);
        Assert.True(history["loss"][^1] < history["loss"][0] / 4, "the training loss fell");
        var results = trainer.Evaluate(test);
        output.WriteLine($"test accuracy {results["accuracy"]:F4}");
        Assert.True(results["accuracy"] > 0.94, $"test accuracy {results["accuracy"]}");
        Assert.Equal(["loss", "accuracy", "val_loss", "val_accuracy", "lr"], history.Keys);
        Tensor predictions = trainer.Predict(test.Features, batchSize: 100);
        Assert.Equal(new Shape(test.Count, 10), predictions.Shape);
    }

    [Fact]
    public void EarlyStoppingStopsAnOverfittingRunAndRestoresTheBestWeights()
    {
        // A wide network on 60 samples over-fits: the validation loss turns up after a few epochs.
        var (train, validation, _) = DigitsSplits(2);
        train = train.Subset(Enumerable.Range(0, 60).ToArray());
        var model = Mlp(2, hidden: 256);
        var trainer = new Trainer(model, new Adam(model.Parameters(), 0.01f), new CrossEntropy(), [new Accuracy()]);
        var stopping = new EarlyStopping("val_loss", patience: 3);
        var snapshots = new WeightSnapshots();
        History history = trainer.Fit(train, epochs: 200, batchSize: 16, validation: validation, callbacks: [snapshots, stopping], seed: 1);
        output.WriteLine($"stopped at epoch {stopping.StoppedEpoch + 1}, best epoch {stopping.BestEpoch + 1}");
        Assert.True(history.Epochs < 200, "early stopping ended the run before the last epoch");
        Assert.Equal(stopping.StoppedEpoch + 1, history.Epochs);
        int best = history["val_loss"].Select((v, i) => (v, i)).MinBy(t => t.v).i;
        Assert.Equal(best, stopping.BestEpoch);
        Assert.True(stopping.BestEpoch < stopping.StoppedEpoch);
        // The model now holds the weights it had at the end of the best epoch.
        Assert.Equal(snapshots.ByEpoch[best], model.Parameters().SelectMany(p => p.ToArray()).ToArray());
        Assert.Equal(history["val_loss"][best], trainer.Evaluate(validation)["loss"], 5);
    }

    private sealed class WeightSnapshots : Callback
    {
        public List<float[]> ByEpoch { get; } = [];

        public override void OnEpochEnd(TrainingContext context, int epoch, IDictionary<string, double> logs) =>
            ByEpoch.Add(context.Model.Parameters().SelectMany(p => p.ToArray()).ToArray());
    }

    private static (Trainer Trainer, Sequential Model) Fresh(long seed)
    {
        RandomGenerator.SetDefaultSeed(seed);
        var model = Mlp(seed, hidden: 32, dropout: 0.2f);
        var optimizer = new Sgd(model.Parameters(), 0.1f, momentum: 0.9f);
        return (new Trainer(model, optimizer, new CrossEntropy(), [new Accuracy()]), model);
    }

    [Fact]
    public void ResumingFromACheckpointContinuesBitForBit()
    {
        var (train, validation, _) = DigitsSplits(4);
        string directory = Directory.CreateTempSubdirectory("dendrite-ckpt-").FullName;
        try
        {
            // Uninterrupted: 6 epochs with a step schedule, dropout and shuffling.
            var (full, fullModel) = Fresh(7);
            History expected = full.Fit(train, 6, 32, validation, callbacks: [new LearningRateScheduler(new StepDecay(0.1f, 2, 0.5f))], seed: 9);

            // Interrupted after 3 epochs, then resumed in a fresh trainer and model.
            string path = Path.Combine(directory, "run.ckpt.safetensors");
            var (first, _) = Fresh(7);
            first.Fit(train, 3, 32, validation, callbacks: [new LearningRateScheduler(new StepDecay(0.1f, 2, 0.5f)), new ModelCheckpoint(path)], seed: 9);
            RandomGenerator.SetDefaultSeed(12345); // whatever the process did in between
            var (resumed, resumedModel) = Fresh(99);
            History history = resumed.Fit(train, 6, 32, validation, callbacks: [new LearningRateScheduler(new StepDecay(0.1f, 2, 0.5f))], seed: 9, resumeFrom: path);

            Assert.Equal(6, history.Epochs);
            foreach (string key in expected.Keys) Assert.Equal(expected[key], history[key]);
            Assert.Equal(fullModel.Parameters().SelectMany(p => p.ToArray()), resumedModel.Parameters().SelectMany(p => p.ToArray()));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ACrashDuringACheckpointWriteLeavesThePreviousCheckpointLoadable()
    {
        var (train, _, _) = DigitsSplits(5);
        string directory = Directory.CreateTempSubdirectory("dendrite-ckpt-").FullName;
        try
        {
            string path = Path.Combine(directory, "run.ckpt.safetensors");
            var (trainer, _) = Fresh(3);
            var crashing = new CrashOnSecondCheckpoint(path);
            var error = Assert.Throws<IOException>(() => trainer.Fit(train, 4, 64, callbacks: [crashing], seed: 1));
            Assert.Contains("simulated", error.Message);
            Assert.Empty(Directory.GetFiles(directory, "*.tmp"));
            // The checkpoint of epoch 1 is intact and resumes.
            var (resumed, _) = Fresh(3);
            History history = resumed.Fit(train, 2, 64, seed: 1, resumeFrom: path);
            Assert.Equal(2, history.Epochs);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Writes a checkpoint each epoch; the second write fails after the temporary file is complete but before the rename.</summary>
    private sealed class CrashOnSecondCheckpoint(string path) : Callback
    {
        private int _writes;

        public override void OnEpochEnd(TrainingContext context, int epoch, IDictionary<string, double> logs)
        {
            _writes++;
            if (_writes < 2)
            {
                Checkpoint.Save(path, context, epoch + 1, new Dictionary<string, double>(logs));
                return;
            }
            using var _ = AtomicFile.InterceptBeforeRename(_ => throw new IOException("simulated crash between write and rename"));
            Checkpoint.Save(path, context, epoch + 1, new Dictionary<string, double>(logs));
        }
    }

    [Fact]
    public void TerminateOnNaNNamesTheBatchAndTheProgressBarPrintsOneLinePerEpochWhenRedirected()
    {
        var (train, _, _) = DigitsSplits(6);
        var model = Mlp(6);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 1e6f), new MeanSquaredError(), []);
        var oneHot = Dataset.ForRegression(train.Features, TensorOps.OneHot(train.Targets, 10));
        var writer = new StringWriter();
        var nan = new TerminateOnNaN();
        History history = trainer.Fit(oneHot, 50, 32, callbacks: [nan, new ProgressBar(writer)], seed: 1);
        Assert.NotNull(nan.FailedAt);
        Assert.True(history.Epochs < 50);
        string printed = writer.ToString();
        output.WriteLine(printed);
        Assert.Contains($"batch {nan.FailedAt!.Value.Batch + 1}", printed);
        Assert.Equal(history.Epochs + 1, printed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.StartsWith("Epoch 1/50", printed);
    }

    [Fact]
    public void HistoryLoggerWritesCsvAndJson()
    {
        var (train, validation, _) = DigitsSplits(7);
        string directory = Directory.CreateTempSubdirectory("dendrite-history-").FullName;
        try
        {
            var model = Mlp(7);
            var trainer = new Trainer(model, new Adam(model.Parameters(), 0.01f), new CrossEntropy(), [new Accuracy()]);
            string csv = Path.Combine(directory, "history.csv"), json = Path.Combine(directory, "history.json");
            History history = trainer.Fit(train, 3, 64, validation, callbacks: [new HistoryLogger(csv), new HistoryLogger(json)]);
            string[] lines = File.ReadAllLines(csv);
            Assert.Equal("epoch,loss,accuracy,val_loss,val_accuracy,lr", lines[0]);
            Assert.Equal(4, lines.Length);
            History read = History.FromJson(File.ReadAllText(json));
            Assert.Equal(history["val_accuracy"], read["val_accuracy"]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void FullBatchOptimisersTrainThroughTheClosure()
    {
        var (train, _, test) = DigitsSplits(8);
        var model = Mlp(8, hidden: 32);
        var optimizer = new Dendrite.Optim.FullBatch.Lbfgs(model.Parameters(), maxIterations: 20);
        var trainer = new Trainer(model, optimizer, new CrossEntropy(), [new Accuracy()]);
        History history = trainer.Fit(train, 5, DataLoader.FullBatch, seed: 1);
        output.WriteLine(history.ToCsv());
        Assert.True(trainer.Evaluate(test)["accuracy"] > 0.9);
    }
}
