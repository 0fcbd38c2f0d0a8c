// LeNet-5 on Fashion-MNIST: the network of LeCun et al. (1998) adapted to 28x28 images with
// padding 2, trained with SGD and momentum, then its test accuracy and confusion matrix.
//   dotnet run -c Release --project examples/LeNet5FashionMnist [-- --modern] [--epochs N]
using System.Diagnostics;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Optim.Schedules;
using Dendrite.Tensors;
using Dendrite.Training;
using Dendrite.Training.Callbacks;
using Dendrite.Training.Metrics;

bool modern = args.Contains("--modern");
int epochs = args.SkipWhile(a => a != "--epochs").Skip(1).Select(int.Parse).FirstOrDefault(10);

Dataset train, test;
try
{
    train = Datasets.FashionMnist(train: true, asImages: true);
    test = Datasets.FashionMnist(train: false, asImages: true);
}
catch (DatasetNotFoundException error)
{
    Console.Error.WriteLine(error.Message);
    return 1;
}
var (fit, validation) = Splits.TrainValidation(train, 0.1, new RandomGenerator(1), stratified: true);

RandomGenerator.SetDefaultSeed(1);
Sequential model = Models.LeNet5(classes: 10, classic: !modern, generator: new RandomGenerator(1));
Console.WriteLine(ModelSummary.Create(model, [1, 28, 28]));

var optimizer = new Sgd(model.Parameters(), learningRate: 0.05f, momentum: 0.9f);
var trainer = new Trainer(model, optimizer, new CrossEntropy(), [new Accuracy()]);
var clock = Stopwatch.StartNew();
trainer.Fit(fit, epochs, batchSize: 64, validation,
    callbacks: [new ProgressBar(), new LearningRateScheduler(new CosineAnnealingWarmRestarts(0.05f, epochs))], seed: 1);

var confusion = new ConfusionMatrix(10);
confusion.Update(trainer.Predict(test.Features), test.Targets);
Console.WriteLine();
Console.Write(confusion.Format(test.ClassNames));
Console.WriteLine($"LeNet-5 ({(modern ? "modern: ReLU, max pooling" : "1998: scaled tanh, trainable subsampling, sparse C3")}), {epochs} epochs in {clock.Elapsed.TotalSeconds:F0} s");
Console.WriteLine($"test accuracy: {confusion.Accuracy:F4}");
return 0;
