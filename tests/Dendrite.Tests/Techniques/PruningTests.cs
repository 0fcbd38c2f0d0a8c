using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Techniques;
using Dendrite.Techniques.Pruning;
using Dendrite.Training;

namespace Dendrite.Tests.Techniques;

public class PruningTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static Sequential SmallNet(long seed, int hidden = 6) =>
        new(new Dense(2, hidden, new Tanh(), generator: new RandomGenerator(seed)), new Dense(hidden, 1, generator: new RandomGenerator(seed + 1)));

    private static Sequential TrainedRegressionNet(Tensor x, Tensor t, long seed = 3, int hidden = 6)
    {
        var model = SmallNet(seed, hidden);
        var trainer = new Trainer(model, new Adam(model.Parameters(), 0.02f), new MeanSquaredError());
        trainer.Fit(Dataset.ForRegression(x, t), epochs: 300, batchSize: 200, seed: 1);
        return model;
    }

    private static double Loss(Module model, Tensor x, Tensor t)
    {
        using var _ = new NoGrad();
        return new MeanSquaredError().Compute(model.Forward(x), t).Item();
    }

    [Fact]
    public void GlobalMagnitudePruningReachesTheTargetAndRemovesTheSmallestWeights()
    {
        var model = SmallNet(1, hidden: 20);
        var mask = PruningMask.ForWeights(model);
        Assert.Equal(2 * 20 + 20, mask.TotalCount);
        float[] before = mask.Parameters.SelectMany(p => p.ToArray()).Select(MathF.Abs).Order().ToArray();
        MagnitudePruning.Prune(mask, 0.5);
        Assert.Equal(0.5, mask.Sparsity, 3);
        float threshold = before[29];
        foreach (Parameter p in mask.Parameters)
        {
            Span<float> keep = mask.KeepMask(p);
            ReadOnlySpan<float> w = p.Data;
            for (int i = 0; i < w.Length; i++)
                if (keep[i] == 0f) Assert.Equal(0f, w[i]);
                else Assert.True(MathF.Abs(w[i]) >= threshold);
        }
        // Biases are never masked.
        Assert.DoesNotContain(mask.Parameters, p => p.Rank == 1);
    }

    [Fact]
    public void PerLayerPruningGivesEveryLayerTheTargetSparsity()
    {
        var model = SmallNet(2, hidden: 10);
        var mask = PruningMask.ForWeights(model);
        MagnitudePruning.Prune(mask, 0.6, PruningScope.PerLayer);
        foreach (Parameter p in mask.Parameters) Assert.Equal(0.6, mask.SparsityOf(p), 2);
        // A second, higher target keeps the earlier prunings.
        var pruned = mask.Parameters.Select(p => mask.KeepMask(p).ToArray()).ToList();
        MagnitudePruning.Prune(mask, 0.8, PruningScope.PerLayer);
        for (int k = 0; k < pruned.Count; k++)
            for (int i = 0; i < pruned[k].Length; i++)
                if (pruned[k][i] == 0f) Assert.Equal(0f, mask.KeepMask(mask.Parameters[k])[i]);
    }

    [Fact]
    public void PrunedWeightsStayZeroThroughRetrainingWithTheCallback()
    {
        var (train, _) = TechniquesData.DigitsSplit();
        var model = new Sequential(new Dense(64, 32, new Relu(), generator: new RandomGenerator(1)), new Dense(32, 10, generator: new RandomGenerator(2)));
        var mask = PruningMask.ForWeights(model);
        MagnitudePruning.Prune(mask, 0.7);
        var trainer = new Trainer(model, new Adam(model.Parameters(), 0.01f), new CrossEntropy());
        trainer.Fit(train, epochs: 2, batchSize: 64, callbacks: [mask.AsCallback()]);
        foreach (Parameter p in mask.Parameters)
        {
            Span<float> keep = mask.KeepMask(p);
            ReadOnlySpan<float> w = p.Data;
            for (int i = 0; i < w.Length; i++) if (keep[i] == 0f) Assert.Equal(0f, w[i]);
        }
        Assert.Equal(0.7, mask.Sparsity, 2);
    }

    [Fact]
    public void IterativePruningReportsEveryRound()
    {
        var (x, t) = TechniquesData.SmoothRegression(100, seed: 4);
        var model = SmallNet(5, hidden: 12);
        var mask = PruningMask.ForWeights(model);
        var trainer = new Trainer(model, new Adam(model.Parameters(), 0.02f), new MeanSquaredError());
        var data = Dataset.ForRegression(x, t);
        trainer.Fit(data, 100, 100);
        PruningReport report = MagnitudePruning.Iterative(mask, [0.25, 0.5], () => -Loss(model, x, t),
            round => trainer.Fit(data, 30, 100, callbacks: [mask.AsCallback()]));
        output.WriteLine(report.ToTable("-mse"));
        Assert.Equal(3, report.Rows.Count);
        Assert.Equal(0.5, report.Rows[^1].Sparsity, 2);
        Assert.True(report.Rows[^1].AfterRetraining >= report.Rows[^1].AfterPruning - 1e-6, "retraining should not make the pruned network worse");
        Assert.Contains("sparsity", report.ToTable());
    }

    [Fact]
    public void NeuronPruningShrinksTheLayerAndTheNextAndKeepsTheFunctionWhenTheRemovedUnitsAreSilent()
    {
        var model = new Sequential(new Dense(3, 5, new Relu(), generator: new RandomGenerator(1)), new Dropout(0.1f), new Dense(5, 2, generator: new RandomGenerator(2)));
        var next = (Dense)model[2];
        // Units 1 and 3 have no outgoing weights: the next layer ignores them.
        for (int o = 0; o < 2; o++) { next.Weight[o, 1] = 0f; next.Weight[o, 3] = 0f; }
        var (pruned, kept) = NeuronPruning.Prune(model, 0, keep: 3, NeuronCriterion.OutgoingWeightNorm);
        Assert.Equal([0, 2, 4], kept);
        Assert.Equal(3, ((Dense)pruned[0]).OutFeatures);
        Assert.Equal(3, ((Dense)pruned[2]).InFeatures);
        Assert.Equal(3 * 3 + 3 + 3 * 2 + 2, pruned.ParameterCount().Trainable);
        Tensor x = Tensor.Randn([7, 3], new RandomGenerator(3));
        float[] before = Trainer.Predict(model, x).ToArray(), after = Trainer.Predict(pruned, x).ToArray();
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i], 5);
    }

    [Fact]
    public void NeuronPruningByActivationRemovesDeadUnits()
    {
        var model = new Sequential(new Dense(2, 4, new Relu(), generator: new RandomGenerator(4)), new Dense(4, 1, generator: new RandomGenerator(5)));
        var first = (Dense)model[0];
        first.Bias![2] = -100f; // unit 2 never fires
        Tensor x = Tensor.Uniform([50, 2], -1f, 1f, new RandomGenerator(6));
        float[] scores = NeuronPruning.Scores(model, 0, NeuronCriterion.MeanAbsoluteActivation, x);
        Assert.Equal(0f, scores[2]);
        var (pruned, kept) = NeuronPruning.Prune(model, 0, 3, NeuronCriterion.MeanAbsoluteActivation, x);
        Assert.DoesNotContain(2, kept);
        float[] before = Trainer.Predict(model, x).ToArray(), after = Trainer.Predict(pruned, x).ToArray();
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i], 4);
        Assert.Throws<ArgumentException>(() => NeuronPruning.Prune(model, 1, 1));
    }

    [Fact]
    public void ObsCorrectionOnALinearModelLandsOnTheConstrainedLeastSquaresSolution()
    {
        // For a linear model and squared error the outer-product Hessian is exact, so one OBS step
        // gives the least-squares fit with the removed weight held at zero: zero gradient elsewhere.
        var generator = new RandomGenerator(7);
        Tensor x = Tensor.Randn([60, 4], generator);
        var truth = Tensor.FromArray([1.5f, -2f, 0.05f, 0.7f], new Shape(4, 1));
        Tensor t = x.MatMul(truth) + 0.3f + Tensor.Randn([60, 1], generator) * 0.1f;
        var model = new Sequential(new Dense(4, 1, generator: generator));
        var trainer = new Trainer(model, new Adam(model.Parameters(), 0.05f), new MeanSquaredError());
        trainer.Fit(Dataset.ForRegression(x, t), 400, 60);
        var mask = PruningMask.ForWeights(model);
        var removed = OptimalBrainSurgeon.Prune(model, x, 1, mask, damping: 0);
        Assert.Single(removed);
        Assert.Equal(2, removed[0].Index); // the weight of the nearly irrelevant third input
        var dense = (Dense)model[0];
        Assert.Equal(0f, dense.Weight[0, 2]);
        model.ZeroGrad();
        Tensor loss = (model.Forward(x) - t).Square().Sum() * 0.5f;
        loss.Backward();
        float[] gw = dense.Weight.Grad!.ToArray();
        float gb = dense.Bias!.Grad!.Item();
        for (int i = 0; i < 4; i++) if (i != 2) Assert.True(MathF.Abs(gw[i]) < 2e-3f, $"gradient of w{i} = {gw[i]}");
        Assert.True(MathF.Abs(gb) < 2e-3f, $"gradient of b = {gb}");
    }

    [Fact]
    public void ObsRemovesWeightsWithASmallerLossIncreaseThanMagnitudePruning()
    {
        var (x, t) = TechniquesData.SmoothRegression(200, seed: 8);
        var trained = TrainedRegressionNet(x, t, hidden: 8);
        double baseline = Loss(trained, x, t);
        var state = trained.StateDict().ToDictionary(kv => kv.Key, kv => Tensor.FromArray(kv.Value.ToArray(), kv.Value.Shape));
        const int count = 10;

        var magnitude = TrainedCopy(state);
        var magnitudeMask = PruningMask.ForWeights(magnitude);
        MagnitudePruning.Prune(magnitudeMask, (double)count / magnitudeMask.TotalCount);
        Assert.Equal(count, magnitudeMask.PrunedCount);
        double magnitudeLoss = Loss(magnitude, x, t);

        var obs = TrainedCopy(state);
        var obsMask = PruningMask.ForWeights(obs);
        var removed = OptimalBrainSurgeon.Prune(obs, x, count, obsMask);
        Assert.Equal(count, removed.Count);
        Assert.Equal(count, obsMask.PrunedCount);
        double obsLoss = Loss(obs, x, t);

        var obd = TrainedCopy(state);
        var obdMask = PruningMask.ForWeights(obd);
        OptimalBrainDamage.Prune(obd, x, count, obdMask);
        double obdLoss = Loss(obd, x, t);

        output.WriteLine($"baseline {baseline:E3}; after removing {count} of {obsMask.TotalCount} weights: magnitude {magnitudeLoss:E3}, OBD {obdLoss:E3}, OBS {obsLoss:E3}");
        Assert.True(obsLoss - baseline < magnitudeLoss - baseline, $"OBS increase {obsLoss - baseline:E3} should be below magnitude's {magnitudeLoss - baseline:E3}");
        Assert.True(obsLoss < obdLoss, "OBS corrects the remaining weights, OBD does not");
    }

    private static Sequential TrainedCopy(Dictionary<string, Tensor> state)
    {
        var model = SmallNet(3, hidden: 8);
        model.LoadStateDict(state);
        return model;
    }

    [Fact]
    public void TheOutputJacobianOfALinearLayerIsItsInputAndTheGaussNewtonMatrixItsAverageOuterProduct()
    {
        // y_k = Σ_i W_ki x_i + b_k: ∂y_k/∂W_ki = x_i, ∂y_k/∂b_k = 1, zero elsewhere.
        var model = new Sequential(new Dense(3, 2, generator: new RandomGenerator(10)));
        var vector = ParameterVector.Trainable(model);
        Tensor x = Tensor.Randn([4, 3], new RandomGenerator(11));
        double[,] jacobian = Curvature.OutputJacobian(model, vector, x);
        Assert.Equal(4 * 2, jacobian.GetLength(0));
        Assert.Equal(2 * 3 + 2, jacobian.GetLength(1));
        for (int n = 0; n < 4; n++)
            for (int k = 0; k < 2; k++)
                for (int j = 0; j < 8; j++)
                {
                    double expected = j < 6 ? (j / 3 == k ? x[n, j % 3] : 0) : (j - 6 == k ? 1 : 0);
                    Assert.Equal(expected, jacobian[n * 2 + k, j], 6);
                }
        double[,] q = Curvature.GaussNewton(model, vector, x);
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++)
            {
                double sum = 0;
                for (int r = 0; r < 8; r++) sum += jacobian[r, i] * jacobian[r, j];
                Assert.Equal(sum / 4, q[i, j], 6);
            }
    }

    [Fact]
    public void ParameterVectorRoundTripsAndLocatesElements()
    {
        var model = SmallNet(9, hidden: 3);
        var vector = ParameterVector.Trainable(model);
        Assert.Equal(2 * 3 + 3 + 3 + 1, vector.Count);
        double[] values = vector.GetValues();
        values[7] = 42;
        vector.SetValues(values);
        var (parameter, element) = vector.Locate(7);
        Assert.Equal(42f, parameter.Data[element]);
        Assert.Equal(7, vector.OffsetOf(parameter) + element);
    }
}
