using Dendrite.Autograd;
using Dendrite.Tensors;
using static TorchSharp.torch;
using DTensor = Dendrite.Tensors.Tensor;
using TTensor = TorchSharp.torch.Tensor;

namespace Dendrite.Bench.Workloads;

/// <summary>
/// The issue's <c>mlp-infer</c> row: the 784-500-500-10 ReLU MLP's forward pass over a batch of 1,000
/// in evaluation mode without gradients (<c>NoGrad</c> / <c>torch.no_grad()</c>), same weights and
/// inputs on both sides. Reported in samples per second.
/// </summary>
public sealed class MlpInferenceWorkload : IWorkload
{
    private const int Batch = 1000;

    public string Name => "mlp-infer";

    public string Description => "MLP 784-500-500-10 ReLU inference: forward pass, batch 1000, eval mode, no gradients (samples/s, higher is better)";

    public IEnumerable<BenchCase> Cases()
    {
        var torchModel = MlpNetworks.CreateTorch();
        var model = MlpNetworks.CreateDendrite();
        MlpNetworks.CopyWeights(torchModel, model);
        model.Eval();
        torchModel.eval();
        float[] inputs = MlpNetworks.RandomBatch(Batch).Inputs;
        DTensor input = DTensor.FromArray(inputs, new Shape(Batch, MlpNetworks.Sizes[0]));
        TTensor torchInput = tensor(inputs, [Batch, MlpNetworks.Sizes[0]]);
        yield return new BenchCase("forward, batch 1000", "samples/s", Batch,
            dendrite: () =>
            {
                using var _ = new NoGrad();
                model.Forward(input);                                   // [1000, 10]
            },
            torchSharp: () =>
            {
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                torchModel.call(torchInput);
            })
        {
            Resources = new MlpNetworks.Disposables(torchInput, torchModel),
        };
    }
}
