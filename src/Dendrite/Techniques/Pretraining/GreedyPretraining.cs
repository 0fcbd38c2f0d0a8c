using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Tensors;
using Dendrite.Training;

namespace Dendrite.Techniques.Pretraining;

/// <summary>
/// Greedy layer-wise pre-training of a deep network (Hinton, Osindero and Teh 2006; Bengio et al.
/// 2007; the seeds' "effect of pre-training"): each layer is trained alone, as an autoencoder or an
/// RBM, on the codes of the layers below it, which are held fixed; the trained encoders then
/// initialise a deep network that is topped with a classifier and fine-tuned end to end.
/// </summary>
public static class GreedyPretraining
{
    /// <summary>
    /// Stacked autoencoders: for sizes [d, h1, ..., hL], trains an autoencoder d → h1 → d on
    /// <paramref name="inputs"/>, then h1 → h2 → h1 on the h1 codes, and so on (the lower layers stay
    /// frozen: their codes are computed once, without gradients). Returns the L encoder layers
    /// (Dense with <paramref name="activation"/>), ready for <see cref="Classifier"/>.
    /// </summary>
    /// <param name="inputs">[N, d] unlabelled training inputs (labels are not needed).</param>
    /// <param name="sizes">[d, h1, ..., hL].</param>
    /// <param name="activation">The hidden units' activation (sigmoid for the seeds' experiment); decoders use it too.</param>
    /// <param name="epochs">Epochs per layer.</param>
    /// <param name="batchSize">Mini-batch size.</param>
    /// <param name="learningRate">Adam's step size.</param>
    /// <param name="corruption">Masking-noise rate (denoising autoencoders) or 0.</param>
    /// <param name="tiedWeights">Whether each decoder uses Wᵀ of its encoder.</param>
    /// <param name="generator">Initialisation and shuffling.</param>
    /// <param name="onLayer">Called after each layer with its index and final reconstruction error.</param>
    public static IReadOnlyList<Dense> StackedAutoencoders(Tensor inputs, IReadOnlyList<int> sizes, Func<ActivationLayer> activation, int epochs,
        int batchSize = 64, float learningRate = 1e-3f, float corruption = 0f, bool tiedWeights = false, RandomGenerator? generator = null,
        Action<int, double>? onLayer = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(activation);
        CheckSizes(inputs, sizes);
        generator ??= new RandomGenerator(0);
        var encoders = new List<Dense>();
        Tensor codes = inputs;
        for (int layer = 0; layer + 1 < sizes.Count; layer++)
        {
            var autoencoder = Autoencoder.Dense(sizes[layer], [sizes[layer + 1]], activation, outputActivation: activation,
                tiedWeights: tiedWeights, corruption: corruption, generator: generator);
            autoencoder.Fit(codes, epochs, batchSize, learningRate, seed: (long)generator.NextUInt64());
            var encoder = (Dense)((Sequential)autoencoder.Encoder)[0];
            onLayer?.Invoke(layer, autoencoder.ReconstructionError(codes));
            encoders.Add(encoder);
            codes = Trainer.Predict(encoder, codes, 1024);
        }
        return encoders;
    }

    /// <summary>
    /// Deep-belief-network pre-training: a stack of RBMs trained by CD-k, each on the hidden
    /// probabilities of the one below; returns the corresponding sigmoid dense layers (W and the
    /// hidden biases). Inputs should lie in [0, 1].
    /// </summary>
    public static IReadOnlyList<Dense> DeepBeliefNetwork(Tensor inputs, IReadOnlyList<int> sizes, int epochs, int batchSize = 64,
        float learningRate = 0.05f, int k = 1, RandomGenerator? generator = null, Action<int, double>? onLayer = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(sizes);
        CheckSizes(inputs, sizes);
        generator ??= new RandomGenerator(0);
        var layers = new List<Dense>();
        Tensor codes = inputs;
        for (int layer = 0; layer + 1 < sizes.Count; layer++)
        {
            var rbm = new Rbm(sizes[layer], sizes[layer + 1], generator);
            IReadOnlyList<double> errors = rbm.Fit(codes, epochs, batchSize, learningRate, k, generator: generator);
            onLayer?.Invoke(layer, errors.Count > 0 ? errors[^1] : double.NaN);
            Dense dense = rbm.ToDense();
            layers.Add(dense);
            codes = Trainer.Predict(dense, codes, 1024);
        }
        return layers;
    }

    /// <summary>The pre-trained layers followed by a linear output layer of <paramref name="classes"/> logits (train it with cross-entropy).</summary>
    public static Sequential Classifier(IEnumerable<Dense> layers, int classes, RandomGenerator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var model = new Sequential(layers);
        if (model.Count == 0) throw new ArgumentException("GreedyPretraining.Classifier: no layers.", nameof(layers));
        model.Add(new Dense(((Dense)model[^1]).OutFeatures, classes, generator: generator));
        return model;
    }

    private static void CheckSizes(Tensor inputs, IReadOnlyList<int> sizes)
    {
        if (sizes.Count < 2) throw new ArgumentException("GreedyPretraining: sizes need the input size and at least one hidden size.", nameof(sizes));
        if (inputs.Rank != 2 || inputs.Shape[1] != sizes[0])
            throw new ShapeMismatchException($"GreedyPretraining: inputs {inputs.Shape} must be [N, {sizes[0]}] for sizes [{string.Join(", ", sizes)}].");
    }
}
