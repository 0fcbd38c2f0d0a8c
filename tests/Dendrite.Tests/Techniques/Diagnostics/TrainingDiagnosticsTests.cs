using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Initializers;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Techniques.Diagnostics;
using Dendrite.Training;
using Dendrite.Training.Callbacks;
using Dendrite.Training.Metrics;

namespace Dendrite.Tests.Techniques.Diagnostics;

/// <summary>Each failure mode the diagnostics watch for is raised by the network that has it, and not by healthy ones.</summary>
public class TrainingDiagnosticsTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly Lazy<(Dataset Train, Dataset Validation)> Digits = new(() =>
    {
        Dataset digits = Datasets.Digits();
        var scaled = digits.WithFeatures(digits.Features * (1f / 16f));
        var (train, validation, _) = Splits.TrainValidationTest(scaled, 0.6, 0.2, 0.2, new RandomGenerator(1), stratified: true);
        return (train, validation);
    });

    /// <summary>10 Dense layers: 64 inputs, nine hidden layers of 32, 10 classes.</summary>
    private static readonly int[] Deep = [64, 32, 32, 32, 32, 32, 32, 32, 32, 32, 10];

    private TrainingDiagnostics Train(Module model, Optimizer optimizer, int epochs, DiagnosticsOptions? options = null)
    {
        var (train, validation) = Digits.Value;
        var log = new StringWriter();
        var diagnostics = new TrainingDiagnostics(train.Features.Narrow(0, 0, 256), options, log);
        new Trainer(model, optimizer, new CrossEntropy(), [new Accuracy()]).Fit(train, epochs, 32, validation, callbacks: [diagnostics], seed: 1);
        output.WriteLine(log.ToString());
        return diagnostics;
    }

    private static Sequential Mlp(int[] sizes, Func<ActivationLayer> activation, Initializer initializer, bool batchNorm = false) =>
        Models.Mlp(sizes, activation, batchNorm: batchNorm, initializer: initializer, generator: new RandomGenerator(7));

    [Fact]
    public void ATenLayerSigmoidNetHasVanishingGradientsAndTheSameNetWithReluAndHeOrBatchNormHasNot()
    {
        var sigmoidNet = Mlp(Deep, () => new Sigmoid(), Initializer.ScaledNormal);
        var sigmoid = Train(sigmoidNet, new Sgd(sigmoidNet.Parameters(), 0.1f), epochs: 2);
        var reluNet = Mlp(Deep, () => new Relu(), Initializer.HeUniform);
        var relu = Train(reluNet, new Sgd(reluNet.Parameters(), 0.1f), epochs: 2);
        var batchNormNet = Mlp(Deep, () => new Sigmoid(), Initializer.ScaledNormal, batchNorm: true);
        var batchNorm = Train(batchNormNet, new Sgd(batchNormNet.Parameters(), 0.1f), epochs: 2);

        // The first layer's gradient is at least 100x below the last's (about 3e5x in fact) ...
        Assert.True(sigmoid.Epochs[0].FirstToLastGradientRatio <= 1e-2, $"sigmoid first/last {sigmoid.Epochs[0].FirstToLastGradientRatio}");
        DiagnosticWarning warning = Assert.Single(sigmoid.Warnings, w => w.Kind == DiagnosticKind.VanishingGradients);
        Assert.Equal(0, warning.Epoch);
        Assert.StartsWith("0 Dense(64->32, sigmoid)", warning.Layer);
        Assert.Contains("ReLU", warning.Remedy);
        // ... and each layer's gradient shrinks on its way back, by about σ′ ≤ 1/4 per layer.
        var norms = sigmoid.GradientNormsByLayer();
        Assert.Equal(10, norms.Count);
        for (int layer = 1; layer < 10; layer++)
            Assert.True(norms[$"layer {layer}"][0] < norms[$"layer {layer + 1}"][0], $"layer {layer}");

        foreach (var (name, healthy) in new[] { ("ReLU + He", relu), ("sigmoid + batch norm", batchNorm) })
        {
            Assert.True(healthy.Epochs[0].FirstToLastGradientRatio > 0.1, $"{name}: first/last {healthy.Epochs[0].FirstToLastGradientRatio}");
            Assert.False(healthy.HasWarning(DiagnosticKind.VanishingGradients), name);
            Assert.Empty(healthy.Warnings);
        }
        // Batch norm's own parameters are layers of the table but not of the first/last comparison.
        Assert.Equal(19, batchNorm.Epochs[0].Layers.Count);
        Assert.Equal(10, batchNorm.Epochs[0].Layers.Count(l => l.WeightedIndex > 0));
    }

    [Fact]
    public void ALearningRateTooHighTriggersTheDivergenceWarningAndAGoodOneDoesNot()
    {
        var tooHigh = Models.Mlp([64, 64, 10], generator: new RandomGenerator(3));
        var diverging = Train(tooHigh, new Sgd(tooHigh.Parameters(), 5f), epochs: 3);
        DiagnosticWarning warning = diverging.Warnings.First(w => w.Kind == DiagnosticKind.DivergingLoss);
        Assert.Equal(0, warning.Epoch);
        Assert.Null(warning.Layer);
        Assert.Contains("learning rate", warning.Remedy);

        var good = Models.Mlp([64, 64, 10], generator: new RandomGenerator(3));
        var converging = Train(good, new Sgd(good.Parameters(), 0.3f), epochs: 8);
        Assert.Empty(converging.Warnings);
    }

    [Fact]
    public void AReluNetWithALargeNegativeBiasHasDeadUnits()
    {
        var generator = new RandomGenerator(3);
        var model = new Sequential(
            new Dense(64, 64, new Relu(), biasInitializer: Initializer.Constant(-10f), generator: generator),
            new Dense(64, 10, generator: generator));
        var diagnostics = Train(model, new Sgd(model.Parameters(), 0.1f), epochs: 2);
        DiagnosticWarning warning = Assert.Single(diagnostics.Warnings);
        Assert.Equal(DiagnosticKind.DeadUnits, warning.Kind);
        Assert.StartsWith("0 Dense(64->64, relu)", warning.Layer);
        Assert.Contains("100%", warning.Message);
        Assert.Contains("leaky ReLU", warning.Remedy);
        Assert.Equal(1.0, diagnostics.Epochs[^1].Layers[0].DeadShare);
        Assert.Equal(0.0, diagnostics.Epochs[^1].Layers[0].GradientNorm);

        // A healthy ReLU net has few dead units and no warning.
        var healthy = Models.Mlp([64, 64, 10], generator: new RandomGenerator(3));
        var fine = Train(healthy, new Adam(healthy.Parameters(), 0.003f), epochs: 2);
        Assert.Empty(fine.Warnings);
        Assert.True(fine.Epochs[^1].Layers[0].DeadShare < 0.2);
    }

    [Fact]
    public void DeadUnitsInsideResidualBlocksAndResidualBodiesAreFoundOnTheLayerThatFeedsThem()
    {
        // The block's inner ReLU is an operation inside the block, not a layer; a batch-norm shift of −100
        // before it switches off all 4 of conv1's channels. The plain Residual's body has a Dense layer
        // whose bias of −10 does the same.
        var generator = new RandomGenerator(4);
        var block = new ResidualBlock(4, 4, generator: generator);
        block.Norm1.Bias!.Data.Fill(-100f);
        var model = new Sequential(
            new Reshape(1, 8, 8),
            new Conv2d(1, 4, 3, padding: 1, activation: new Relu(), generator: generator),
            block,
            new Flatten(),
            new Residual(new Dense(256, 256, new Relu(), biasInitializer: Initializer.Constant(-10f), generator: generator)),
            new Dense(256, 10, generator: generator));
        var diagnostics = Train(model, new Sgd(model.Parameters(), 0.05f), epochs: 1);

        LayerDiagnostics Layer(string name) => diagnostics.Epochs[^1].Layers.Single(l => l.Name == name);
        Assert.Equal(1.0, Layer("2.conv1").DeadShare);
        Assert.True(Layer("2.conv2").DeadShare < 0.5, $"conv2's units get the shortcut's input: {Layer("2.conv2").DeadShare}");
        Assert.Equal(1.0, Layer("4.body").DeadShare);
        Assert.Null(Layer("5").DeadShare);
        Assert.Contains(diagnostics.Warnings, w => w.Kind == DiagnosticKind.DeadUnits && (w.Layer ?? "").StartsWith("2.conv1 "));
        Assert.Contains(diagnostics.Warnings, w => w.Kind == DiagnosticKind.DeadUnits && (w.Layer ?? "").StartsWith("4.body "));
        Assert.DoesNotContain(diagnostics.Warnings, w => w.Kind == DiagnosticKind.DeadUnits && (w.Layer ?? "").StartsWith("2.conv2 "));
    }

    [Fact]
    public void SigmoidAndTanhUnitsWithLargeWeightsAreSaturated()
    {
        var generator = new RandomGenerator(5);
        // Weights of N(0, 3²) put weighted inputs far beyond |z| = 4, where σ and tanh are flat.
        var model = new Sequential(
            new Dense(64, 64, new Sigmoid(), weightInitializer: Initializer.Normal(0, 3), generator: generator),
            new Dense(64, 64, new Tanh(), weightInitializer: Initializer.Normal(0, 3), generator: generator),
            new Dense(64, 10, generator: generator));
        var diagnostics = Train(model, new Sgd(model.Parameters(), 0.1f), epochs: 1);
        var saturated = diagnostics.Warnings.Where(w => w.Kind == DiagnosticKind.SaturatedUnits).ToList();
        Assert.Equal(2, saturated.Count);
        Assert.StartsWith("0 Dense(64->64, sigmoid)", saturated[0].Layer);
        Assert.StartsWith("1 Dense(64->64, tanh)", saturated[1].Layer);
        Assert.Contains("variance", saturated[0].Remedy);
        Assert.True(diagnostics.Epochs[0].Layers[0].SaturatedShare > 0.5);
        Assert.Null(diagnostics.Epochs[0].Layers[2].SaturatedShare);

        // Glorot-initialised sigmoid and tanh nets are not saturated.
        var healthy = new Sequential(
            new Dense(64, 64, new Sigmoid(), weightInitializer: Initializer.GlorotUniform(), generator: generator),
            new Dense(64, 64, new Tanh(), generator: generator),
            new Dense(64, 10, generator: generator));
        var fine = Train(healthy, new Adam(healthy.Parameters(), 0.003f), epochs: 2);
        Assert.Empty(fine.Warnings);
        Assert.True(fine.Epochs[^1].Layers[0].SaturatedShare < 0.1);
    }

    [Fact]
    public void GradientsThatGrowFromEpochToEpochAreExploding()
    {
        // Least squares on the digits' pixels with a step beyond 2/λ_max of the Hessian: every step
        // overshoots by more than it corrects, and the gradient grows geometrically.
        var (train, _) = Digits.Value;
        var regression = Dataset.ForRegression(train.Features, train.Targets.Reshape(train.Count, 1));
        var model = new Sequential(new Dense(64, 1, generator: new RandomGenerator(1)));
        var log = new StringWriter();
        var diagnostics = new TrainingDiagnostics(train.Features.Narrow(0, 0, 64), log: log);
        new Trainer(model, new Sgd(model.Parameters(), 0.1f), new MeanSquaredError()).Fit(regression, 3, 32, callbacks: [diagnostics], seed: 1);
        output.WriteLine(log.ToString());
        DiagnosticWarning warning = diagnostics.Warnings.First(w => w.Kind == DiagnosticKind.ExplodingGradients);
        Assert.Equal(1, warning.Epoch);
        Assert.Contains("clip", warning.Remedy);
        Assert.True(diagnostics.HasWarning(DiagnosticKind.DivergingLoss));
    }

    [Fact]
    public void TheDiagnosticsDoNotChangeTraining()
    {
        var (train, validation) = Digits.Value;
        double[] Losses(bool withDiagnostics)
        {
            var model = Models.Mlp([64, 32, 10], dropout: 0.2f, batchNorm: true, generator: new RandomGenerator(11));
            RandomGenerator.SetDefaultSeed(11);
            var callbacks = withDiagnostics ? new List<Callback> { new TrainingDiagnostics(train.Features.Narrow(0, 0, 100)) } : [];
            var history = new Trainer(model, new Adam(model.Parameters(), 0.01f), new CrossEntropy())
                .Fit(train, 3, 64, validation, callbacks: callbacks, seed: 2);
            return [.. history["loss"], .. history["val_loss"]];
        }
        Assert.Equal(Losses(false), Losses(true));
    }

    [Fact]
    public void TheSummaryHasARowPerLayerAndTheWarnings()
    {
        var model = Models.Mlp([64, 16, 10], generator: new RandomGenerator(2));
        var diagnostics = Train(model, new Adam(model.Parameters(), 0.003f), epochs: 2);
        string summary = diagnostics.FormatSummary();
        Assert.Contains("0 Dense(64->16, relu)", summary);
        Assert.Contains("1 Dense(16->10)", summary);
        Assert.Contains("grad/weight", summary);
        Assert.Contains("warnings: none", summary);
        Assert.Equal(2, diagnostics.Epochs.Count);
        LayerDiagnostics first = diagnostics.Epochs[0].Layers[0];
        Assert.True(first.GradientNorm > 0 && first.WeightNorm > 0);
        Assert.Equal(first.GradientNorm / first.WeightNorm, first.Ratio, 12);
    }

    [Fact]
    public void ALossThatGoesUpAndDownIsOscillatingAndOneThatFallsIsNot()
    {
        TrainingDiagnostics Feed(double[] losses)
        {
            var model = Models.Mlp([4, 3], generator: new RandomGenerator(1));
            var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1f), new MeanSquaredError());
            var diagnostics = new TrainingDiagnostics();
            var context = new TrainingContext(trainer, losses.Length, 1, 10, new History(), [diagnostics]);
            diagnostics.OnTrainBegin(context);
            for (int epoch = 0; epoch < losses.Length; epoch++)
            {
                context.Epoch = epoch;
                diagnostics.OnEpochBegin(context, epoch);
                diagnostics.OnBatchEnd(context, 0, new Dictionary<string, double> { ["loss"] = losses[epoch] });
                diagnostics.OnEpochEnd(context, epoch, new Dictionary<string, double> { ["loss"] = losses[epoch] });
            }
            return diagnostics;
        }
        var bouncing = Feed([2.3, 1.0, 1.5, 0.9, 1.55, 0.8, 1.4, 0.9]);
        DiagnosticWarning warning = Assert.Single(bouncing.Warnings);
        Assert.Equal(DiagnosticKind.OscillatingLoss, warning.Kind);
        Assert.Equal(6, warning.Epoch);
        // Noise near convergence is small against the progress made, so it does not count.
        Assert.Empty(Feed([2.3, 1.0, 0.5, 0.2, 0.1, 0.05, 0.051, 0.049, 0.052, 0.05]).Warnings);
        // A loss that climbs back above where it started diverges.
        Assert.Contains(Feed([2.3, 1.0, 0.8, 2.0]).Warnings, w => w.Kind == DiagnosticKind.DivergingLoss && w.Epoch == 3);
    }

    [Fact]
    public void OptionsOutOfRangeAreRejectedByName()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingDiagnostics(options: new DiagnosticsOptions { VanishingRatio = 2 }));
        Assert.Contains("VanishingRatio", error.Message);
        Assert.Throws<ArgumentException>(() => new TrainingDiagnostics(Tensor.Zeros([3])));
    }
}
