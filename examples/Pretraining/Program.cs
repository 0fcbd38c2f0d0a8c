// Autoencoders and greedy pre-training on Fashion-MNIST (the seeds' "effect of pre-training").
// 1. A deep sigmoid network, 784-500-300-200-100-50-10 (five hidden layers), on 1,000 labelled
//    images (100 per class): trained from random initialisation, versus initialised by greedy
//    layer-wise pre-training on 20,000 unlabelled images (stacked denoising autoencoders, and RBMs
//    as a deep belief network), then fine-tuned with the same optimiser for the same epochs.
// 2. Dimension reduction to two numbers per image: a deep autoencoder's 2-D codes against 2-D PCA,
//    compared by test reconstruction error; both sets of codes are drawn as PNGs (the paths are printed).
using System.Diagnostics;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Ops;
using Dendrite.Optim;
using Dendrite.Plots;
using Dendrite.Techniques.Pretraining;
using Dendrite.Tensors;
using Dendrite.Training;
using Dendrite.Training.Metrics;

var watch = Stopwatch.StartNew();
Dataset fullTrain = Datasets.FashionMnist(train: true);
Dataset test = Datasets.FashionMnist(train: false);
var generator = new RandomGenerator(2024);
int[] order = generator.Permutation(fullTrain.Count);
int[] labels = fullTrain.ClassIndices();
int[] labelledRows = [.. Enumerable.Range(0, 10).SelectMany(c => order.Where(i => labels[i] == c).Take(100))];
Dataset labelled = fullTrain.Subset(labelledRows);
Tensor unlabelled = fullTrain.Subset(order.AsSpan(0, 20000)).Features;
int[] sizes = [784, 500, 300, 200, 100, 50];
const int FineTuneEpochs = 30;

double FineTune(Sequential model, long seed)
{
    var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1f, momentum: 0.9f), new CrossEntropy(), [new Accuracy()]);
    trainer.Fit(labelled, FineTuneEpochs, batchSize: 32, seed: seed);
    return trainer.Evaluate(test)["accuracy"];
}

// Random initialisation (Glorot uniform with the sigmoid gain 4, the library's default).
var scratch = Models.Mlp([.. sizes, 10], activation: () => new Sigmoid(), generator: new RandomGenerator(1));
double scratchAccuracy = FineTune(scratch, seed: 5);
Console.WriteLine($"random init, {FineTuneEpochs} epochs of SGD on 1,000 labels: test accuracy {scratchAccuracy:F4} ({watch.Elapsed.TotalSeconds:F0} s)");

// Greedy layer-wise pre-training with denoising autoencoders (each layer on the codes of the one below).
var encoders = GreedyPretraining.StackedAutoencoders(unlabelled, sizes, () => new Sigmoid(), epochs: 4, batchSize: 64, learningRate: 1e-3f,
    corruption: 0.2f, generator: new RandomGenerator(1),
    onLayer: (layer, error) => Console.WriteLine($"  autoencoder {sizes[layer]}-{sizes[layer + 1]}-{sizes[layer]}: reconstruction MSE {error:F4}"));
var pretrained = GreedyPretraining.Classifier(encoders, 10, new RandomGenerator(1));
double pretrainedAccuracy = FineTune(pretrained, seed: 5);
Console.WriteLine($"stacked-autoencoder pre-training + the same fine-tuning: test accuracy {pretrainedAccuracy:F4} ({watch.Elapsed.TotalSeconds:F0} s)");

// The same with RBMs trained by CD-1 (a deep belief network's initialisation).
var rbmLayers = GreedyPretraining.DeepBeliefNetwork(unlabelled, sizes, epochs: 5, batchSize: 64, learningRate: 0.1f, k: 1, generator: new RandomGenerator(1),
    onLayer: (layer, error) => Console.WriteLine($"  RBM {sizes[layer]}<->{sizes[layer + 1]}: reconstruction MSE {error:F4}"));
var dbn = GreedyPretraining.Classifier(rbmLayers, 10, new RandomGenerator(1));
double dbnAccuracy = FineTune(dbn, seed: 5);
Console.WriteLine($"RBM (DBN) pre-training + the same fine-tuning: test accuracy {dbnAccuracy:F4} ({watch.Elapsed.TotalSeconds:F0} s)");
Console.WriteLine($"effect of pre-training: {100 * (pretrainedAccuracy - scratchAccuracy):+0.0;-0.0} points (autoencoders), {100 * (dbnAccuracy - scratchAccuracy):+0.0;-0.0} points (RBMs)");

// 2-D codes: deep autoencoder 784-512-128-2-128-512-784 versus PCA with two components.
Console.WriteLine();
Tensor pcaTrain = unlabelled.Narrow(0, 0, 20000).Contiguous();
Pca pca = Pca.Fit(pcaTrain, 2);
double pcaError = pca.ReconstructionError(test.Features);
var autoencoder = Autoencoder.Dense(784, [512, 128, 2], () => new Elu(), outputActivation: () => new Sigmoid(), linearCode: true, generator: new RandomGenerator(3));
autoencoder.Fit(pcaTrain, epochs: 25, batchSize: 128, learningRate: 1e-3f, seed: 4);
double autoencoderError = autoencoder.ReconstructionError(test.Features);
Console.WriteLine($"2-D codes, test reconstruction MSE per pixel: PCA {pcaError:F4} ({100 * (pca.ExplainedVariance[0] + pca.ExplainedVariance[1]) / pca.TotalVariance:F1}% of the variance), deep autoencoder {autoencoderError:F4}");
Console.WriteLine(autoencoderError < pcaError ? "the autoencoder's 2-D codes reconstruct better than PCA's" : "PCA reconstructs better this time");
Tensor shown = test.Features.Narrow(0, 0, 3000).Contiguous();
int[] shownClasses = test.ClassIndices()[..3000];
Console.WriteLine($"plots: {ScatterPlots.SaveCodes(Path.Combine(AppContext.BaseDirectory, "plots", "autoencoder-codes.png"), autoencoder.Encode(shown), shownClasses, Datasets.FashionMnistClassNames, "deep autoencoder, 2-D codes of 3,000 test images")}");
Console.WriteLine($"       {ScatterPlots.SaveCodes(Path.Combine(AppContext.BaseDirectory, "plots", "pca-codes.png"), pca.Transform(shown), shownClasses, Datasets.FashionMnistClassNames, "PCA, first two components of 3,000 test images")}");
Console.WriteLine($"total time {watch.Elapsed.TotalSeconds:F0} s");
