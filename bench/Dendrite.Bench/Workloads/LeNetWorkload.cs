using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.Ops;
using Dendrite.Optim;
using TorchSharp;
using static TorchSharp.torch;
using DTensor = Dendrite.Tensors.Tensor;
using DShape = Dendrite.Tensors.Shape;
using TTensor = TorchSharp.torch.Tensor;

namespace Dendrite.Bench.Workloads;

/// <summary>
/// One training step of LeNet-5 in its common modern form, the issue's `lenet` workload: conv 1→6
/// 5×5 pad 2 + ReLU, max-pool 2, conv 6→16 5×5 + ReLU, max-pool 2, dense 400→120→84→10 with ReLU,
/// softmax cross-entropy, SGD with momentum 0.9; batch 64 of 1×28×28 images. Both sides start from
/// the same weights and step through the same eight batches in turn. Reported in samples per second.
/// </summary>
public sealed class LeNetWorkload : IWorkload
{
    private const int Batch = 64, Classes = 10, Batches = 8;
    private const float LearningRate = 0.01f, Momentum = 0.9f;

    public string Name => "lenet";

    public string Description => "LeNet-5 training step (ReLU, max-pool, 61,706 parameters), batch 64 of 1x28x28, softmax cross-entropy, SGD momentum 0.9 (samples/s, higher is better)";

    public IEnumerable<BenchCase> Cases()
    {
        yield return TrainingStep();
    }

    private static BenchCase TrainingStep()
    {
        // Data: eight fixed batches of uniform pixels in [0, 1) and random labels; the same on both sides.
        var random = new Random(11);
        var images = new float[Batches][];
        var labels = new int[Batches][];
        var labelsLong = new long[Batches][];
        for (int i = 0; i < Batches; i++)
        {
            images[i] = new float[Batch * 28 * 28];
            for (int j = 0; j < images[i].Length; j++) images[i][j] = (float)random.NextDouble();
            labels[i] = new int[Batch];
            labelsLong[i] = new long[Batch];
            for (int j = 0; j < Batch; j++) labelsLong[i][j] = labels[i][j] = random.Next(Classes);
        }
        DTensor[] inputs = images.Select(x => DTensor.FromArray(x, new DShape(Batch, 1, 28, 28))).ToArray();

        // TorchSharp: the standard modern LeNet-5 (created outside any dispose scope; the case disposes it).
        var torchModel = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding: 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, Classes));
        TTensor[] torchInputs = images.Select(x => torch.tensor(x, [Batch, 1, 28, 28])).ToArray();
        TTensor[] torchTargets = labelsLong.Select(y => torch.tensor(y, [Batch])).ToArray();
        var resources = new Disposables([torchModel, .. torchInputs, .. torchTargets]);

        // Dendrite: Models.LeNet5(classic: false), the same layers, with TorchSharp's initial weights.
        Sequential model = Models.LeNet5(Classes, classic: false);
        CopyWeights(torchModel, model);

        var optimizer = new Sgd(model.Parameters(), LearningRate, Momentum);
        var torchOptimizer = optim.SGD(torchModel.parameters(), LearningRate, Momentum);
        int dendriteStep = 0, torchStep = 0;

        Action dendrite = () =>
            {
                int i = dendriteStep++ % Batches;
                optimizer.ZeroGrad();
                DTensor logits = model.Forward(inputs[i]);                   // [64, 10]
                DTensor loss = logits.SoftmaxCrossEntropy(labels[i]);
                loss.Backward();
                optimizer.Step();
            };
        Action torchSharp = () =>
            {
                int i = torchStep++ % Batches;
                using var step = NewDisposeScope();
                torchOptimizer.zero_grad();
                TTensor logits = torchModel.call(torchInputs[i]);
                TTensor loss = nn.functional.cross_entropy(logits, torchTargets[i]);
                loss.backward();
                torchOptimizer.step();
            };
        WarmUp(dendrite, torchSharp);
        return new BenchCase("train step, batch 64", "samples/s", Batch, dendrite, torchSharp)
        {
            Resources = resources,
        };
    }

    /// <summary>
    /// Runs both sides alternately for about two seconds before the runner's own short warm-up. A
    /// training step is a few hundred methods, and .NET compiles a hot method at full optimisation only
    /// after it has run 30 times and a background compile has finished; without this the first timed
    /// samples of the Dendrite side ran partly unoptimised (12,000 against 30,000-40,000 samples/s later
    /// in the same run; 40,000-46,000 once warm). TorchSharp's managed wrappers get the same warm-up.
    /// </summary>
    internal static void WarmUp(Action dendrite, Action torchSharp, double seconds = 2)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            long slice = System.Diagnostics.Stopwatch.GetTimestamp();
            while (System.Diagnostics.Stopwatch.GetElapsedTime(slice).TotalMilliseconds < 100) dendrite();
            slice = System.Diagnostics.Stopwatch.GetTimestamp();
            while (System.Diagnostics.Stopwatch.GetElapsedTime(slice).TotalMilliseconds < 100) torchSharp();
        }
    }

    /// <summary>Copies TorchSharp's initial weights into the Dendrite model; both list their parameters in the same order and layouts.</summary>
    private static void CopyWeights(nn.Module torchModel, Sequential model)
    {
        using var _ = no_grad();
        var torchParameters = torchModel.parameters().ToList();
        var parameters = model.Parameters().ToList();
        if (torchParameters.Count != parameters.Count)
            throw new InvalidOperationException($"LeNet: TorchSharp has {torchParameters.Count} parameter tensors, Dendrite {parameters.Count}.");
        for (int i = 0; i < parameters.Count; i++)
        {
            float[] values = torchParameters[i].contiguous().data<float>().ToArray();
            if (values.Length != parameters[i].Count)
                throw new InvalidOperationException($"LeNet: parameter {i} has {values.Length} values in TorchSharp and {parameters[i].Count} in Dendrite.");
            parameters[i].CopyFrom(values);
        }
    }

    /// <summary>The TorchSharp side's modules and tensors, disposed with the case.</summary>
    private sealed class Disposables(IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (IDisposable item in items) item.Dispose();
        }
    }
}
