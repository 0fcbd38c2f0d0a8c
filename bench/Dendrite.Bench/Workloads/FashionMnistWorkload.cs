using System.Diagnostics;
using Dendrite.Data;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Optim.Schedules;
using Dendrite.Tensors;
using Dendrite.Training;
using Dendrite.Training.Callbacks;
using Dendrite.Training.Metrics;
using TorchSharp;
using static TorchSharp.torch;
using TTensor = TorchSharp.torch.Tensor;

namespace Dendrite.Bench.Workloads;

/// <summary>
/// The issue's <c>fashion-mnist</c> row: the wall time of the whole <c>mlp</c> recipe on the real data,
/// as <c>dendrite train --data fashion-mnist --model 784-500-500-10 --optimizer adam --lr 0.001
/// --batch-size 128 --epochs 10</c> runs it: 54,000 training images (10 % held out, stratified, as the
/// CLI does), shuffled each epoch, Adam with the CLI's default cosine schedule stepped per batch,
/// loss and accuracy tracked per batch, the 6,000 validation images evaluated after every epoch and
/// the 10,000 test images at the end. Dendrite goes through its <see cref="Trainer"/> (and so its
/// prefetching <see cref="DataLoader"/>); TorchSharp runs the same loop written as a PyTorch user
/// would (randperm, index_select, a dispose scope per step). Both start from the same weights.
/// Each timed run follows a short warm-up on each side, so JIT compilation is not in the time.
/// </summary>
public sealed class FashionMnistWorkload : IWorkload
{
    private const int Epochs = 10, BatchSize = 128, EvaluationBatch = 512;
    private const long Seed = 1;

    public string Name => "fashion-mnist";

    public string Description => "the mlp recipe, 10 epochs on Fashion-MNIST through the Trainer: 54k train / 6k validation, cosine Adam, test at the end (s, lower is better)";

    public IEnumerable<BenchCase> Cases()
    {
        Dataset all = Datasets.FashionMnist(train: true);
        Dataset test = Datasets.FashionMnist(train: false);
        var (train, validation) = Splits.TrainValidation(all, 0.1, new RandomGenerator(Seed), stratified: true);

        var dendriteAccuracies = new List<double>();
        var torchAccuracies = new List<double>();
        var torchData = new TorchData(train, validation, test);
        bool dendriteWarm = false, torchWarm = false;

        yield return BenchCase.Measured($"{Epochs} epochs, wall time", "s",
            dendrite: () =>
            {
                if (!dendriteWarm)
                {
                    RunDendrite(train.Subset(Enumerable.Range(0, 4096).ToArray()), validation, test, epochs: 1);
                    dendriteWarm = true;
                }
                long start = Stopwatch.GetTimestamp();
                double accuracy = RunDendrite(train, validation, test, Epochs);
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                dendriteAccuracies.Add(100 * accuracy);
                return seconds;
            },
            torchSharp: () =>
            {
                if (!torchWarm)
                {
                    torchData.Run(Epochs, trainLimit: 4096, epochsToRun: 1);
                    torchWarm = true;
                }
                long start = Stopwatch.GetTimestamp();
                double accuracy = torchData.Run(Epochs);
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                torchAccuracies.Add(100 * accuracy);
                return seconds;
            },
            higherIsBetter: false);

        // The accuracies the timed runs reached (their medians), to show both sides learned the same thing.
        yield return BenchCase.Measured("test accuracy after 10 epochs", "%",
            () => Median(dendriteAccuracies), () => Median(torchAccuracies), higherIsBetter: true);
        torchData.Dispose();
    }

    /// <summary>Trains a fresh model (TorchSharp's initial weights) through the Trainer and returns its test accuracy.</summary>
    private static double RunDendrite(Dataset train, Dataset validation, Dataset test, int epochs)
    {
        var model = MlpNetworks.CreateDendrite();
        using (var torchModel = InitialTorchModel()) MlpNetworks.CopyWeights(torchModel, model);
        var optimizer = new Adam(model.Parameters(), MlpNetworks.LearningRate);
        var trainer = new Trainer(model, optimizer, new CrossEntropy(), [new Accuracy()]);
        int batches = (train.Count + BatchSize - 1) / BatchSize;
        var schedule = new CosineAnnealingWarmRestarts(MlpNetworks.LearningRate, (long)epochs * batches + 1);
        trainer.Fit(train, epochs, BatchSize, validation, callbacks: [new LearningRateScheduler(schedule, perBatch: true)], seed: Seed);
        return trainer.Evaluate(test)["accuracy"];
    }

    /// <summary>The TorchSharp model with the initial weights both sides start from.</summary>
    private static nn.Module<TTensor, TTensor> InitialTorchModel()
    {
        torch.manual_seed(Seed);
        return MlpNetworks.CreateTorch();
    }

    private static double Median(List<double> values)
    {
        if (values.Count == 0) return double.NaN;
        double[] sorted = [.. values];
        Array.Sort(sorted);
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>The three splits as TorchSharp tensors, and the PyTorch-style training loop over them.</summary>
    private sealed class TorchData : IDisposable
    {
        private readonly TTensor _trainX, _trainY, _validationX, _validationY, _testX, _testY;

        public TorchData(Dataset train, Dataset validation, Dataset test)
        {
            (_trainX, _trainY) = ToTorch(train);
            (_validationX, _validationY) = ToTorch(validation);
            (_testX, _testY) = ToTorch(test);
        }

        private static (TTensor Features, TTensor Labels) ToTorch(Dataset data)
        {
            float[] features = data.Features.ToArray();
            long[] labels = data.Targets.ToArray().Select(v => (long)v).ToArray();
            return (torch.tensor(features, [data.Count, data.FeatureCount]), torch.tensor(labels, [data.Count]));
        }

        /// <summary>
        /// Trains a fresh model for <paramref name="epochsToRun"/> epochs of a cosine schedule over
        /// <paramref name="epochs"/> (the warm-up runs fewer), evaluating validation data after each; returns the test accuracy.
        /// </summary>
        public double Run(int epochs, int? trainLimit = null, int? epochsToRun = null)
        {
            using var model = InitialTorchModel();
            var optimizer = optim.Adam(model.parameters(), MlpNetworks.LearningRate);
            long count = Math.Min(trainLimit ?? long.MaxValue, _trainX.shape[0]);
            long batches = (count + BatchSize - 1) / BatchSize;
            var scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, (int)(epochs * batches + 1));
            var generator = new Generator((ulong)Seed);
            for (int epoch = 0; epoch < (epochsToRun ?? epochs); epoch++)
            {
                model.train();
                double lossSum = 0;
                long correct = 0;
                using (var order = randperm(count, generator: generator))
                {
                    for (long start = 0; start < count; start += BatchSize)
                    {
                        using var step = NewDisposeScope();
                        long size = Math.Min(BatchSize, count - start);
                        TTensor indices = order.narrow(0, start, size);
                        TTensor x = _trainX.index_select(0, indices), y = _trainY.index_select(0, indices);
                        optimizer.zero_grad();
                        TTensor logits = model.call(x);
                        TTensor loss = nn.functional.cross_entropy(logits, y);
                        loss.backward();
                        optimizer.step();
                        scheduler.step();
                        lossSum += loss.item<float>() * size;
                        correct += logits.argmax(1).eq(y).sum().item<long>();
                    }
                }
                Evaluate(model, _validationX, _validationY);
            }
            return Evaluate(model, _testX, _testY);
        }

        /// <summary>Accuracy in evaluation mode without gradients, in batches of 512 as Dendrite's Trainer.Evaluate.</summary>
        private static double Evaluate(nn.Module<TTensor, TTensor> model, TTensor features, TTensor labels)
        {
            model.eval();
            using var _ = no_grad();
            long count = features.shape[0], correct = 0;
            double lossSum = 0;
            for (long start = 0; start < count; start += EvaluationBatch)
            {
                using var scope = NewDisposeScope();
                long size = Math.Min(EvaluationBatch, count - start);
                TTensor logits = model.call(features.narrow(0, start, size));
                TTensor y = labels.narrow(0, start, size);
                lossSum += nn.functional.cross_entropy(logits, y).item<float>() * size;
                correct += logits.argmax(1).eq(y).sum().item<long>();
            }
            model.train();
            return (double)correct / count;
        }

        public void Dispose()
        {
            foreach (TTensor t in new[] { _trainX, _trainY, _validationX, _validationY, _testX, _testY }) t.Dispose();
        }
    }
}
