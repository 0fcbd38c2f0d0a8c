// Trains the models of Dendrite's model zoo and writes them, with their manifest, into
// src/Dendrite/NN/Zoo (the library embeds them). Deterministic: the same seed gives the same
// weights, so a run reproduces the shipped files.
//   dotnet run -c Release --project examples/ModelZoo [-- only-name]
using System.Text.Json;
using System.Text.Json.Nodes;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Optim.Schedules;
using Dendrite.Tensors;
using Dendrite.Training;
using Dendrite.Training.Callbacks;
using Dendrite.Training.Metrics;

string root = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(root, "Dendrite.slnx"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Run inside the repository.");
string zoo = Path.Combine(root, "src", "Dendrite", "NN", "Zoo");
Directory.CreateDirectory(zoo);
string? only = args.FirstOrDefault();

var recipes = new (ZooEntry Entry, Func<Module> Create, Func<Module, Optimizer> Optimizer, int Epochs, int BatchSize)[]
{
    (new ZooEntry("digits-mlp", "MLP 64-256-10 (ReLU) on the UCI digits; Adam 0.003, cosine, 40 epochs of 32",
        "digits", Enumerable.Range(0, 10).ToArray(), [64], 1f / 16f, 0, 0, 42, "dotnet run -c Release --project examples/ModelZoo -- digits-mlp"),
        () => Models.Mlp([64, 256, 10], generator: new RandomGenerator(42)), m => new Adam(m.Parameters(), 0.003f), 40, 32),
    (new ZooEntry("lenet5-fashion", "LeNet-5 as in 1998 (scaled tanh, trainable subsampling, sparse C3) on Fashion-MNIST; SGD momentum 0.9 at 0.02, cosine, 15 epochs of 32",
        "fashion-mnist", Enumerable.Range(0, 10).ToArray(), [1, 28, 28], 1f, 0, 0, 42, "dotnet run -c Release --project examples/ModelZoo -- lenet5-fashion"),
        () => Models.LeNet5(10, classic: true, new RandomGenerator(42)), m => new Sgd(m.Parameters(), 0.02f, momentum: 0.9f), 15, 32),
    (new ZooEntry("lenet5-fashion-0-4", "LeNet-5 as in 1998 on Fashion-MNIST classes 0-4 only (the source model of the transfer-learning example); SGD momentum 0.9 at 0.02, cosine, 10 epochs of 32",
        "fashion-mnist", [0, 1, 2, 3, 4], [1, 28, 28], 1f, 0, 0, 42, "dotnet run -c Release --project examples/ModelZoo -- lenet5-fashion-0-4"),
        () => Models.LeNet5(5, classic: true, new RandomGenerator(42)), m => new Sgd(m.Parameters(), 0.02f, momentum: 0.9f), 10, 32),
};

var manifest = File.Exists(Path.Combine(zoo, "zoo.json"))
    ? JsonNode.Parse(File.ReadAllText(Path.Combine(zoo, "zoo.json")))!.AsArray().Select(n => n!.AsObject()).ToList()
    : [];
foreach (var (entry, create, optimizer, epochs, batchSize) in recipes)
{
    if (only is not null && only != entry.Name) continue;
    Console.WriteLine($"== {entry.Name}: {entry.Description}");
    RandomGenerator.SetDefaultSeed(entry.Seed);
    var (train, validation, test) = ModelZoo.Splits(entry);
    Module model = create();
    var trainer = new Trainer(model, optimizer(model), new CrossEntropy(), [new Accuracy()]);
    int batches = (train.Count + batchSize - 1) / batchSize;
    trainer.Fit(train, epochs, batchSize, validation, seed: entry.Seed,
        callbacks: [new ProgressBar(), new LearningRateScheduler(new CosineAnnealingWarmRestarts(trainer.Optimizer.LearningRate, (long)epochs * batches + 1), perBatch: true)]);
    double accuracy = trainer.Evaluate(test)["accuracy"];
    Console.WriteLine($"{entry.Name}: test accuracy {accuracy:F4} on {test.Count} samples");
    Model.Save(model, Path.Combine(zoo, entry.Name));
    manifest.RemoveAll(o => o["name"]!.GetValue<string>() == entry.Name);
    manifest.Add(ModelZoo.ToJson(entry with { TestAccuracy = accuracy, TestSamples = test.Count }));
}
var ordered = new JsonArray(manifest.OrderBy(o => o["name"]!.GetValue<string>(), StringComparer.Ordinal).Select(o => (JsonNode)o.DeepClone()).ToArray());
File.WriteAllText(Path.Combine(zoo, "zoo.json"), ordered.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
Console.WriteLine($"wrote {zoo}");
