using System.Globalization;
using Dendrite.NN;
using Dendrite.NN.Losses;
using Dendrite.Ops;
using Dendrite.Plots;
using Dendrite.Techniques.Diagnostics;
using Dendrite.Tensors;
using Dendrite.Training.Metrics;

namespace Dendrite.Cli;

/// <summary>Figures shared by the <c>dendrite demo</c> commands and <c>dendrite train --plots</c>: each writes one PNG and returns its full path.</summary>
internal static class DemoFigures
{
    /// <summary>The size of the first-layer tiles figure: up to 8x8 tiles of 28x28 pixels at 4x, with a title.</summary>
    public static readonly (int Width, int Height) FirstLayerSize = (960, 1000);

    /// <summary>The first weighted layer's units as the unit-norm inputs that excite them most (x* = w/‖w‖), as image tiles; null when the layer's inputs are not images.</summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="model">The network; its first Dense or convolutional layer is drawn.</param>
    /// <param name="image">The input images' height and width (for a Dense layer on flattened images), or null to infer a square.</param>
    /// <param name="maximumUnits">At most this many units are drawn.</param>
    public static string? SaveFirstLayer(string path, Module model, (int Height, int Width)? image, int maximumUnits = 64)
    {
        var (_, first) = model.NamedModules().FirstOrDefault(m => m.Module.OwnParameters().Any(p => p.Name == "weight" && p.Parameter.Rank >= 2));
        if (first is null) return null;
        Tensor weight = first.OwnParameters().First(p => p.Name == "weight").Parameter;
        int height, width;
        Tensor tiles = FeatureVisualization.FirstLayerInputs(weight);
        if (weight.Rank == 4)
        {
            // A kernel [out, in, kh, kw]: draw each unit's first input channel.
            (height, width) = (weight.Shape[2], weight.Shape[3]);
            tiles = tiles.Narrow(1, 0, height * width);
        }
        else if (weight.Rank == 2)
        {
            int inputs = weight.Shape[1];
            int side = (int)Math.Round(Math.Sqrt(inputs));
            (height, width) = image ?? (side * side == inputs ? (side, side) : (0, 0));
            if (height * width != inputs) return null;
        }
        else return null;
        int units = Math.Min(maximumUnits, tiles.Shape[0]);
        return ImagePlots.SaveGrid(path, tiles.Narrow(0, 0, units).Contiguous(), height, width, columns: 8, symmetricColormap: true,
            title: $"first layer {first.Describe()}: x* = w/‖w‖ per unit (red +, blue −)", width: FirstLayerSize.Width, height: FirstLayerSize.Height);
    }

    /// <summary>The confusion matrix of <paramref name="predictions"/> [n, classes] against class-index <paramref name="targets"/> as a heat map.</summary>
    public static string SaveConfusion(string path, Tensor predictions, Tensor targets, IReadOnlyList<string>? classNames, string title)
    {
        int classes = predictions.Shape[1];
        var confusion = new ConfusionMatrix(classes);
        confusion.Update(predictions, targets);
        var counts = new int[classes, classes];
        for (int t = 0; t < classes; t++)
            for (int p = 0; p < classes; p++) counts[t, p] = (int)confusion[t, p];
        IReadOnlyList<string> names = classNames ?? Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToList();
        return ClassificationPlots.SaveConfusionMatrix(path, counts, names, title: title);
    }

    /// <summary>
    /// The error surface around trained weights: the loss on the straight line through the initial
    /// weights (α = −1) and the trained ones (α = 0), a little beyond both, and over a plane of two random
    /// normalised directions. Returns both paths.
    /// </summary>
    public static (string Line, string Plane) SaveErrorSurface(string directory, Module model, Loss loss, Tensor features, Tensor targets,
        IReadOnlyDictionary<string, float[]> initial, long seed)
    {
        // Interpolate puts the initial weights at 0 and the trained ones at 1; the figure marks the
        // trained weights at 0, so it is drawn against α − 1 (the initial weights at −1).
        double[] positions = Enumerable.Range(0, 41).Select(i => -0.5 + i * 0.05).ToArray();
        double[] line = ErrorSurface.Interpolate(model, loss, features, targets, initial, positions);
        string linePath = SurfacePlots.SaveLine(Path.Combine(directory, "error-surface-line.png"), positions.Select(p => p - 1).ToArray(), line,
            title: "training loss on the line through the initial weights (α = −1) and the trained ones", logY: true);
        double[] steps = Enumerable.Range(0, 21).Select(i => -1 + i * 0.1).ToArray();
        double[,] plane = ErrorSurface.Plane(model, loss, features, targets, steps, steps, seed);
        string planePath = SurfacePlots.SavePlane(Path.Combine(directory, "error-surface-plane.png"), steps, steps, plane, logColor: true,
            title: "training loss around the trained weights (two random directions, scaled per layer)");
        return (linePath, planePath);
    }

    /// <summary>
    /// What <c>dendrite train --plots</c> writes besides the curves: the diagnostics report
    /// (diagnostics.txt), the gradient norm of each weighted layer per epoch, the first layer's units
    /// as images (for image data), the test confusion matrix as a heat map (classification), and the
    /// error surface around the trained weights on up to 2,000 training samples.
    /// </summary>
    public static void SaveTrainingReport(string directory, Module model, Loss loss, PreparedData data, TrainingDiagnostics diagnostics,
        IReadOnlyDictionary<string, float[]> initialWeights, long seed, TextWriter output)
    {
        string report = Path.Combine(directory, "diagnostics.txt");
        IO.AtomicFile.WriteAllText(report, diagnostics.FormatSummary());
        output.WriteLine($"diagnostics report: {Path.GetFullPath(report)}");
        var norms = diagnostics.GradientNormsByLayer();
        if (norms.Count > 0 && diagnostics.Epochs.Count > 0)
            output.WriteLine($"gradient norms: {DiagnosticPlots.SaveGradientNorms(Path.Combine(directory, "gradient-norms.png"), norms, title: "gradient norm per weighted layer (layer 1 next to the input)")}");
        (int, int)? image = data.Preprocessing.ImageShape is [_, int h, int w] ? (h, w) : null;
        if (data.Name is "digits" or "fashion-mnist" && SaveFirstLayer(Path.Combine(directory, "first-layer.png"), model, image) is { } weights)
            output.WriteLine($"first-layer units: {weights}");
        if (data.IsClassification)
        {
            Tensor predictions = Training.Trainer.Predict(model, data.Test.Features);
            output.WriteLine($"confusion matrix: {SaveConfusion(Path.Combine(directory, "confusion.png"), predictions, data.Test.Targets, data.ClassNames, $"{data.Name} test set")}");
        }
        var (features, targets) = Head(data.Train.Features, data.Train.Targets, 2000);
        var (line, plane) = SaveErrorSurface(directory, model, loss, features, targets, initialWeights, seed);
        output.WriteLine($"error surface: {line}, {plane}");
    }

    /// <summary>Every parameter's values by name, to remember the initial weights.</summary>
    public static Dictionary<string, float[]> Snapshot(Module model) => model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray());

    /// <summary>The first <paramref name="count"/> rows of a data set's features and targets (for the error surface, which evaluates the loss hundreds of times).</summary>
    public static (Tensor Features, Tensor Targets) Head(Tensor features, Tensor targets, int count)
    {
        int n = Math.Min(count, features.Shape[0]);
        return (features.Narrow(0, 0, n).Contiguous(), targets.Narrow(0, 0, n).Contiguous());
    }

    public static string Scientific(double value) =>
        double.IsFinite(value) ? value.ToString("0.00e+00", CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture);

    public static string Fixed(double value, string format = "F4") => value.ToString(format, CultureInfo.InvariantCulture);
}
