using System.Text.Json.Nodes;
using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.Ops;
using Dendrite.Optim;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Pretraining;

/// <summary>
/// A restricted Boltzmann machine with Bernoulli visible units v [V] and hidden units h [H]
/// (Smolensky; Hinton 2002): energy E(v, h) = −bᵀv − cᵀh − hᵀWv, with W [H, V], b [V], c [H], and
/// p(h_j = 1 | v) = σ(c_j + W_j·v), p(v_i = 1 | h) = σ(b_i + W_{:,i}·h). The free energy
/// F(v) = −bᵀv − Σ_j softplus(c_j + W_j·v) gives p(v) ∝ e^−F(v).
/// Training is contrastive divergence CD-k: the gradient of mean F(data) − mean F(v_k), with v_k the
/// end of a k-step Gibbs chain started at the data and held constant, is the CD-k estimate of the
/// negative log-likelihood gradient, so any optimiser can take the step.
/// <see cref="Forward"/> gives p(h | v), so a trained RBM initialises a sigmoid dense layer (a deep
/// belief network's greedy pre-training).
/// </summary>
public sealed class Rbm : Module
{
    /// <summary>Creates the machine with W ~ N(0, 0.01²) and zero biases (Hinton's practical guide).</summary>
    public Rbm(int visible, int hidden, RandomGenerator? generator = null)
    {
        if (visible <= 0 || hidden <= 0) throw new ArgumentOutOfRangeException(nameof(visible), $"Rbm needs positive sizes; got {visible} visible, {hidden} hidden.");
        Visible = visible;
        Hidden = hidden;
        Weight = AddParameter("weight", Tensor.Normal([hidden, visible], 0f, 0.01f, generator ?? RandomGenerator.Default));
        VisibleBias = AddParameter("visible_bias", Tensor.Zeros([visible]));
        HiddenBias = AddParameter("hidden_bias", Tensor.Zeros([hidden]));
    }

    /// <summary>V, the number of visible units.</summary>
    public int Visible { get; }

    /// <summary>H, the number of hidden units.</summary>
    public int Hidden { get; }

    /// <summary>W, [H, V].</summary>
    public Parameter Weight { get; }

    /// <summary>b, [V].</summary>
    public Parameter VisibleBias { get; }

    /// <summary>c, [H].</summary>
    public Parameter HiddenBias { get; }

    /// <inheritdoc/>
    public override string Describe() => $"Rbm({Visible}<->{Hidden})";

    /// <summary>p(h = 1 | v) = σ(v·Wᵀ + c). <paramref name="input"/> [N, V]; the result [N, H].</summary>
    public override Tensor Forward(Tensor input) => HiddenProbabilities(input);

    /// <summary>p(h = 1 | v) = σ(v·Wᵀ + c): [N, V] → [N, H].</summary>
    public Tensor HiddenProbabilities(Tensor visible)
    {
        if (visible.Rank != 2 || visible.Shape[1] != Visible)
            throw new ShapeMismatchException($"Rbm({Visible}<->{Hidden}) got visible units {visible.Shape}; expected [N, {Visible}].");
        return visible.Linear(Weight, HiddenBias).Sigmoid();
    }

    /// <summary>p(v = 1 | h) = σ(h·W + b): [N, H] → [N, V].</summary>
    public Tensor VisibleProbabilities(Tensor hidden)
    {
        if (hidden.Rank != 2 || hidden.Shape[1] != Hidden)
            throw new ShapeMismatchException($"Rbm({Visible}<->{Hidden}) got hidden units {hidden.Shape}; expected [N, {Hidden}].");
        return (hidden.MatMul(Weight) + VisibleBias).Sigmoid();
    }

    /// <summary>F(v) = −bᵀv − Σ_j softplus(c_j + W_j·v) per sample: [N, V] → [N].</summary>
    public Tensor FreeEnergy(Tensor visible)
    {
        Tensor visibleTerm = visible.MatMul(VisibleBias);                 // [N]
        Tensor hiddenTerm = visible.Linear(Weight, HiddenBias).Softplus().Sum(1);
        return -(visibleTerm + hiddenTerm);
    }

    /// <summary>
    /// k steps of block Gibbs sampling from <paramref name="visible"/>: h ~ p(h | v), then v ← p(v | h)
    /// (probabilities for the visible units, as Hinton's guide advises, sampled hidden states).
    /// Computed without gradients.
    /// </summary>
    public Tensor Gibbs(Tensor visible, int k, RandomGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), $"Rbm.Gibbs: k must be at least 1; got {k}.");
        using var _ = new NoGrad();
        Tensor v = visible;
        for (int step = 0; step < k; step++)
        {
            Tensor h = Sample(HiddenProbabilities(v), generator);
            v = VisibleProbabilities(h);
        }
        return v;
    }

    /// <summary>
    /// The CD-k objective mean F(v) − mean F(v_k), whose gradient with respect to W, b and c is the
    /// CD-k update direction (v_k from <see cref="Gibbs"/>, held constant). Call <c>Backward()</c> on it.
    /// </summary>
    public Tensor ContrastiveDivergenceLoss(Tensor visible, int k, RandomGenerator generator)
    {
        Tensor negative = Gibbs(visible, k, generator);
        return FreeEnergy(visible).Mean() - FreeEnergy(negative).Mean();
    }

    /// <summary>Mean squared error between v and its one-step mean-field reconstruction p(v | p(h | v)), per element.</summary>
    public double ReconstructionError(Tensor visible)
    {
        using var _ = new NoGrad();
        Tensor reconstruction = VisibleProbabilities(HiddenProbabilities(visible));
        return (reconstruction - visible).Square().Mean().Item();
    }

    /// <summary>
    /// Trains by CD-k with SGD and momentum on <paramref name="data"/> [N, V] (values in [0, 1]);
    /// returns the reconstruction error after each epoch.
    /// </summary>
    public IReadOnlyList<double> Fit(Tensor data, int epochs, int batchSize = 64, float learningRate = 0.05f, int k = 1,
        float momentum = 0.5f, float weightDecay = 1e-4f, RandomGenerator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        generator ??= new RandomGenerator(0);
        var optimizer = new Sgd(Parameters(), learningRate, momentum: momentum);
        NN.Regularizers.Regularizer? ownRegularizer = Weight.Regularizer;
        Weight.Regularizer = weightDecay > 0 ? NN.Regularizers.Regularizer.L2(weightDecay) : null;
        int n = data.Shape[0];
        var errors = new List<double>();
        try
        {
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                int[] order = generator.Permutation(n);
                for (int start = 0; start < n; start += batchSize)
                {
                    int size = Math.Min(batchSize, n - start);
                    Tensor batch = data.IndexSelect(0, order.AsSpan(start, size));
                    optimizer.ZeroGrad();
                    Tensor loss = ContrastiveDivergenceLoss(batch, k, generator);
                    if (RegularizationLoss() is { } penalty) loss += penalty;
                    loss.Backward();
                    optimizer.Step();
                }
                errors.Add(ReconstructionError(data));
            }
        }
        finally
        {
            Weight.Regularizer = ownRegularizer; // the weight decay applies to this training only
        }
        return errors;
    }

    /// <summary>A sigmoid dense layer computing p(h | v): weight W, bias c (copies), for a deep belief network's initialisation.</summary>
    public NN.Layers.Dense ToDense()
    {
        var dense = new NN.Layers.Dense(Visible, Hidden, new NN.Layers.Sigmoid());
        dense.Weight.CopyFrom(Weight);
        dense.Bias!.CopyFrom(HiddenBias);
        return dense;
    }

    private static Tensor Sample(Tensor probabilities, RandomGenerator generator)
    {
        float[] p = probabilities.ToArray();
        for (int i = 0; i < p.Length; i++) p[i] = generator.NextFloat() < p[i] ? 1f : 0f;
        return Tensor.Wrap(p, probabilities.Shape);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["visible"] = Visible;
        config["hidden"] = Hidden;
    }
}
