// Model selection on the UCI digits: grid search and random search with the same budget of 16
// trials over four hyper-parameters - the learning rate and the L2 strength (drawn log-uniformly,
// as the seeds advise), the hidden width and the dropout rate - each trial a fresh MLP trained with
// SGD and momentum for 15 epochs and scored on a validation split. Only the learning rate matters
// much here: the grid (2 values per hyper-parameter, 2^4 = 16 trials) tries 2 learning rates, random
// search 16 (Bergstra and Bengio 2012); then a coarse-to-fine refinement around the best random configuration, and the winner
// retrained on training + validation data and evaluated once on the test split. Trials run two
// at a time; each has its own seed and generator, so the tables are the same on any machine.
using System.Diagnostics;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.NN.Regularizers;
using Dendrite.Optim;
using Dendrite.Techniques.Search;
using Dendrite.Tensors;
using Dendrite.Training;
using Dendrite.Training.Metrics;

var watch = Stopwatch.StartNew();
Dataset digits = Datasets.Digits();
digits = digits.WithFeatures(Dendrite.Ops.TensorOps.Multiply(digits.Features, 1f / 16f));
var (trainRows, validationRows, testRows) = Splits.TrainValidationTestIndices(digits, 0.6, 0.2, 0.2, new RandomGenerator(42), stratified: true);
Dataset train = digits.Subset(trainRows), validation = digits.Subset(validationRows), test = digits.Subset(testRows);
const int Epochs = 15, Trials = 16;

var space = new SearchSpace(
    Hyperparameter.LogUniform("learning_rate", 1e-3, 1),
    Hyperparameter.LogUniform("l2", 1e-6, 1e-2),
    Hyperparameter.Integer("hidden", 16, 128),
    Hyperparameter.Uniform("dropout", 0, 0.5));

Trainer Build(Configuration c, RandomGenerator generator)
{
    int hidden = c.Integer("hidden");
    var l2 = Regularizer.L2(c.Float("l2"));
    var model = new Sequential(
        new Dense(64, hidden, new Relu(), weightRegularizer: l2, generator: generator),
        new Dropout(c.Float("dropout"), generator: generator.Split()),
        new Dense(hidden, 10, weightRegularizer: l2, generator: generator));
    return new Trainer(model, new Sgd(model.Parameters(), c.Float("learning_rate"), momentum: 0.9f), new CrossEntropy(), [new Accuracy()]);
}

double Objective(Configuration c, TrialContext context) =>
    HyperparameterSearch.ValidationScore(Build, c, context, train, validation, Epochs, batchSize: 32);

// The grid spends its 16 trials on 2 values of each of the 4 hyper-parameters; random search tries 16 of each.
var grid = HyperparameterSearch.Grid(space, 2, Objective, seed: 1, maxParallelism: 2);
var random = HyperparameterSearch.Random(space, Trials, Objective, seed: 1, maxParallelism: 2);
Console.WriteLine($"Grid search, {grid.Trials.Count} trials ({Epochs} epochs each, validation accuracy):");
Console.Write(grid.ToTable("val_acc"));
Console.WriteLine();
Console.WriteLine($"Random search, {random.Trials.Count} trials:");
Console.Write(random.ToTable("val_acc"));
Console.WriteLine();
Console.WriteLine($"best grid {grid.Best.Score:F4} ({grid.Best.Configuration}); best random {random.Best.Score:F4} ({random.Best.Configuration})");
Console.WriteLine(random.Best.Score >= grid.Best.Score ? "random search found a configuration at least as good as the grid's" : "the grid won this time");
Console.WriteLine($"distinct learning rates tried: grid {grid.Trials.Select(t => t.Configuration.Number("learning_rate")).Distinct().Count()}, random {random.Trials.Select(t => t.Configuration.Number("learning_rate")).Distinct().Count()}");

// Coarse to fine: 8 more random trials in a range 30% as wide (in decades) around the best.
SearchSpace fineSpace = space.Refine(random.Best.Configuration, factor: 0.3);
var fine = HyperparameterSearch.Random(fineSpace, 8, Objective, seed: 2, maxParallelism: 2);
Console.WriteLine();
Console.WriteLine($"Refined search over {fineSpace}:");
Console.Write(fine.ToTable("val_acc"));

// The winner, retrained on train + validation with its own seed, evaluated once on the test split.
Trial best = new[] { grid.Best, random.Best, fine.Best }.OrderByDescending(t => t.Score).First();
Dataset trainAndValidation = digits.Subset([.. trainRows, .. validationRows]);
var final = Build(best.Configuration, new RandomGenerator(best.Seed));
final.Fit(trainAndValidation, Epochs, 32, seed: best.Seed);
Console.WriteLine();
Console.WriteLine($"selected {best.Configuration} (validation {best.Score:F4}); retrained on train+validation: test accuracy {final.Evaluate(test)["accuracy"]:F4}");
Console.WriteLine($"total time {watch.Elapsed.TotalSeconds:F0} s");

