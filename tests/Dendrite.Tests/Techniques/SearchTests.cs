using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Techniques.Search;
using Dendrite.Training;
using Dendrite.Training.Metrics;

namespace Dendrite.Tests.Techniques;

public class SearchTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static SearchSpace Space() => new(
        Hyperparameter.LogUniform("lr", 1e-4, 1e-1),
        Hyperparameter.Uniform("dropout", 0, 0.5),
        Hyperparameter.Integer("hidden", 8, 64),
        Hyperparameter.Categorical("activation", "relu", "tanh"));

    [Fact]
    public void GridIsTheFullProductWithLogSpacedRates()
    {
        var grid = Space().Grid(3);
        Assert.Equal(3 * 3 * 3 * 2, grid.Count);
        double[] rates = grid.Select(c => c.Number("lr")).Distinct().Order().ToArray();
        Assert.Equal([1e-4, Math.Pow(10, -2.5), 1e-1], rates, new Tolerance(1e-9));
        Assert.Equal([8, 36, 64], grid.Select(c => c.Integer("hidden")).Distinct().Order());
        Assert.Equal(["relu", "tanh"], grid.Select(c => c.Choice("activation")).Distinct().Order());
    }

    private sealed class Tolerance(double relative) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= relative * Math.Max(Math.Abs(a), Math.Abs(b));
        public int GetHashCode(double value) => 0;
    }

    [Fact]
    public void RandomDrawsStayInRangeAreLogUniformAndReproducible()
    {
        var draws = Space().Random(2000, new RandomGenerator(3));
        Assert.All(draws, c =>
        {
            Assert.InRange(c.Number("lr"), 1e-4, 1e-1);
            Assert.InRange(c.Number("dropout"), 0, 0.5);
            Assert.InRange(c.Integer("hidden"), 8, 64);
            Assert.Contains(c.Choice("activation"), new[] { "relu", "tanh" });
        });
        // Log-uniform: each decade gets about a third of the draws.
        int lowDecade = draws.Count(c => c.Number("lr") < 1e-3);
        Assert.InRange(lowDecade, 560, 780);
        Assert.Contains(draws, c => c.Integer("hidden") == 8);
        Assert.Contains(draws, c => c.Integer("hidden") == 64);
        var again = Space().Random(2000, new RandomGenerator(3));
        Assert.Equal(draws.Select(c => c.ToString()), again.Select(c => c.ToString()));
    }

    [Fact]
    public void TrialsAreReproducibleAndIndependentOfParallelism()
    {
        // The objective uses only the trial's own generator: scores must not depend on threads.
        double Objective(Configuration c, TrialContext context) => -Math.Abs(Math.Log10(c.Number("lr")) + 2) + 0.01 * context.Generator.NextDouble();
        var sequential = HyperparameterSearch.Random(Space(), 12, Objective, seed: 5, maxParallelism: 1);
        var parallel = HyperparameterSearch.Random(Space(), 12, Objective, seed: 5, maxParallelism: 4);
        Assert.Equal(sequential.Trials.Select(t => (t.Index, t.Score)), parallel.Trials.Select(t => (t.Index, t.Score)));
        Assert.True(sequential.Trials.Zip(sequential.Trials.Skip(1)).All(p => p.First.Score >= p.Second.Score), "trials are sorted best first");
        Assert.Equal(HyperparameterSearch.TrialSeed(5, sequential.Best.Index), sequential.Best.Seed);
        output.WriteLine(sequential.ToTable());
    }

    private static Trainer Build(Configuration c, RandomGenerator generator)
    {
        var model = new Sequential(
            new Dense(64, c.Integer("hidden"), ActivationLayer.FromName(c.Choice("activation")), generator: generator),
            new Dropout(c.Float("dropout"), generator: generator.Split()),
            new Dense(c.Integer("hidden"), 10, generator: generator));
        return new Trainer(model, new Adam(model.Parameters(), c.Float("lr")), new CrossEntropy(), [new Accuracy()]);
    }

    [Fact]
    public void RealTrainingTrialsGiveTheSameScoresInParallel()
    {
        var (train, validation) = TechniquesData.DigitsSplit(seed: 2, test: 0.5);
        var small = train.Subset(Enumerable.Range(0, 300).ToArray());
        double Objective(Configuration c, TrialContext context) => HyperparameterSearch.ValidationScore(Build, c, context, small, validation, epochs: 2);
        var configurations = Space().Random(4, new RandomGenerator(9));
        var one = HyperparameterSearch.Run(configurations, Objective, seed: 1, maxParallelism: 1);
        var two = HyperparameterSearch.Run(configurations, Objective, seed: 1, maxParallelism: 2);
        output.WriteLine(one.ToTable("val_acc"));
        Assert.Equal(one.Trials.Select(t => (t.Index, t.Score)), two.Trials.Select(t => (t.Index, t.Score)));
    }

    [Fact]
    public void ASearchLeavesTheCallersDefaultGeneratorAsItWas()
    {
        RandomGenerator.SetDefaultSeed(123);
        float expected = new RandomGenerator(123).NextFloat();
        HyperparameterSearch.Random(Space(), 3, (c, _) => RandomGenerator.Default.NextDouble(), seed: 4);
        Assert.Equal(expected, RandomGenerator.Default.NextFloat());
    }

    [Fact]
    public void CoarseToFineNarrowsAroundTheBestConfiguration()
    {
        double Objective(Configuration c, TrialContext _) => -Math.Abs(Math.Log10(c.Number("lr")) + 2.5) - Math.Abs(c.Number("dropout") - 0.1);
        var (coarse, fine) = HyperparameterSearch.CoarseToFine(Space(), 20, 20, Objective, factor: 0.3, seed: 2);
        Configuration best = coarse.Best.Configuration;
        Assert.All(fine.Trials, t =>
        {
            Assert.Equal(best.Choice("activation"), t.Configuration.Choice("activation"));
            double decades = Math.Abs(Math.Log10(t.Configuration.Number("lr")) - Math.Log10(best.Number("lr")));
            Assert.True(decades <= 0.3 * 3 / 2 + 1e-9, $"lr {t.Configuration.Number("lr")} is {decades:F2} decades from the coarse best");
        });
        Assert.True(fine.Best.Score >= coarse.Best.Score - 0.2);
    }

    [Fact]
    public void CrossValidationAveragesTheFolds()
    {
        var (train, _) = TechniquesData.DigitsSplit(seed: 3, test: 0.8);
        var c = new Configuration([new("lr", 0.01), new("dropout", 0.0), new("hidden", 16), new("activation", "relu")]);
        double score = HyperparameterSearch.CrossValidationScore(Build, c, new TrialContext(0, 1, new RandomGenerator(1)), train, folds: 3, epochs: 3);
        output.WriteLine($"3-fold accuracy {score:F4}");
        Assert.InRange(score, 0.5, 1.0);
    }

    [Fact]
    public void BadRangesAreRejectedWithTheirName()
    {
        var error = Assert.Throws<ArgumentException>(() => Hyperparameter.LogUniform("lr", 0, 1));
        Assert.Contains("lr", error.Message);
        Assert.Throws<ArgumentException>(() => new SearchSpace(Hyperparameter.Uniform("a", 0, 1), Hyperparameter.Uniform("a", 0, 2)));
        Assert.Throws<KeyNotFoundException>(() => Space().Random(1, new RandomGenerator(1))[0].Number("momentum"));
    }
}
