// The seeds' classic training methods, one section each: QuickProp, training by the extended
// Kalman filter (global and decoupled per neuron), multi-start training with restarts on stalls,
// training with hints, priority sampling of a rare class, ±1 target coding with tanh outputs,
// curvature-driven smoothing, and the prediction-error rule for choosing a network's size.
// Every number printed comes from a fixed seed; the README quotes them.
using System.Diagnostics;
using Dendrite.Autograd;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Ops;
using Dendrite.Optim;
using Dendrite.Optim.FullBatch;
using Dendrite.Plots;
using Dendrite.Techniques.Classic;
using Dendrite.Tensors;
using Dendrite.Training;

var total = Stopwatch.StartNew();
string plots = Path.Combine(AppContext.BaseDirectory, "plots");
Tensor xorInputs = Tensor.FromArray([0, 0, 0, 1, 1, 0, 1, 1], new Shape(4, 2));
Tensor xorTargets = Tensor.FromArray([0, 1, 1, 0], new Shape(4, 1));
Sequential XorNetwork() => new(new Dense(2, 4, new Tanh(), generator: new RandomGenerator(3)), new Dense(4, 1, new Sigmoid(), generator: new RandomGenerator(1003)));
Tensor sineX = Tensor.Linspace(-1f, 1f, 40).Reshape(40, 1);
Tensor sineY = Tensor.FromArray([.. sineX.ToArray().Select(v => MathF.Sin(MathF.PI * v))], new Shape(40, 1));
double Mse(Module model, Tensor x, Tensor y)
{
    using var _ = new NoGrad();
    return (model.Forward(x) - y).Square().Mean().Item();
}

// ---- 1. QuickProp ----
Section("1. QuickProp (Fahlman 1988): full-batch steps to reach the target MSE");
Console.WriteLine($"{"optimiser",-26} {"XOR 2-4-1 (MSE < 0.01)",24} {"sin(πx) 1-8-1 (MSE < 0.005)",28}");
// The sine's loss is about 8 times smaller than XOR's, so the plain-gradient rates are smaller there.
foreach (var (name, forXor, forSine) in new (string, Func<IEnumerable<Parameter>, Optimizer>, Func<IEnumerable<Parameter>, Optimizer>)[]
{
    ("SGD (α 2 / 0.5)", p => new Sgd(p, 2f), p => new Sgd(p, 0.5f)),
    ("SGD momentum 0.9 (α 0.5)", p => new Sgd(p, 0.5f, momentum: 0.9f), p => new Sgd(p, 0.5f, momentum: 0.9f)),
    ("Rprop (Δ₀ 0.05)", p => new Rprop(p, 0.05f), p => new Rprop(p, 0.05f)),
    ("QuickProp (ε 2 / 0.2)", p => new QuickProp(p, 2f), p => new QuickProp(p, 0.2f)),
})
{
    int xor = StepsTo(XorNetwork(), forXor, xorInputs, xorTargets, 0.01, 5_000);
    int sin = StepsTo(Models.Mlp([1, 8, 1], () => new Tanh(), generator: new RandomGenerator(11)), forSine, sineX, sineY, 0.005, 5_000);
    Console.WriteLine($"{name,-26} {Show(xor),24} {Show(sin),28}");
}

// ---- 2. Extended Kalman filter ----
Section("2. Training by the extended Kalman filter (the seeds' MEKA): sin(πx), 1-10-1 tanh, 40 samples");
Console.WriteLine($"{"method",-34} {"epochs",6} {"MSE",10} {"covariance",11} {"time",8}");
foreach (var decoupling in new[] { KalmanDecoupling.Global, KalmanDecoupling.PerNeuron })
{
    var model = Models.Mlp([1, 10, 1], () => new Tanh(), generator: new RandomGenerator(11));
    var ekf = new ExtendedKalmanTrainer(model, decoupling, initialCovariance: 100, measurementNoise: 1, processNoise: 1e-4);
    var clock = Stopwatch.StartNew();
    ekf.Fit(sineX, sineY, epochs: 50, finalMeasurementNoise: 0.01, seed: 1);
    Console.WriteLine($"{"EKF " + decoupling,-34} {50,6} {Mse(model, sineX, sineY),10:E2} {ekf.CovarianceSize,11:N0} {clock.ElapsedMilliseconds,5} ms");
}
{
    var model = Models.Mlp([1, 10, 1], () => new Tanh(), generator: new RandomGenerator(11));
    var adam = new Adam(model.Parameters(), 0.01f);
    var clock = Stopwatch.StartNew();
    var data = Dataset.ForRegression(sineX, sineY);
    new Trainer(model, adam, new MeanSquaredError()).Fit(data, epochs: 50, batchSize: 1, seed: 1);
    Console.WriteLine($"{"Adam (α 0.01), online, same epochs",-34} {50,6} {Mse(model, sineX, sineY),10:E2} {"",11} {clock.ElapsedMilliseconds,5} ms");
}
{
    // More than a few hundred weights: the node-decoupled filter on a 2-20-20-1 network.
    var generator = new RandomGenerator(21);
    Tensor x = Tensor.Uniform([150, 2], -1.5f, 1.5f, generator);
    Tensor y = Tensor.FromArray([.. Enumerable.Range(0, 150).Select(i => MathF.Sin(2 * x[i, 0]) * MathF.Cos(x[i, 1]))], new Shape(150, 1));
    var model = Models.Mlp([2, 20, 20, 1], () => new Tanh(), generator: new RandomGenerator(22));
    var ekf = new ExtendedKalmanTrainer(model, KalmanDecoupling.PerNeuron, initialCovariance: 100, measurementNoise: 1, processNoise: 1e-4);
    var clock = Stopwatch.StartNew();
    ekf.Fit(x, y, epochs: 15, finalMeasurementNoise: 0.05, seed: 2);
    Console.WriteLine($"{"EKF PerNeuron, 2-20-20-1 (501 w.)",-34} {15,6} {Mse(model, x, y),10:E2} {ekf.CovarianceSize,11:N0} {clock.ElapsedMilliseconds,5} ms   (global: {501L * 501:N0} entries)");
}

// ---- 3. Multi-start ----
Section("3. Multi-start training: 1-3-1 tanh on 60 noisy samples of sin(3x); up to 10 starts in a budget of 1,500 epochs, a run is restarted after 20 epochs without a 1 % fall");
{
    var generator = new RandomGenerator(8);
    Dataset Make(int n)
    {
        Tensor x = Tensor.Uniform([n, 1], -1f, 1f, generator);
        return Dataset.ForRegression(x, Tensor.FromArray([.. x.ToArray().Select(v => MathF.Sin(3 * v) + 0.05f * generator.NextNormal())], new Shape(n, 1)));
    }
    Dataset train = Make(60), validation = Make(200);
    var multiStart = new MultiStartTrainer(g => Models.Mlp([1, 3, 1], () => new Tanh(), generator: g), m => new Adam(m.Parameters(), 0.02f), new MeanSquaredError())
    { Starts = 10, StallPatience = 20, StallTolerance = 1e-2, EpochBudget = 1500 };
    MultiStartResult result = multiStart.Fit(train, validation, epochs: 400, batchSize: 20, seed: 3);
    Console.WriteLine($"{"start",5} {"epochs",6} {"stalled",7} {"train MSE",10} {"val MSE",9}");
    foreach (var run in result.Runs)
        Console.WriteLine($"{run.Start,5} {run.Epochs,6} {(run.Stalled ? "yes" : "no"),7} {run.TrainingLoss,10:F4} {run.ValidationLoss,9:F4}{(ReferenceEquals(run, result.Best) ? "  <- kept" : "")}");
    Console.WriteLine($"kept start {result.Best.Start}: validation MSE {result.Best.ValidationLoss:F4} (median of the starts {Median(result.Runs.Select(r => r.ValidationLoss)):F4})");
}

// ---- 4. Hints ----
Section("4. Training with hints: y = sin(3·u·x) on x in [-1, 1]^10, 120 samples; the hint is z = u·x");
{
    var (validation, _) = HiddenDirectionTask(1000, 7);
    Console.WriteLine($"{"seed",4} {"val MSE, no hint",17} {"val MSE, hint λ = 1",20}");
    double without = 0, with = 0;
    const int seeds = 5;
    HintNetwork? last = null;
    for (int s = 0; s < seeds; s++)
    {
        var (train, hints) = HiddenDirectionTask(120, 100 + s);
        double Train(float weight)
        {
            var g = new RandomGenerator(1000 + s);
            var network = new HintNetwork(new Dense(10, 16, new Tanh(), generator: g), new Dense(16, 1, generator: g), new Dense(16, 1, generator: g));
            var trainer = new HintTrainer(network, new Adam(network.Parameters(), 0.01f), new MeanSquaredError(), new MeanSquaredError()) { HintWeight = weight };
            trainer.Fit(train, hints, epochs: 300, batchSize: 16, seed: s);
            last = network;
            return trainer.Evaluate(validation);
        }
        double a = Train(0f), b = Train(1f);
        without += a / seeds;
        with += b / seeds;
        Console.WriteLine($"{s,4} {a,17:F4} {b,20:F4}");
    }
    Console.WriteLine($"mean {without,17:F4} {with,20:F4}   ({(with < without ? $"{1 - with / without:P0} lower with the hint" : "no gain from the hint")})");
    string path = Path.Combine(Path.GetTempPath(), "dendrite-hint-example");
    Model.Save(last!.InferenceModel(), path);
    Module loaded = Model.Load(path);
    Console.WriteLine($"saved inference model: {loaded.ParameterCount().Trainable} weights ({string.Join(", ", loaded.NamedParameters().Select(p => p.Name))}); the trained network had {last.ParameterCount().Trainable}, {last.HintHead.ParameterCount().Trainable} of them in the hint head");
}

// ---- 5. Priority sampling ----
Section("5. Priority sampling: a rare class (3 % of 2,000 points), 20 epochs of batches of 32");
{
    var (train, test) = (RareClassTask(2000, 31), RareClassTask(2000, 32));
    int[] rare = [.. Enumerable.Range(0, train.Count).Where(i => train.Targets[i] == 1f)];
    Console.WriteLine($"{"sampling",-34} {"rare share of batches",21} {"rare recall",11} {"accuracy",9}");
    foreach (var (name, share) in new (string, double?)[] { ("uniform (DataLoader)", null), ("priority, 10 % rare per batch", 0.10), ("priority, 25 % rare per batch", 0.25) })
    {
        var model = Models.Mlp([2, 16, 2], () => new Tanh(), generator: new RandomGenerator(33));
        var optimizer = new Adam(model.Parameters(), 0.01f);
        var loss = new CrossEntropy();
        IEnumerable<Batch> loader = share is double h
            ? new PrioritySampler(train, rare, h, batchSize: 32, new RandomGenerator(34))
            : new DataLoader(train, 32, shuffle: true, generator: new RandomGenerator(34), prefetch: false);
        long rareDrawn = 0, drawn = 0;
        for (int epoch = 0; epoch < 20; epoch++)
            foreach (Batch batch in loader)
            {
                rareDrawn += batch.Targets.ToArray().Count(t => t == 1f);
                drawn += batch.Size;
                optimizer.ZeroGrad();
                loss.Compute(model.Forward(batch.Features), batch.Targets).Backward();
                optimizer.Step();
            }
        float[] predicted = [.. Trainer.Predict(model, test.Features).ArgMax(1).ToArray()];
        float[] truth = test.Targets.ToArray();
        double recall = Enumerable.Range(0, truth.Length).Count(i => truth[i] == 1f && predicted[i] == 1f) / (double)truth.Count(t => t == 1f);
        double accuracy = Enumerable.Range(0, truth.Length).Count(i => truth[i] == predicted[i]) / (double)truth.Length;
        Console.WriteLine($"{name,-34} {(double)rareDrawn / drawn,21:P1} {recall,11:P1} {accuracy,9:P1}");
    }
}

// ---- 6. ±1 target coding ----
Section("6. ±1 target coding with tanh outputs: Wine (13 features, 3 classes), 13-10-3, squared error, 80 epochs");
{
    Dataset wine = Datasets.Wine();
    var (train, test) = Splits.TrainValidation(wine, 0.3, new RandomGenerator(41), stratified: true);
    var scaler = new Standardizer().Fit(train);
    foreach (var (name, tanh) in new[] { ("±1 codes, tanh outputs", true), ("0/1 codes, logistic outputs", false) })
    {
        Dataset Coded(Dataset d) => Dataset.ForRegression(scaler.Transform(d.Features),
            tanh ? TargetCoding.Encode(d.Targets, 3) : OneHot.Encode(d.Targets, 3));
        var g = new RandomGenerator(42);
        var model = new Sequential(new Dense(13, 10, new Tanh(), generator: g), new Dense(10, 3, tanh ? new Tanh() : new Sigmoid(), generator: g));
        new Trainer(model, new Adam(model.Parameters(), 0.01f), new MeanSquaredError()).Fit(Coded(train), epochs: 80, batchSize: 16, seed: 43);
        Tensor outputs = Trainer.Predict(model, scaler.Transform(test.Features));
        Console.WriteLine($"{name,-30} test accuracy {TargetCoding.Accuracy(outputs, test.Targets):P1} ({test.Count} wines)");
    }
}

// ---- 7. Curvature-driven smoothing ----
Section("7. Curvature-driven smoothing: 1-30-1 tanh on 30 noisy samples of sin(πx) (σ = 0.2), Ω on a 41-point grid");
{
    var generator = new RandomGenerator(9);
    Tensor x = Tensor.Uniform([30, 1], -1f, 1f, generator);
    Tensor y = Tensor.FromArray([.. x.ToArray().Select(v => MathF.Sin(MathF.PI * v) + 0.2f * generator.NextNormal())], new Shape(30, 1));
    Tensor grid = Tensor.Linspace(-1f, 1f, 201).Reshape(201, 1);
    Tensor truth = Tensor.FromArray([.. grid.ToArray().Select(v => MathF.Sin(MathF.PI * v))], new Shape(201, 1));
    Tensor penaltyPoints = Tensor.Linspace(-1f, 1f, 41).Reshape(41, 1);
    Console.WriteLine($"{"λ",8} {"train MSE",10} {"mean (y'')²",12} {"MSE vs sin(πx)",15}   (sin(πx) itself: mean (y'')² = {Math.Pow(Math.PI, 4) / 2:F1})");
    var fits = new Dictionary<string, double[]>();
    foreach (float lambda in new[] { 0f, 1e-5f, 1e-4f, 1e-3f, 1e-2f })
    {
        var net = Models.Mlp([1, 30, 1], () => new Tanh(), generator: new RandomGenerator(10));
        var optimizer = new Rprop(net.Parameters(), 0.01f);
        for (int i = 0; i < 1500; i++)
        {
            optimizer.ZeroGrad();
            Tensor loss = (net.Forward(x) - y).Square().Mean();
            if (lambda > 0) loss += CurvatureSmoothing.Penalty(net, penaltyPoints) * lambda;
            loss.Backward();
            optimizer.Step();
        }
        using var _ = new NoGrad();
        double curvature = CurvatureSmoothing.SecondDerivatives(net, grid).Square().Mean().Item();
        Console.WriteLine($"{lambda,8:G2} {Mse(net, x, y),10:F4} {curvature,12:F1} {Mse(net, grid, truth),15:F4}");
        if (lambda is 0f or 1e-3f or 1e-2f) fits[$"λ = {lambda:G2}"] = [.. net.Forward(grid).ToArray().Select(v => (double)v)];
    }
    Console.WriteLine("plot: " + FunctionPlots.SaveFits(Path.Combine(plots, "curvature-smoothing.png"), [.. grid.ToArray().Select(v => (double)v)],
        [.. truth.ToArray().Select(v => (double)v)], fits, "curvature-driven smoothing of a 1-30-1 fit to 30 noisy points"));
}

// ---- 8. Prediction-error rule ----
Section("8. Prediction-error rule PE = 2E/N + 2·N_W·σ²/N: 80 noisy samples of sin(2πx) (σ = 0.2), L-BFGS, best of 3 starts");
{
    var generator = new RandomGenerator(5);
    Tensor x = Tensor.Uniform([80, 1], -1f, 1f, generator);
    Tensor y = Tensor.FromArray([.. x.ToArray().Select(v => MathF.Sin(2 * MathF.PI * v) + 0.2f * generator.NextNormal())], new Shape(80, 1));
    Tensor grid = Tensor.Linspace(-1f, 1f, 500).Reshape(500, 1);
    Tensor truth = Tensor.FromArray([.. grid.ToArray().Select(v => MathF.Sin(2 * MathF.PI * v))], new Shape(500, 1));
    int[] widths = [1, 2, 3, 4, 6, 8, 12, 16, 20];
    var candidates = new List<(string, Module)>();
    foreach (int width in widths)
    {
        MultiStartResult fit = MultiStart.Run(3, g =>
        {
            var model = Models.Mlp([1, width, 1], () => new Tanh(), generator: g);
            var optimizer = new Lbfgs(model.Parameters(), maxIterations: 500, lineSearch: LbfgsLineSearch.StrongWolfe);
            optimizer.Step(() =>
            {
                optimizer.ZeroGrad();
                Tensor loss = (model.Forward(x) - y).Square().Mean();
                loss.Backward();
                return loss;
            });
            return model;
        }, model => Mse(model, x, y), seed: width);
        candidates.Add(($"{width} hidden", fit.Model));
    }
    PredictionErrorTable table = PredictionError.Compare(candidates, x, y);
    Console.WriteLine($"{"candidate",-10} {"N_W",4} {"2E/N",8} {"penalty",8} {"PE",8} {"test MSE + σ²",14}");
    for (int i = 0; i < widths.Length; i++)
    {
        var c = table.Candidates[i];
        Console.WriteLine($"{c.Name,-10} {c.Weights,4} {c.TrainingMse,8:F4} {c.Penalty,8:F4} {c.PredictionError,8:F4} {Mse(candidates[i].Item2, grid, truth) + 0.04,14:F4}{(i == table.Best ? "  <- PE's choice" : "")}");
    }
    Console.WriteLine($"σ² estimated from the candidates: {table.NoiseVariance:F4} (true 0.04). The last column is the expected squared error on new noisy data.");
}
Console.WriteLine($"\n(total {total.Elapsed.TotalSeconds:F0} s)");
return;

static void Section(string title) => Console.WriteLine($"\n{title}");

static string Show(int steps) => steps < 0 ? "not reached" : steps.ToString(System.Globalization.CultureInfo.InvariantCulture);

static double Median(IEnumerable<double> values)
{
    double[] sorted = [.. values.Order()];
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
}

static int StepsTo(Module model, Func<IEnumerable<Parameter>, Optimizer> create, Tensor x, Tensor y, double target, int limit)
{
    Optimizer optimizer = create(model.Parameters());
    for (int step = 0; step < limit; step++)
    {
        optimizer.ZeroGrad();
        Tensor loss = (model.Forward(x) - y).Square().Mean();
        if (loss.Item() < target) return step;
        loss.Backward();
        optimizer.Step();
    }
    return -1;
}

// x in [-1, 1]^10, a fixed hidden unit direction u, z = u·x, y = sin(3z) + N(0, 0.05²); the hint is z.
static (Dataset Data, Tensor Hints) HiddenDirectionTask(int count, long seed)
{
    const int inputs = 10;
    var direction = new float[inputs];
    new RandomGenerator(42).FillNormal(direction);
    float norm = MathF.Sqrt(direction.Sum(v => v * v));
    var generator = new RandomGenerator(seed);
    Tensor x = Tensor.Uniform([count, inputs], -1f, 1f, generator);
    float[] xs = x.ToArray();
    var z = new float[count];
    var y = new float[count];
    for (int i = 0; i < count; i++)
    {
        for (int j = 0; j < inputs; j++) z[i] += xs[i * inputs + j] * direction[j] / norm;
        y[i] = MathF.Sin(3 * z[i]) + 0.05f * generator.NextNormal();
    }
    return (Dataset.ForRegression(x, Tensor.FromArray(y, new Shape(count, 1))), Tensor.FromArray(z, new Shape(count, 1)));
}

// Points in [-1, 1]²; class 1 (rare, about 3 %) inside a disc of radius 0.2 around (0.5, 0.5).
static Dataset RareClassTask(int count, long seed)
{
    var generator = new RandomGenerator(seed);
    Tensor x = Tensor.Uniform([count, 2], -1f, 1f, generator);
    var labels = new float[count];
    for (int i = 0; i < count; i++)
    {
        float dx = x[i, 0] - 0.5f, dy = x[i, 1] - 0.5f;
        labels[i] = dx * dx + dy * dy < 0.04f ? 1f : 0f;
    }
    return Dataset.ForClassification(x, Tensor.FromArray(labels), ["common", "rare"]);
}
