using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Techniques.Diagnostics;
using Dendrite.Training;

namespace Dendrite.Tests.Techniques.Diagnostics;

public class ErrorSurfaceTests
{
    private static (Sequential Model, Dictionary<string, float[]> Initial, Tensor Features, Tensor Targets) Trained()
    {
        Dataset digits = Datasets.Digits();
        var data = digits.WithFeatures(digits.Features * (1f / 16f)).Subset(Enumerable.Range(0, 500).ToArray());
        var model = Models.Mlp([64, 32, 10], batchNorm: true, generator: new RandomGenerator(3));
        var initial = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray());
        new Trainer(model, new Adam(model.Parameters(), 0.01f), new CrossEntropy()).Fit(data, 5, 32, seed: 1);
        return (model, initial, data.Features, data.Targets);
    }

    private static double Loss(Module model, Tensor features, Tensor targets) =>
        new CrossEntropy().Compute(Trainer.Predict(model, features), targets).Item();

    [Fact]
    public void TheLineAndPlanePassThroughTheTrainedWeightsWhichAreAMinimumAndArePutBack()
    {
        var (model, _, features, targets) = Trained();
        float[] weights = model.Parameters().SelectMany(p => p.ToArray()).ToArray();
        double trained = Loss(model, features, targets);

        double[] line = ErrorSurface.Line(model, new CrossEntropy(), features, targets, [-1, -0.5, 0, 0.5, 1], seed: 4);
        Assert.Equal(trained, line[2], 5);
        Assert.True(line[0] > trained && line[4] > trained, string.Join(", ", line));

        double[,] plane = ErrorSurface.Plane(model, new CrossEntropy(), features, targets, [-1, 0, 1], [-1, 0, 1], seed: 4);
        Assert.Equal(trained, plane[1, 1], 5);
        foreach (var (i, j) in new[] { (0, 0), (0, 2), (2, 0), (2, 2), (0, 1), (1, 0) }) Assert.True(plane[i, j] > trained, $"({i}, {j})");
        // A different seed gives a different direction, the same seed the same one.
        Assert.Equal(line, ErrorSurface.Line(model, new CrossEntropy(), features, targets, [-1, -0.5, 0, 0.5, 1], seed: 4));
        Assert.NotEqual(line[0], ErrorSurface.Line(model, new CrossEntropy(), features, targets, [-1], seed: 5)[0]);

        Assert.Equal(weights, model.Parameters().SelectMany(p => p.ToArray()).ToArray());
        Assert.True(model.IsTraining);
    }

    [Fact]
    public void InterpolationRunsFromTheInitialWeightsToTheTrainedOnes()
    {
        var (model, initial, features, targets) = Trained();
        double trained = Loss(model, features, targets);
        double[] line = ErrorSurface.Interpolate(model, new CrossEntropy(), features, targets, initial, [0, 0.5, 1]);
        Assert.Equal(trained, line[2], 5);
        Assert.True(line[0] > 1 && line[0] > line[1] && line[1] > line[2], string.Join(", ", line));

        var state = model.StateDict();
        var saved = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray());
        foreach (var (name, values) in initial) state[name].CopyFrom(values);
        Assert.Equal(Loss(model, features, targets), line[0], 5);
        foreach (var (name, values) in saved) state[name].CopyFrom(values);
    }
}
