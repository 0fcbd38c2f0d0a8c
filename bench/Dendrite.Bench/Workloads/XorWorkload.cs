using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Tensors;
using TorchSharp;
using static TorchSharp.torch;
using DTensor = Dendrite.Tensors.Tensor;
using TTensor = TorchSharp.torch.Tensor;

namespace Dendrite.Bench.Workloads;

/// <summary>
/// The issue's <c>xor</c> row, framework overhead: one SGD step of a 2-4-1 network of sigmoid units on
/// the four XOR patterns (zero the gradients, forward, mean squared error, backward, update). The
/// arithmetic is a few dozen flops; what is measured is everything around it. Reported in
/// microseconds per step.
/// </summary>
public sealed class XorWorkload : IWorkload
{
    public string Name => "xor";

    public string Description => "2-4-1 sigmoid net, batch 4, one SGD step with MSE: framework overhead (µs per step, lower is better)";

    public IEnumerable<BenchCase> Cases()
    {
        float[] inputs = [0, 0, 0, 1, 1, 0, 1, 1];
        float[] targets = [0, 1, 1, 0];

        var torchModel = nn.Sequential(("0", nn.Linear(2, 4)), ("1", nn.Sigmoid()), ("2", nn.Linear(4, 1)), ("3", nn.Sigmoid()));
        var model = new Sequential(new Dense(2, 4, new Sigmoid()), new Dense(4, 1, new Sigmoid()));
        MlpNetworks.CopyWeights(torchModel, model);

        DTensor x = DTensor.FromArray(inputs, new Shape(4, 2));
        DTensor y = DTensor.FromArray(targets, new Shape(4, 1));
        var loss = new MeanSquaredError();
        var optimizer = new Sgd(model.Parameters(), learningRate: 0.5f);

        TTensor torchX = tensor(inputs, [4, 2]);
        TTensor torchY = tensor(targets, [4, 1]);
        var torchOptimizer = optim.SGD(torchModel.parameters(), 0.5);

        yield return new BenchCase("SGD step, batch 4", "µs", 1e6,
            dendrite: () =>
            {
                optimizer.ZeroGrad();
                DTensor error = loss.Compute(model.Forward(x), y);
                error.Backward();
                optimizer.Step();
            },
            torchSharp: () =>
            {
                using var scope = NewDisposeScope();
                torchOptimizer.zero_grad();
                TTensor error = nn.functional.mse_loss(torchModel.call(torchX), torchY);
                error.backward();
                torchOptimizer.step();
            })
        {
            HigherIsBetter = false,
            Resources = new MlpNetworks.Disposables(torchX, torchY, torchModel),
        };
    }
}
