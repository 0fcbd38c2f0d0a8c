using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Techniques.Classic;
using Dendrite.Training;
using Xunit.Abstractions;

namespace Dendrite.Tests.Techniques.Classic;

/// <summary>Multi-start keeps the run with the lowest validation loss, and restarts a run whose training error stalls.</summary>
public class MultiStartTests(ITestOutputHelper output)
{
    /// <summary>y = sin(3x) + noise on [−1, 1]: 60 training and 200 validation points.</summary>
    private static (Dataset Train, Dataset Validation) Data()
    {
        var generator = new RandomGenerator(8);
        Dataset Make(int n)
        {
            Tensor x = Tensor.Uniform([n, 1], -1f, 1f, generator);
            Tensor y = Tensor.FromArray(x.ToArray().Select(v => MathF.Sin(3 * v) + 0.05f * generator.NextNormal()).ToArray(), new Shape(n, 1));
            return Dataset.ForRegression(x, y);
        }
        return (Make(60), Make(200));
    }

    [Fact]
    public void TheTrainerKeepsTheRunWithTheLowestValidationLoss()
    {
        var (train, validation) = Data();
        var multiStart = new MultiStartTrainer(
            generator => Models.Mlp([1, 3, 1], () => new Tanh(), generator: generator),
            model => new Adam(model.Parameters(), 0.02f),
            new MeanSquaredError()) { Starts = 5, StallPatience = 0 };
        MultiStartResult result = multiStart.Fit(train, validation, epochs: 40, batchSize: 20, seed: 3);

        Assert.Equal(5, result.Runs.Count);
        foreach (var run in result.Runs)
            output.WriteLine($"start {run.Start} (seed {run.Seed}): training MSE {run.TrainingLoss:F4}, validation MSE {run.ValidationLoss:F4}{(ReferenceEquals(run, result.Best) ? "  <- kept" : "")}");
        Assert.Equal(result.Runs.Min(r => r.ValidationLoss), result.Best.ValidationLoss);
        Assert.True(result.Runs.Select(r => r.ValidationLoss).Distinct().Count() > 1, "the starts should differ");
        Assert.True(result.Runs.Max(r => r.ValidationLoss) > 1.2 * result.Best.ValidationLoss, "the seed should matter on this problem (the test's premise)");
        // The model returned is the best run's network, with its weights.
        double reEvaluated = new Trainer(result.Model, new Sgd(result.Model.Parameters(), 0f), new MeanSquaredError()).Evaluate(validation)["loss"];
        Assert.Equal(result.Best.ValidationLoss, reEvaluated, 6);
    }

    [Fact]
    public void TheSameSeedRepeatsEveryStart()
    {
        var (train, validation) = Data();
        MultiStartResult Run() => new MultiStartTrainer(
            generator => Models.Mlp([1, 3, 1], () => new Tanh(), generator: generator),
            model => new Adam(model.Parameters(), 0.02f),
            new MeanSquaredError()) { Starts = 2, StallPatience = 0 }.Fit(train, validation, epochs: 5, batchSize: 20, seed: 9);
        Assert.Equal(Run().Runs.Select(r => r.ValidationLoss), Run().Runs.Select(r => r.ValidationLoss));
    }

    [Fact]
    public void AStalledRunIsAbandonedAndItsEpochsGoToFurtherStarts()
    {
        var (train, validation) = Data();
        // A learning rate of zero: the training loss never moves, so every run stalls after 4 epochs
        // (the first sets the best, three more without progress); 5 starts use the budget of 20.
        var multiStart = new MultiStartTrainer(
            generator => Models.Mlp([1, 3, 1], () => new Tanh(), generator: generator),
            model => new Sgd(model.Parameters(), 0f),
            new MeanSquaredError()) { Starts = 5, StallPatience = 3, EpochBudget = 20 };
        MultiStartResult result = multiStart.Fit(train, validation, epochs: 50, batchSize: 20);
        Assert.Equal(5, result.Runs.Count);
        Assert.All(result.Runs, r => Assert.True(r.Stalled));
        Assert.All(result.Runs, r => Assert.Equal(4, r.Epochs));

        // With a budget of 10 epochs only 3 starts fit (4 + 4 + 2).
        var budgeted = new MultiStartTrainer(
            generator => Models.Mlp([1, 3, 1], () => new Tanh(), generator: generator),
            model => new Sgd(model.Parameters(), 0f),
            new MeanSquaredError()) { Starts = 5, StallPatience = 3, EpochBudget = 10 }.Fit(train, validation, epochs: 50, batchSize: 20);
        Assert.Equal([4, 4, 2], budgeted.Runs.Select(r => r.Epochs));
    }

    [Fact]
    public void TheGenericFormScoresAnyTrainingMethod()
    {
        int calls = 0;
        double[] scores = [0.5, 0.2, 0.9, 0.2];
        MultiStartResult result = MultiStart.Run(4, _ => { calls++; return new Dense(1, 1); }, _ => scores[calls - 1], seed: 1);
        Assert.Equal(4, calls);
        Assert.Equal(1, result.Best.Start);   // ties go to the earlier start
        Assert.Equal(0.2, result.Best.ValidationLoss);
        MultiStartResult withNaN = MultiStart.Run(2, _ => new Dense(1, 1), model => double.NaN, seed: 1);
        Assert.Equal(0, withNaN.Best.Start);
    }
}
