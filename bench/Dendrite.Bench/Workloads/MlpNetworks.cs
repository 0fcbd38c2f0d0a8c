using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.Ops;
using Dendrite.Optim;
using Dendrite.Tensors;
using TorchSharp;
using static TorchSharp.torch;
using DTensor = Dendrite.Tensors.Tensor;
using TTensor = TorchSharp.torch.Tensor;

namespace Dendrite.Bench.Workloads;

/// <summary>
/// The multilayer perceptron, 784-500-500-10 with ReLU, in both frameworks: the models, a
/// fixed pseudo-random batch, and one Adam training step with softmax cross-entropy on each side.
/// Shared by the <c>mlp</c>, <c>mlp-infer</c>, <c>memory</c> and <c>fashion-mnist</c> workloads.
/// </summary>
internal static class MlpNetworks
{
    /// <summary>Layer sizes: 784 inputs (a 28x28 image), two hidden layers of 500, 10 classes.</summary>
    public static readonly int[] Sizes = [784, 500, 500, 10];

    /// <summary>Adam's learning rate in every MLP workload.</summary>
    public const float LearningRate = 1e-3f;

    /// <summary>Inputs in [0, 1) (like scaled pixels) and labels 0..9, the same on both sides.</summary>
    public static (float[] Inputs, int[] Labels) RandomBatch(int batch, int seed = 7)
    {
        var random = new Random(seed);
        var inputs = new float[batch * Sizes[0]];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)random.NextDouble();
        var labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = random.Next(Sizes[^1]);
        return (inputs, labels);
    }

    /// <summary>Dendrite's MLP (Dense + ReLU, Dense + ReLU, Dense), He-initialised from a fixed seed.</summary>
    public static Sequential CreateDendrite(int seed = 1) => Models.Mlp(Sizes, generator: new RandomGenerator(seed));

    /// <summary>The same network in TorchSharp: Linear, ReLU, Linear, ReLU, Linear.</summary>
    public static nn.Module<TTensor, TTensor> CreateTorch() => nn.Sequential(
        ("0", nn.Linear(Sizes[0], Sizes[1])), ("1", nn.ReLU()),
        ("2", nn.Linear(Sizes[1], Sizes[2])), ("3", nn.ReLU()),
        ("4", nn.Linear(Sizes[2], Sizes[3])));

    /// <summary>Copies the TorchSharp model's weights into the Dendrite model (both list weight, bias per layer, in order; same layouts).</summary>
    public static void CopyWeights(nn.Module<TTensor, TTensor> from, Module to)
    {
        using var _ = no_grad();
        var source = from.parameters().ToList();
        var target = to.Parameters().ToList();
        if (source.Count != target.Count) throw new InvalidOperationException($"{source.Count} TorchSharp parameters, {target.Count} Dendrite parameters.");
        for (int i = 0; i < source.Count; i++) target[i].CopyFrom(source[i].contiguous().data<float>().ToArray());
    }

    /// <summary>A Dendrite model, its Adam optimiser and one fixed batch: <see cref="Step"/> is one training step.</summary>
    public sealed class DendriteTraining(Sequential model, int batch, int seed = 7)
    {
        private readonly DTensor _input = DTensor.FromArray(RandomBatch(batch, seed).Inputs, new Shape(batch, Sizes[0]));
        private readonly int[] _labels = RandomBatch(batch, seed).Labels;
        private readonly Adam _optimizer = new(model.Parameters(), LearningRate);

        /// <summary>The model trained.</summary>
        public Sequential Model => model;

        /// <summary>Zero the gradients, forward, softmax cross-entropy, backward, Adam; returns nothing so nothing is read back.</summary>
        public void Step()
        {
            _optimizer.ZeroGrad();
            DTensor logits = model.Forward(_input);                    // [batch, 10]
            DTensor loss = logits.SoftmaxCrossEntropy(_labels);
            loss.Backward();
            _optimizer.Step();
        }
    }

    /// <summary>The TorchSharp side of <see cref="DendriteTraining"/>: model, torch.optim.Adam, one batch; disposable.</summary>
    public sealed class TorchTraining : IDisposable
    {
        private readonly nn.Module<TTensor, TTensor> _model;
        private readonly TTensor _input, _targets;
        private readonly optim.Optimizer _optimizer;

        public TorchTraining(nn.Module<TTensor, TTensor> model, int batch, int seed = 7)
        {
            _model = model;
            var (inputs, labels) = RandomBatch(batch, seed);
            _input = torch.tensor(inputs, [batch, Sizes[0]]);
            _targets = torch.tensor(labels.Select(l => (long)l).ToArray(), [batch]);
            _optimizer = optim.Adam(model.parameters(), LearningRate);
        }

        /// <summary>One step, in a dispose scope so that its temporaries are freed at once.</summary>
        public void Step()
        {
            using var scope = NewDisposeScope();
            _optimizer.zero_grad();
            TTensor logits = _model.call(_input);
            TTensor loss = nn.functional.cross_entropy(logits, _targets);
            loss.backward();
            _optimizer.step();
        }

        public void Dispose()
        {
            _input.Dispose();
            _targets.Dispose();
            _model.Dispose();
        }
    }

    /// <summary>Disposes a list of TorchSharp objects with the case.</summary>
    public sealed class Disposables(params IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (IDisposable item in items) item.Dispose();
        }
    }
}
