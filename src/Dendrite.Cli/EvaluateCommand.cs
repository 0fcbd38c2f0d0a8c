using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Tensors;
using Dendrite.Training;
using Dendrite.Training.Metrics;

namespace Dendrite.Cli;

/// <summary><c>dendrite evaluate MODEL --data ...</c> and <c>dendrite predict MODEL --data ...</c>: use a model saved by <c>dendrite train</c>.</summary>
internal static class EvaluateCommand
{
    public static Command Create(TextWriter output, TextWriter error, bool predict)
    {
        var model = new Argument<string>("model") { Description = "A model saved by dendrite train: its directory, or the model base path inside it." };
        var data = new Option<string>("--data") { Description = $"The data: {DataSources.Names}. Built-in data sets use their test split; a CSV file is used whole.", Required = true };
        var outFile = new Option<string?>("--out") { Description = "predict: write the predictions as CSV to this file instead of the console." };
        var fashionDirectory = new Option<string?>("--fashion-mnist-dir") { Description = $"Where the Fashion-MNIST IDX files are (default {Datasets.FashionMnistDirectory})." };
        var command = predict
            ? new Command("predict", "Predict with a saved model: one line per sample (the class, or the value for regression).") { model, data, outFile, fashionDirectory }
            : new Command("evaluate", "Evaluate a saved model: loss, accuracy and a confusion matrix (or regression metrics).") { model, data, fashionDirectory };
        command.SetAction(result => CommandLine.Guard(error, () =>
            Run(result.GetValue(model)!, result.GetValue(data)!, predict, predict ? result.GetValue(outFile) : null, result.GetValue(fashionDirectory), output)));
        return command;
    }

    private static int Run(string modelPath, string dataName, bool predict, string? outFile, string? fashionDirectory, TextWriter output)
    {
        string directory = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".";
        string basePath = Directory.Exists(modelPath) ? Path.Combine(modelPath, "model") : modelPath;
        string runPath = Path.Combine(directory, "run.json");
        if (!File.Exists(runPath))
            throw new FileNotFoundException($"No run.json beside the model in {directory}; evaluate and predict use models saved by dendrite train.", runPath);
        var run = JsonNode.Parse(File.ReadAllText(runPath)) as JsonObject ?? throw new FormatException($"{runPath} is not a JSON object.");
        var preprocessing = Preprocessing.FromJson(run["preprocessing"] as JsonObject ?? []);
        bool classification = run["task"]?.GetValue<string>() != "regression";
        Module network = Model.Load(basePath);

        Dataset samples = LoadSamples(dataName, run, preprocessing, classification, fashionDirectory);
        Tensor predictions = Trainer.Predict(network, samples.Features);
        if (predict)
        {
            var text = new StringBuilder(classification ? "index,prediction,class\n" : "index,prediction\n");
            float[] values = predictions.ToArray();
            int width = predictions.Rank == 2 ? predictions.Shape[1] : 1;
            IReadOnlyList<string>? names = (run["classNames"] as JsonArray)?.Select(n => n!.GetValue<string>()).ToList();
            for (int i = 0; i < samples.Count; i++)
            {
                if (classification)
                {
                    int best = 0;
                    for (int j = 1; j < width; j++) if (values[i * width + j] > values[i * width + best]) best = j;
                    text.Append(CultureInfo.InvariantCulture, $"{i},{best},{(names is not null && best < names.Count ? names[best] : best.ToString(CultureInfo.InvariantCulture))}\n");
                }
                else
                {
                    text.Append(CultureInfo.InvariantCulture, $"{i},{string.Join(';', values.AsSpan(i * width, width).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}\n");
                }
            }
            if (outFile is null) output.Write(text);
            else
            {
                AtomicFile.WriteAllText(outFile, text.ToString());
                output.WriteLine($"{samples.Count} predictions written to {Path.GetFullPath(outFile)}");
            }
            return 0;
        }

        if (classification)
        {
            var accuracy = new Accuracy();
            var confusion = new ConfusionMatrix(predictions.Shape[1]);
            accuracy.Update(predictions, samples.Targets);
            confusion.Update(predictions, samples.Targets);
            float loss = Ops.TensorOps.SoftmaxCrossEntropy(predictions, samples.Targets).Item();
            output.Write(confusion.Format(samples.ClassNames));
            output.WriteLine($"samples: {samples.Count}  loss: {loss.ToString("F4", CultureInfo.InvariantCulture)}  macro F1: {confusion.MacroF1.ToString("F4", CultureInfo.InvariantCulture)}");
            output.WriteLine($"test accuracy: {accuracy.Result.ToString("F4", CultureInfo.InvariantCulture)}");
        }
        else
        {
            var mse = new MeanSquaredErrorMetric();
            var r2 = new RSquared();
            mse.Update(predictions, samples.Targets);
            r2.Update(predictions, samples.Targets);
            output.WriteLine($"samples: {samples.Count}  test mse: {mse.Result.ToString("G5", CultureInfo.InvariantCulture)}  test r2: {r2.Result.ToString("F4", CultureInfo.InvariantCulture)}");
        }
        return 0;
    }

    /// <summary>The samples to run on: a built-in data set's test split (as split at training time, from the saved seed), or a whole CSV file, preprocessed as in training.</summary>
    private static Dataset LoadSamples(string dataName, JsonObject run, Preprocessing preprocessing, bool classification, string? fashionDirectory)
    {
        if (File.Exists(dataName))
        {
            Dataset raw = CsvReader.Read(dataName, new CsvOptions { Task = classification ? PredictionTask.Classification : PredictionTask.Regression });
            return preprocessing.Apply(raw);
        }
        long seed = run["seed"]?.GetValue<long>() ?? 42;
        bool images = preprocessing.ImageShape is not null;
        return DataSources.Load(dataName, seed, images, fashionDirectory).Test;
    }
}
