using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Ops;
using Dendrite.Optim;
using TorchSharp;
using static TorchSharp.torch;
using DTensor = Dendrite.Tensors.Tensor;
using DShape = Dendrite.Tensors.Shape;
using TTensor = TorchSharp.torch.Tensor;

namespace Dendrite.Bench.Workloads;

/// <summary>
/// One training step of a character-level LSTM language model, the issue's `lstm` workload: a
/// 96-symbol vocabulary embedded to 64, one LSTM layer of 256 units, a linear layer back to 96
/// logits, next-token cross-entropy, Adam. Batch 32 × sequence 64 = 2,048 tokens per step, the same
/// token batch and the same initial weights on both sides. Reported in tokens per second.
/// </summary>
/// <remarks>
/// Three Dendrite cases against the same TorchSharp code:
/// <list type="bullet">
/// <item>the three layers called one by one, as the TorchSharp side calls them: the same operations;</item>
/// <item>the same layers in a <see cref="Sequential"/>, which runs Embedding then Lstm as the LSTM reading
/// the 96-row embedding table, projected once instead of the 2,048 embedded tokens (the same function,
/// 19 % fewer multiply-adds; see <c>TensorOps.LstmSequenceOfTokens</c>);</item>
/// <item>Dendrite's <see cref="RecurrentLanguageModel"/> with the same parameters, which does the same.</item>
/// </list>
/// </remarks>
public sealed class LstmWorkload : IWorkload
{
    private const int Vocabulary = 96, Embedding = 64, Hidden = 256, Steps = 64, Batch = 32;

    public string Name => "lstm";

    public string Description => "char-LSTM training step: embed 96->64, LSTM 256, linear 256->96, cross-entropy, Adam; batch 32 x 64 steps (tokens/s, higher is better)";

    public IEnumerable<BenchCase> Cases()
    {
        yield return TrainingStep(Model.LayersOneByOne);
        yield return TrainingStep(Model.Sequential);
        yield return TrainingStep(Model.LanguageModel);
    }

    private enum Model { LayersOneByOne, Sequential, LanguageModel }

    private static BenchCase TrainingStep(Model kind)
    {
        // Tokens: a fixed pseudo-random batch; the next token is the target (the last position wraps around).
        var random = new Random(7);
        var tokens = new int[Batch * (Steps + 1)];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = random.Next(Vocabulary);
        var inputs = new float[Batch * Steps];
        var targets = new int[Batch * Steps];
        var inputsLong = new long[Batch * Steps];
        var targetsLong = new long[Batch * Steps];
        for (int b = 0; b < Batch; b++)
            for (int t = 0; t < Steps; t++)
            {
                int i = b * Steps + t;
                inputs[i] = tokens[b * (Steps + 1) + t];
                inputsLong[i] = tokens[b * (Steps + 1) + t];
                targets[i] = tokens[b * (Steps + 1) + t + 1];
                targetsLong[i] = targets[i];
            }

        // Dendrite: Embedding -> Lstm -> Dense, weights copied from the TorchSharp model below.
        var embedding = new Embedding(Vocabulary, Embedding);
        var lstm = new Lstm(Embedding, Hidden, forgetGateBias: null);
        var head = new Dense(Hidden, Vocabulary);
        Module model = new Sequential(embedding, lstm, head);
        if (kind == Model.LanguageModel)
        {
            var language = Models.LstmLanguageModel(Vocabulary, Embedding, Hidden);
            (embedding, lstm, head, model) = (language.Embedding, language.Lstm, language.Head, language);
        }
        DTensor input = DTensor.FromArray(inputs, new DShape(Batch, Steps));

        // TorchSharp: the same model (created outside any dispose scope; the case disposes it).
        var torchEmbedding = nn.Embedding(Vocabulary, Embedding);
        var torchLstm = nn.LSTM(Embedding, Hidden, 1, bias: true, batchFirst: true);
        var torchHead = nn.Linear(Hidden, Vocabulary);
        TTensor torchInput = torch.tensor(inputsLong, [Batch, Steps]);
        TTensor torchTargets = torch.tensor(targetsLong, [Batch * Steps]);
        var modules = new TorchModules(torchEmbedding, torchLstm, torchHead, torchInput, torchTargets);
        CopyWeights(torchEmbedding, torchLstm, torchHead, embedding, lstm, head);

        var optimizer = new Adam(model.Parameters(), learningRate: 1e-3f);
        var torchParameters = torchEmbedding.parameters().Concat(torchLstm.parameters()).Concat(torchHead.parameters()).ToList();
        var torchOptimizer = optim.Adam(torchParameters, 1e-3);

        string name = kind switch
        {
            Model.LayersOneByOne => "Embedding, Lstm, Dense one by one",
            Model.Sequential => "Sequential(Embedding, Lstm, Dense)",
            _ => "RecurrentLanguageModel (table)",
        };
        Func<DTensor> forward = kind == Model.LayersOneByOne
            ? () => head.Forward(lstm.Forward(embedding.Forward(input)))
            : () => model.Forward(input);
        Action dendrite = () =>
        {
            optimizer.ZeroGrad();
            DTensor logits = forward();                                              // [B, T, V]
            DTensor loss = logits.Reshape(Batch * Steps, Vocabulary).SoftmaxCrossEntropy(targets);
            loss.Backward();
            optimizer.Step();
        };
        Action torchSharp = () =>
        {
            using var step = NewDisposeScope();
            torchOptimizer.zero_grad();
            TTensor embedded = torchEmbedding.call(torchInput);
            var (output, _, _) = torchLstm.call(embedded);
            TTensor logits = torchHead.call(output);
            TTensor loss = nn.functional.cross_entropy(logits.reshape(Batch * Steps, Vocabulary), torchTargets);
            loss.backward();
            torchOptimizer.step();
        };
        // A step is 15-30 ms, so the runner's short calibration ends after a few dozen steps, before .NET has
        // compiled the step's methods at full optimisation (30 calls, then a background compile; perf still saw
        // the JIT's thread busy 10 s into a one-core run). As for lenet, both sides first run alternately, here
        // for 6 s. Without it the Dendrite side's first samples ran partly unoptimised (79,600 tokens/s in the
        // bench against 88,000-94,000 in a warm loop of the same build, quiet machine).
        LeNetWorkload.WarmUp(dendrite, torchSharp, seconds: 6);
        return new BenchCase(name, "tokens/s", Batch * Steps, dendrite, torchSharp)
        {
            Resources = modules,
            // 50-60 steps a sample instead of 9-10 at the default 200 ms: each side's first step after the
            // other's sample refetches its working set (about 30 MB for Dendrite) from memory; measured in
            // the bench, Dendrite's first step of a sample took 26-31 ms and the later ones 20-23 ms.
            MinimumSampleTime = TimeSpan.FromSeconds(1.2),
        };
    }

    /// <summary>Copies TorchSharp's initial weights into the Dendrite layers (same names and layouts).</summary>
    private static void CopyWeights(nn.Module<TTensor, TTensor> torchEmbedding, TorchSharp.Modules.LSTM torchLstm, nn.Module<TTensor, TTensor> torchHead,
        Embedding embedding, Lstm lstm, Dense head)
    {
        using var _ = no_grad();
        embedding.Weight.CopyFrom(Values(torchEmbedding.parameters().First()));
        var state = lstm.StateDict();
        foreach (var (name, parameter) in torchLstm.named_parameters()) state[name].CopyFrom(Values(parameter));
        var torchHeadParameters = torchHead.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        head.Weight.CopyFrom(Values(torchHeadParameters["weight"]));
        head.Bias!.CopyFrom(Values(torchHeadParameters["bias"]));
    }

    private static ReadOnlySpan<float> Values(TTensor tensor) => tensor.contiguous().data<float>().ToArray();

    /// <summary>The TorchSharp side's modules and tensors, disposed with the case.</summary>
    private sealed class TorchModules(params IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (IDisposable item in items) item.Dispose();
        }
    }
}
