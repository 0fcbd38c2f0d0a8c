// Predictive uncertainty for small networks, as the seeds teach it:
// 1. the Laplace approximation for regression (error bars that widen away from the data),
// 2. the Laplace approximation for a binary classifier (the probit-corrected probability),
// 3. Monte-Carlo dropout, the scalable alternative,
// 4. automatic relevance determination ranking the inputs of a regression problem.
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Ops;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Techniques.Uncertainty;
using Dendrite.Tensors;
using Dendrite.Training;

// 1. Regression: t = sin(2x) + noise, observed only on [-1, 1].
var generator = new RandomGenerator(1);
Tensor x = Tensor.Uniform([80, 1], -1f, 1f, generator);
Tensor t = Map(x, v => MathF.Sin(2 * v) + 0.05f * generator.NextNormal());
var regressor = new Sequential(new Dense(1, 8, new Tanh(), generator: generator), new Dense(8, 1, generator: generator));
new Trainer(regressor, new Adam(regressor.Parameters(), 0.02f), new MeanSquaredError()).Fit(Dataset.ForRegression(x, t), 300, 80);
var laplace = LaplaceApproximation.ForRegression(regressor, x, t, priorPrecision: 1.0);
Tensor grid = Tensor.FromArray([-4f, -3f, -2f, -1.5f, -1f, -0.5f, 0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f], new Shape(13, 1));
var (mean, variance) = laplace.PredictRegression(grid);
Console.WriteLine($"1. Laplace approximation, regression on x in [-1, 1] (noise precision beta = {laplace.NoisePrecision:F0}, i.e. noise sd {1 / Math.Sqrt(laplace.NoisePrecision):F3})");
Console.WriteLine("      x    sin(2x)   mean     sd");
for (int i = 0; i < grid.Shape[0]; i++)
    Console.WriteLine($"  {grid[i, 0],5:F1}  {MathF.Sin(2 * grid[i, 0]),7:F3}  {mean[i, 0],7:F3}  {MathF.Sqrt(variance[i, 0]),6:F3}{(MathF.Abs(grid[i, 0]) > 1 ? "   (outside the data)" : "")}");

// 2. Binary classification: two Gaussian blobs at (-1, 0) and (+1, 0).
Tensor blobs = Tensor.Randn([100, 2], generator) * 0.5f;
var labels = new float[100];
for (int i = 0; i < 100; i++) { labels[i] = i % 2; blobs[i, 0] += i % 2 == 0 ? -1f : 1f; }
var classifier = new Sequential(new Dense(2, 6, new Tanh(), generator: generator), new Dense(6, 1, generator: generator));
new Trainer(classifier, new Adam(classifier.Parameters(), 0.02f), new BinaryCrossEntropy(fromLogits: true))
    .Fit(Dataset.ForRegression(blobs, Tensor.Wrap(labels, new Shape(100, 1))), 200, 100);
var binary = LaplaceApproximation.ForBinaryClassification(classifier, blobs, priorPrecision: 1.0);
Tensor points = Tensor.FromArray([-1f, 0f, 0f, 0f, 1f, 0f, 3f, 0f, 1f, 4f, 0f, 8f], new Shape(6, 2));
var (probability, mapProbability, logitVariance) = binary.PredictBinary(points);
Console.WriteLine();
Console.WriteLine("2. Laplace approximation, binary classifier: p(class 1) with and without the probit correction sigma(kappa(s2) a)");
Console.WriteLine("   point       p(MAP)   p(corrected)   logit variance s2");
for (int i = 0; i < 6; i++)
    Console.WriteLine($"  ({points[i, 0],4:F1},{points[i, 1],4:F1})  {mapProbability[i, 0],7:F3}  {probability[i, 0],12:F3}  {logitVariance[i, 0],16:F3}");

// 3. MC dropout on the regression problem (a wider ReLU network with dropout 0.1).
var dropoutNet = new Sequential(new Dense(1, 64, new Relu(), generator: generator), new Dropout(0.1f), new Dense(64, 1, generator: generator));
new Trainer(dropoutNet, new Adam(dropoutNet.Parameters(), 0.01f), new MeanSquaredError()).Fit(Dataset.ForRegression(x, t), 200, 16, seed: 3);
var (mcMean, mcVariance) = McDropout.Predict(dropoutNet, grid, samples: 200, seed: 4);
Console.WriteLine();
Console.WriteLine("3. Monte-Carlo dropout (200 passes with dropout on):");
Console.WriteLine("      x    mean     sd");
for (int i = 0; i < grid.Shape[0]; i++)
    Console.WriteLine($"  {grid[i, 0],5:F1}  {mcMean[i, 0],6:F3}  {MathF.Sqrt(mcVariance[i, 0]),6:F3}{(MathF.Abs(grid[i, 0]) > 1 ? "   (outside the data)" : "")}");

// 4. ARD: t = sin(2 x0) + 0.8 x1 + 0.3 x2^2 + noise; x3 and x4 are noise.
Tensor inputs = Tensor.Uniform([150, 5], -1f, 1f, generator);
var targets = new float[150];
for (int i = 0; i < 150; i++)
    targets[i] = MathF.Sin(2 * inputs[i, 0]) + 0.8f * inputs[i, 1] + 0.3f * inputs[i, 2] * inputs[i, 2] + 0.05f * generator.NextNormal();
var ardNet = new Sequential(new Dense(5, 8, new Tanh(), generator: generator), new Dense(8, 1, generator: generator));
ArdResult ard = AutomaticRelevanceDetermination.Fit(ardNet, inputs, Tensor.Wrap(targets, new Shape(150, 1)), cycles: 10, stepsPerCycle: 300, learningRate: 0.02f,
    featureNames: ["x0 sin", "x1 linear", "x2 square", "x3 noise", "x4 noise"]);
Console.WriteLine();
Console.WriteLine($"4. Automatic relevance determination (noise precision {ard.NoisePrecision:F0}), inputs from most to least relevant:");
Console.Write(ard.ToTable());

static Tensor Map(Tensor x, Func<float, float> f) => Tensor.Wrap([.. x.ToArray().Select(f)], x.Shape);
