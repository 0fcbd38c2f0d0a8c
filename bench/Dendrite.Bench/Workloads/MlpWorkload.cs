namespace Dendrite.Bench.Workloads;

/// <summary>
/// The issue's <c>mlp</c> row: one training step of the 784-500-500-10 ReLU MLP (softmax
/// cross-entropy, Adam at 1e-3) on a batch of 128, both sides from the same weights and the same
/// batch, which is created outside the timed region. Reported in samples per second.
/// </summary>
public sealed class MlpWorkload : IWorkload
{
    private const int Batch = 128;

    public string Name => "mlp";

    public string Description => "MLP 784-500-500-10 ReLU training step: softmax cross-entropy, Adam, batch 128 (samples/s, higher is better)";

    public IEnumerable<BenchCase> Cases()
    {
        var torchModel = MlpNetworks.CreateTorch();
        var model = MlpNetworks.CreateDendrite();
        MlpNetworks.CopyWeights(torchModel, model);
        var dendrite = new MlpNetworks.DendriteTraining(model, Batch);
        var torch = new MlpNetworks.TorchTraining(torchModel, Batch);
        yield return new BenchCase("train step, batch 128", "samples/s", Batch, dendrite.Step, torch.Step)
        {
            Resources = torch,
        };
    }
}
