// Extreme learning machines: a random, fixed hidden layer and output weights solved in closed form
// by regularised least squares, β = (HᵀH + λI)⁻¹HᵀT. On the digits and on Fashion-MNIST, against a
// backpropagation-trained MLP of the same width, with the time each takes.
using System.Diagnostics;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Ops;
using Dendrite.Optim;
using Dendrite.Techniques.Elm;
using Dendrite.Tensors;
using Dendrite.Training;
using Dendrite.Training.Metrics;

Dataset digits = Datasets.Digits();
digits = digits.WithFeatures(digits.Features * (1f / 16f));
var (digitsTrain, digitsTest) = Splits.TrainValidation(digits, 0.3, new RandomGenerator(42), stratified: true);
Run("digits", digitsTrain, digitsTest, [100, 400, 1000], lambda: 0.1f, mlpEpochs: 30);

Dataset fashionTrain = Datasets.FashionMnist(train: true);
Dataset fashionTest = Datasets.FashionMnist(train: false);
fashionTrain = fashionTrain.Subset(new RandomGenerator(1).Permutation(fashionTrain.Count).AsSpan(0, 20000));
Run("Fashion-MNIST (20,000 training images)", fashionTrain, fashionTest, [500, 2000], lambda: 1f, mlpEpochs: 5);

static void Run(string name, Dataset train, Dataset test, int[] widths, float lambda, int mlpEpochs)
{
    Console.WriteLine($"{name}: {train.Count} training and {test.Count} test samples");
    foreach (int hidden in widths)
    {
        var watch = Stopwatch.StartNew();
        var elm = new ExtremeLearningMachine(train.FeatureCount, hidden, train.NumClasses, new Sigmoid(), new RandomGenerator(7));
        elm.Fit(train, regularization: lambda);
        double seconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine($"  ELM, {hidden,4} random sigmoid units, lambda {lambda}: train {Accuracy(elm, train):F4}, test {Accuracy(elm, test):F4}  ({seconds:F1} s, closed form)");
    }
    var stopwatch = Stopwatch.StartNew();
    int width = widths[^1];
    var mlp = new Sequential(new Dense(train.FeatureCount, width, new Sigmoid(), generator: new RandomGenerator(7)), new Dense(width, train.NumClasses, generator: new RandomGenerator(8)));
    new Trainer(mlp, new Adam(mlp.Parameters(), 1e-3f), new CrossEntropy()).Fit(train, mlpEpochs, 64, seed: 1);
    Console.WriteLine($"  MLP, {width,4} sigmoid units trained by backprop ({mlpEpochs} epochs of Adam): train {Accuracy(mlp, train):F4}, test {Accuracy(mlp, test):F4}  ({stopwatch.Elapsed.TotalSeconds:F1} s)");
}

static double Accuracy(Module model, Dataset data)
{
    var accuracy = new Accuracy();
    accuracy.Update(Trainer.Predict(model, data.Features), data.Targets);
    return accuracy.Result;
}
