// Transfer learning, the seeds' shape: train a small convolutional network on Fashion-MNIST classes
// 0-4 (T-shirt, trouser, pullover, dress, coat), save it, then reuse its convolutional layers for
// classes 5-9 (sandal, shirt, sneaker, bag, ankle boot) with only 100 labelled images per class,
// against the same network trained from scratch on the same 500 images. Last, the same transfer from
// the model zoo's LeNet-5 trained on classes 0-4 (ModelZoo.Load("lenet5-fashion-0-4")), so that no
// source model needs training at all.
using System.Diagnostics;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Techniques.Transfer;
using Dendrite.Tensors;
using Dendrite.Training;
using Dendrite.Training.Metrics;

var watch = Stopwatch.StartNew();
Dataset train = Datasets.FashionMnist(train: true, asImages: true);
Dataset test = Datasets.FashionMnist(train: false, asImages: true);

Dataset Classes(Dataset data, int from, int count, int perClass = int.MaxValue, long seed = 0)
{
    int[] labels = data.ClassIndices();
    int[] order = new RandomGenerator(seed).Permutation(data.Count);
    int[] rows = [.. Enumerable.Range(from, count).SelectMany(c => order.Where(i => labels[i] == c).Take(perClass)).Order()];
    Dataset subset = data.Subset(rows);
    float[] shifted = [.. subset.Targets.ToArray().Select(v => v - from)];
    return Dataset.ForClassification(subset.Features, Tensor.FromArray(shifted), [.. Enumerable.Range(from, count).Select(c => Datasets.FashionMnistClassNames[c])]);
}

Dataset sourceTrain = Classes(train, 0, 5), sourceTest = Classes(test, 0, 5);
Dataset targetFew = Classes(train, 5, 5, perClass: 100, seed: 7), targetTest = Classes(test, 5, 5);
Console.WriteLine($"source task: {sourceTrain.Count} images of classes 0-4; target task: {targetFew.Count} labelled images of classes 5-9, tested on {targetTest.Count}");

// Conv(16, 3x3) - pool - conv(32, 3x3) - pool - flatten - dense 128 - dense 5: five layers of features, then the head.
Sequential Network(long seed) => new(
    new Conv2d(1, 16, 3, padding: 1, activation: new Relu(), generator: new RandomGenerator(seed)),
    new MaxPool2d(2),
    new Conv2d(16, 32, 3, padding: 1, activation: new Relu(), generator: new RandomGenerator(seed + 1)),
    new MaxPool2d(2),
    new Flatten(),
    new Dense(32 * 7 * 7, 128, new Relu(), generator: new RandomGenerator(seed + 2)),
    new Dense(128, 5, generator: new RandomGenerator(seed + 3)));

// 1. The source model, trained on classes 0-4 and saved.
var source = Network(1);
var sourceTrainer = new Trainer(source, new Adam(source.Parameters(), 1e-3f), new CrossEntropy(), [new Accuracy()]);
sourceTrainer.Fit(sourceTrain, epochs: 3, batchSize: 64, seed: 1);
Console.WriteLine($"source model, test accuracy on classes 0-4: {sourceTrainer.Evaluate(sourceTest)["accuracy"]:F4}");
string path = Path.Combine(Path.GetTempPath(), "dendrite-transfer-source");
Model.Save(source, path);

const int Epochs = 30;
double TrainOnFew(Sequential model, string name)
{
    var trainer = new Trainer(model, new Adam(model.Parameters(), 1e-3f), new CrossEntropy(), [new Accuracy()]);
    trainer.Fit(targetFew, Epochs, batchSize: 32, seed: 11);
    double accuracy = trainer.Evaluate(targetTest)["accuracy"];
    var (trainable, frozen) = model.ParameterCount();
    Console.WriteLine($"  {name,-44} test accuracy {accuracy:F4}  ({trainable:N0} trained, {frozen:N0} frozen parameters)");
    return accuracy;
}

// 2. From scratch on the 500 images, the same architecture.
Console.WriteLine($"classes 5-9 with 100 labelled images per class, {Epochs} epochs of Adam:");
double scratchAccuracy = TrainOnFew(Network(21), "from scratch");

// 3. Transfer: the saved model's convolutional layers (the first 5 modules), frozen, with a new dense head.
Sequential Head() => new(new Dense(32 * 7 * 7, 128, new Relu(), generator: new RandomGenerator(31)), new Dense(128, 5, generator: new RandomGenerator(32)));
double frozenAccuracy = TrainOnFew(TransferLearning.FromSaved(path, keepLayers: 5, Head()), "transferred convolutions frozen, new head");

// 4. Transfer with fine-tuning: the same, but the kept layers learn at a tenth of the rate.
double fineTunedAccuracy = TrainOnFew(TransferLearning.FromSaved(path, keepLayers: 5, Head(), learningRateScale: 0.1f),
    "transferred convolutions at 0.1x the rate");

Console.WriteLine($"transfer beats training from scratch by {100 * (Math.Max(frozenAccuracy, fineTunedAccuracy) - scratchAccuracy):+0.0;-0.0} points");

// 5. The zoo's LeNet-5 (as in 1998, trained on classes 0-4) as the source: its layers up to C5 and
// the flattening (120 features) kept, with a new head 120-84-5, against LeNet-5 from scratch.
ZooEntry zooEntry = ModelZoo.Describe("lenet5-fashion-0-4");
Console.WriteLine($"from the model zoo: {zooEntry.Name} ({zooEntry.TestAccuracy:F4} on its {zooEntry.TestSamples} test images of classes 0-4)");
Sequential LeNetHead() => new(new Dense(120, 84, new LecunTanh(), generator: new RandomGenerator(41)), new Dense(84, 5, generator: new RandomGenerator(42)));
double lenetScratch = TrainOnFew(Models.LeNet5(5, classic: true, new RandomGenerator(43)), "LeNet-5 from scratch");
double lenetFrozen = TrainOnFew(TransferLearning.Reuse((Sequential)ModelZoo.Load(zooEntry.Name), keepLayers: 8, LeNetHead()), "zoo LeNet-5 layers frozen, new head");
double lenetTuned = TrainOnFew(TransferLearning.Reuse((Sequential)ModelZoo.Load(zooEntry.Name), keepLayers: 8, LeNetHead(), learningRateScale: 0.1f),
    "zoo LeNet-5 layers at 0.1x the rate");
Console.WriteLine($"the zoo's LeNet-5 beats LeNet-5 from scratch by {100 * (Math.Max(lenetFrozen, lenetTuned) - lenetScratch):+0.0;-0.0} points");
foreach (string file in Directory.GetFiles(Path.GetTempPath(), "dendrite-transfer-source.*")) File.Delete(file);
Console.WriteLine($"total time {watch.Elapsed.TotalSeconds:F0} s");
