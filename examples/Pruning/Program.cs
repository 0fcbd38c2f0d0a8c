// Pruning a Fashion-MNIST MLP: train 784-300-100-10, then prune connections by magnitude in rounds
// (50%, 75%, 90%, 95% of the weights) with retraining in between, and print accuracy against
// sparsity; then prune whole hidden units, which really shrinks the layers. Pruned weights stay at
// zero through retraining because the mask is re-applied after every optimiser step.
using System.Diagnostics;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Ops;
using Dendrite.Optim;
using Dendrite.Plots;
using Dendrite.Techniques.Pruning;
using Dendrite.Tensors;
using Dendrite.Training;
using Dendrite.Training.Metrics;

var watch = Stopwatch.StartNew();
Dataset train = Datasets.FashionMnist(train: true);
Dataset test = Datasets.FashionMnist(train: false);
var generator = new RandomGenerator(42);
var model = Models.Mlp([784, 300, 100, 10], generator: generator);
var trainer = new Trainer(model, new Adam(model.Parameters(), 1e-3f), new CrossEntropy(), [new Accuracy()]);
trainer.Fit(train, epochs: 10, batchSize: 128, seed: 1);
double Accuracy() => trainer.Evaluate(test)["accuracy"];
Console.WriteLine($"dense network: {model.ParameterCount().Trainable:N0} parameters, test accuracy {Accuracy():F4} ({watch.Elapsed.TotalSeconds:F0} s)");

// Iterative global magnitude pruning with 2 epochs of retraining per round at a lower rate.
var mask = PruningMask.ForWeights(model);
var retrainer = new Trainer(model, new Adam(model.Parameters(), 3e-4f), new CrossEntropy(), [new Accuracy()]);
PruningReport report = MagnitudePruning.Iterative(mask, [0.5, 0.75, 0.9, 0.95], Accuracy,
    round => retrainer.Fit(train, epochs: 2, batchSize: 128, seed: 100 + round, callbacks: [mask.AsCallback()]));
Console.WriteLine();
Console.WriteLine("Magnitude pruning of connections (global threshold), test accuracy against sparsity:");
Console.Write(report.ToTable("accuracy", tolerance: 0.01));
foreach (Parameter p in mask.Parameters)
    Console.WriteLine($"  {p.Name} {p.Shape}: {mask.SparsityOf(p):P1} pruned");
var at90 = report.Rows.First(r => Math.Abs(r.Sparsity - 0.9) < 1e-3);
Console.WriteLine("plot: " + FunctionPlots.SaveCurve(Path.Combine(AppContext.BaseDirectory, "plots", "accuracy-vs-sparsity.png"), [.. report.Rows.Select(r => 100 * r.Sparsity)], [.. report.Rows.Select(r => r.AfterRetraining)],
    "weights pruned (%)", "test accuracy after retraining", title: "Magnitude pruning of a Fashion-MNIST MLP"));
Console.WriteLine($"at 90% sparsity: {at90.AfterRetraining:F4} vs dense {report.Baseline:F4} (change {100 * (at90.AfterRetraining - report.Baseline):+0.00;-0.00} points)");

// Neuron pruning on a fresh dense network: drop half of each hidden layer's units by outgoing
// weight norm, then retrain one epoch; the layers really shrink.
Console.WriteLine();
var dense = Models.Mlp([784, 300, 100, 10], generator: new RandomGenerator(7));
new Trainer(dense, new Adam(dense.Parameters(), 1e-3f), new CrossEntropy()).Fit(train, epochs: 5, batchSize: 128, seed: 2);
double Evaluate(Sequential m) => new Trainer(m, new Sgd(m.Parameters()), new CrossEntropy(), [new Accuracy()]).Evaluate(test)["accuracy"];
Console.WriteLine($"neuron pruning: dense {dense.ParameterCount().Trainable:N0} parameters, accuracy {Evaluate(dense):F4}");
var (smaller, _) = NeuronPruning.Prune(dense, 0, keep: 150, NeuronCriterion.OutgoingWeightNorm);
(smaller, _) = NeuronPruning.Prune(smaller, 1, keep: 50, NeuronCriterion.MeanAbsoluteActivation, train.Features.Narrow(0, 0, 5000));
Console.WriteLine($"  after removing 150 of 300 and 50 of 100 units: {smaller.ParameterCount().Trainable:N0} parameters, accuracy {Evaluate(smaller):F4} before retraining");
new Trainer(smaller, new Adam(smaller.Parameters(), 3e-4f), new CrossEntropy()).Fit(train, epochs: 1, batchSize: 128, seed: 3);
Console.WriteLine($"  after one epoch of retraining: accuracy {Evaluate(smaller):F4}");
Console.WriteLine($"total time {watch.Elapsed.TotalSeconds:F0} s");
