using Dendrite.Autograd;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Losses;
using Dendrite.Ops;
using Dendrite.Optim;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Classic;

/// <summary>
/// A network trained "with hints" (Abu-Mostafa 1990; Suddarth and Kergosien's rule-injection hints): a
/// shared trunk feeds the main head and an auxiliary hint head, whose outputs are trained towards
/// known facts about the task (an intermediate quantity, an invariance, a related target). The hint
/// shapes the trunk's features during training and is thrown away afterwards: <see cref="Forward"/>
/// and <see cref="InferenceModel"/> use the main path only.
/// </summary>
/// <remarks>
/// <code>
///            ┌─ head ───── y  [N, K]   (kept)
/// x ─ trunk ─┤
///            └─ hintHead ─ h  [N, H]   (training only)
/// </code>
/// </remarks>
public sealed class HintNetwork : Module
{
    /// <summary>Creates the network from its three parts.</summary>
    /// <param name="trunk">The shared layers: x [N, ...] → features [N, F].</param>
    /// <param name="head">The main output: features → y [N, K].</param>
    /// <param name="hintHead">The hint output: features → h [N, H].</param>
    public HintNetwork(Module trunk, Module head, Module hintHead)
    {
        Trunk = AddModule("trunk", trunk);
        Head = AddModule("head", head);
        HintHead = AddModule("hint", hintHead);
    }

    /// <summary>The shared layers.</summary>
    public Module Trunk { get; }

    /// <summary>The main output layers.</summary>
    public Module Head { get; }

    /// <summary>The hint output layers (parameters named <c>hint.*</c>).</summary>
    public Module HintHead { get; }

    /// <inheritdoc/>
    public override string Describe() => "HintNetwork";

    /// <summary>The main output only, as at inference. <paramref name="input"/> [N, ...] → [N, K].</summary>
    public override Tensor Forward(Tensor input) => Run(Head, Run(Trunk, input));

    /// <summary>Both outputs from one pass through the trunk: (y [N, K], h [N, H]).</summary>
    public (Tensor Output, Tensor Hint) ForwardWithHint(Tensor input)
    {
        Tensor features = Run(Trunk, input);
        return (Run(Head, features), Run(HintHead, features));
    }

    /// <summary>
    /// The network without its hint head: <c>Sequential(trunk, head)</c>, sharing (not copying) their
    /// weights. Save this one (<c>Model.Save</c>): the saved model has no hint parameters and loads
    /// without this class. Its parameters are named <c>0.*</c> (trunk) and <c>1.*</c> (head).
    /// </summary>
    public Sequential InferenceModel() => new(Trunk, Head);
}

/// <summary>One epoch of <see cref="HintTrainer.Fit"/>.</summary>
/// <param name="Loss">The mean main loss on the training batches.</param>
/// <param name="HintLoss">The mean hint loss on the training batches.</param>
/// <param name="ValidationLoss">The main loss on the validation data (NaN without validation data).</param>
public sealed record HintEpoch(double Loss, double HintLoss, double ValidationLoss);

/// <summary>
/// Trains a <see cref="HintNetwork"/> on the objective L = L_main(y, t) + λ·L_hint(h, t_hint) (plus the
/// parameters' regularisation penalties), mini-batch, with any first-order optimiser. The hint targets
/// are a tensor [N, H] beside the data set, row i belonging to sample i; the hint weight λ may be
/// lowered from epoch to epoch so that the main task has the last word.
/// </summary>
/// <param name="network">The network.</param>
/// <param name="optimizer">A first-order optimiser over all of its parameters (hint head included).</param>
/// <param name="loss">The main loss.</param>
/// <param name="hintLoss">The hint loss (typically mean squared error).</param>
public sealed class HintTrainer(HintNetwork network, Optimizer optimizer, Loss loss, Loss hintLoss)
{
    /// <summary>The network.</summary>
    public HintNetwork Network { get; } = network ?? throw new ArgumentNullException(nameof(network));

    /// <summary>The optimiser.</summary>
    public Optimizer Optimizer { get; } = optimizer ?? throw new ArgumentNullException(nameof(optimizer));

    /// <summary>The main loss.</summary>
    public Loss Loss { get; } = loss ?? throw new ArgumentNullException(nameof(loss));

    /// <summary>The hint loss.</summary>
    public Loss HintLoss { get; } = hintLoss ?? throw new ArgumentNullException(nameof(hintLoss));

    /// <summary>λ, the hint loss's weight in the objective at the first epoch (≥ 0; 0 trains the main task alone).</summary>
    public float HintWeight { get; init; } = 1f;

    /// <summary>λ is multiplied by this after each epoch (1: constant; below 1 fades the hint out).</summary>
    public float HintWeightDecay { get; init; } = 1f;

    /// <summary>Trains for <paramref name="epochs"/> epochs and returns each epoch's losses.</summary>
    /// <param name="train">The training data (features and main targets).</param>
    /// <param name="hints">The hint targets, [N, H] with N = <paramref name="train"/>.Count.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Samples per step.</param>
    /// <param name="validation">Data on which the main loss is reported after each epoch, or null.</param>
    /// <param name="seed">Seeds the shuffling.</param>
    public IReadOnlyList<HintEpoch> Fit(Dataset train, Tensor hints, int epochs, int batchSize = 32, Dataset? validation = null, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(hints);
        if (hints.Rank < 1 || hints.Shape[0] != train.Count)
            throw new ShapeMismatchException($"HintTrainer: the hints {hints.Shape} need one row per training sample ({train.Count}); give them as [N, H].");
        if (!(HintWeight >= 0f) || !(HintWeightDecay >= 0f))
            throw new InvalidOperationException($"HintTrainer: the hint weight ({HintWeight}) and its decay ({HintWeightDecay}) must be non-negative.");
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "HintTrainer: epochs must be non-negative.");
        Tensor hintRows = hints.Contiguous();
        var loader = new DataLoader(train, batchSize, shuffle: true, generator: new RandomGenerator(seed), prefetch: false);
        var history = new List<HintEpoch>(epochs);
        float weight = HintWeight;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            Network.Train();
            double mainSum = 0, hintSum = 0;
            int samples = 0;
            foreach (Batch batch in loader)
            {
                Optimizer.ZeroGrad();
                Tensor hintTargets = hintRows.IndexSelect(0, batch.SampleIndices.Span);
                var (output, hint) = Network.ForwardWithHint(batch.Features);
                Tensor main = Loss.Compute(output, batch.Targets);
                Tensor auxiliary = HintLoss.Compute(hint, hintTargets);
                mainSum += (double)main.Item() * batch.Size;
                hintSum += (double)auxiliary.Item() * batch.Size;
                samples += batch.Size;
                Tensor objective = weight == 0f ? main : main + auxiliary * weight;
                if (Network.RegularizationLoss() is Tensor penalty) objective += penalty;
                objective.Backward();
                Optimizer.Step();
            }
            history.Add(new HintEpoch(mainSum / Math.Max(samples, 1), hintSum / Math.Max(samples, 1), validation is null ? double.NaN : Evaluate(validation)));
            weight *= HintWeightDecay;
        }
        return history;
    }

    /// <summary>The main loss of the network (main path only, evaluation mode) on <paramref name="data"/>.</summary>
    public double Evaluate(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        bool wasTraining = Network.IsTraining;
        Network.Eval();
        try
        {
            using var _ = new NoGrad();
            return Loss.Compute(Network.Forward(data.Features), data.Targets).Item();
        }
        finally
        {
            Network.Train(wasTraining);
        }
    }
}
