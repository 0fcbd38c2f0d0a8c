// The optimisers race on Rosenbrock's banana valley, f(x, y) = (1 − x)² + 100(y − x²)², from the
// classic start (−1.2, 1) to the minimum at (1, 1). First-order methods crawl along the curved
// valley floor; conjugate gradient, BFGS, L-BFGS and Newton use curvature and arrive in tens of
// steps. Then a schedule and a checkpoint: Adam with cosine warm restarts, stopped half-way,
// saved, reloaded into fresh objects, and finished with bit-identical results.
using System.Diagnostics;
using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Ops;
using Dendrite.Optim;
using Dendrite.Optim.FullBatch;
using Dendrite.Optim.Schedules;
using Dendrite.Tensors;

(string Name, Func<Parameter[], Optimizer> Create)[] contestants =
[
    ("SGD", p => new Sgd(p, learningRate: 1.5e-3f)),
    ("SGD + momentum 0.9", p => new Sgd(p, learningRate: 2e-4f, momentum: 0.9f)),
    ("SGD + Nesterov 0.9", p => new Sgd(p, learningRate: 2e-4f, momentum: 0.9f, nesterov: true)),
    ("AdaGrad", p => new AdaGrad(p, learningRate: 0.5f)),
    ("RMSProp", p => new RmsProp(p, learningRate: 1e-3f)),
    ("Adam", p => new Adam(p, learningRate: 2e-2f, beta2: 0.99f)),
    ("Rprop", p => new Rprop(p)),
    ("delta-bar-delta", p => new DeltaBarDelta(p, learningRate: 1e-3f, kappa: 1e-4f, phi: 0.5f)),
    ("conjugate gradient (PR+)", p => new ConjugateGradient(p)),
    ("BFGS", p => new Bfgs(p)),
    ("L-BFGS (strong Wolfe)", p => new Lbfgs(p, maxIterations: 1, lineSearch: LbfgsLineSearch.StrongWolfe)),
    ("Newton (finite-difference Hessian)", p => new Newton(p)),
];

Console.WriteLine("Rosenbrock from (-1.2, 1): steps until |x - (1, 1)| < 1e-3");
Console.WriteLine($"{"optimiser",-36} {"steps",7} {"loss evaluations",17} {"time",8}");
foreach (var (name, create) in contestants)
{
    var x = new Parameter(Tensor.From(-1.2f));
    var y = new Parameter(Tensor.From(1f));
    Optimizer optimizer = create([x, y]);
    Tensor Loss() => ((1f - x).Square() + (y - x.Square()).Square() * 100f).Sum();
    Tensor Closure()
    {
        optimizer.ZeroGrad();
        Tensor loss = Loss();
        loss.Backward();
        return loss;
    }
    var clock = Stopwatch.StartNew();
    int steps = 0;
    while (MathF.Sqrt(MathF.Pow(x.Item() - 1f, 2) + MathF.Pow(y.Item() - 1f, 2)) >= 1e-3f && steps < 50_000)
    {
        optimizer.Step(Closure);   // first-order methods evaluate once and step; full-batch ones search
        steps++;
    }
    long evaluations = optimizer is FullBatchOptimizer fullBatch ? fullBatch.Evaluations : steps;
    Console.WriteLine($"{name,-36} {steps,7} {evaluations,17} {clock.Elapsed.TotalMilliseconds,6:F0} ms");
}

// A schedule and a checkpoint: fit y = sin(3x) with a small network, Adam and SGDR.
var generator = new RandomGenerator(1);
Tensor inputs = Tensor.Uniform([64, 1], -1f, 1f, generator);
Tensor targets = Tensor.FromArray(inputs.ToArray().Select(v => MathF.Sin(3 * v)).ToArray(), new Shape(64, 1));
Sequential Network() => new(new Dense(1, 16, new Tanh(), generator: new RandomGenerator(2)), new Dense(16, 1, generator: new RandomGenerator(3)));
(Adam, CosineAnnealingWarmRestarts) Training(Sequential model)
{
    var schedule = new CosineAnnealingWarmRestarts(initialLearningRate: 0.02f, t0: 100, tMult: 2);
    return (new Adam(model.Parameters(), learningRate: 0.02f) { LearningRateSchedule = schedule }, schedule);
}
float Train(Sequential model, Adam adam, CosineAnnealingWarmRestarts schedule, int steps)
{
    float last = 0;
    for (int i = 0; i < steps; i++)
    {
        last = adam.Step(() =>
        {
            adam.ZeroGrad();
            Tensor loss = (model.Forward(inputs) - targets).Square().Mean();
            loss.Backward();
            return loss;
        });
        schedule.Step();
    }
    return last;
}

Sequential straight = Network();
var (adamStraight, scheduleStraight) = Training(straight);
float straightLoss = Train(straight, adamStraight, scheduleStraight, 700);

Sequential first = Network();
var (adamFirst, scheduleFirst) = Training(first);
Train(first, adamFirst, scheduleFirst, 300);
string path = Path.Combine(Path.GetTempPath(), "dendrite-optimizers-example.safetensors");
var tensors = first.StateDict().ToDictionary(p => p.Key, p => p.Value);
var metadata = new Dictionary<string, string>();
adamFirst.GetState().AddTo(tensors, metadata);
foreach (var (key, value) in scheduleFirst.GetState()) metadata["schedule." + key] = value;
Dendrite.IO.Safetensors.Save(path, tensors, metadata);

var file = Dendrite.IO.Safetensors.Load(path);
Sequential resumed = Network();
resumed.LoadStateDict(file.Tensors.Where(t => !t.Key.StartsWith("optimizer.", StringComparison.Ordinal)).ToDictionary());
var (adamResumed, scheduleResumed) = Training(resumed);
adamResumed.LoadState(OptimizerState.FromPrefixed(file.Tensors, file.Metadata));
scheduleResumed.LoadState(file.Metadata.Where(m => m.Key.StartsWith("schedule.", StringComparison.Ordinal)).ToDictionary(m => m.Key["schedule.".Length..], m => m.Value));
float resumedLoss = Train(resumed, adamResumed, scheduleResumed, 400);
File.Delete(path);

Console.WriteLine();
Console.WriteLine($"Adam + SGDR on sin(3x), 700 steps straight: loss {straightLoss:E6}");
Console.WriteLine($"300 steps, checkpoint, reload, 400 more:    loss {resumedLoss:E6} ({(straightLoss == resumedLoss ? "bit-identical" : "DIFFERENT")})");
Console.WriteLine($"lr now {adamResumed.GroupLearningRate(adamResumed.ParameterGroups[0]):G4} (restarts after steps 100, 300, 700)");
