using System.Text.Json.Nodes;
using Dendrite.Autograd;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Ops;
using Dendrite.Optim;
using Dendrite.Tensors;
using Dendrite.Training;

namespace Dendrite.Techniques.Pretraining;

/// <summary>
/// An autoencoder: an encoder to a code and a decoder back, trained to reproduce its input,
/// x̂ = g(f(x̃)), where x̃ is x itself or, for a denoising autoencoder, a corrupted copy of x made
/// in training mode by <see cref="Corruption"/> (masking or Gaussian noise). The decoder's output is
/// flat, [N, features], so the reconstruction target is the flattened input.
/// </summary>
public sealed class Autoencoder : Module
{
    /// <summary>Creates the autoencoder from its parts.</summary>
    /// <param name="encoder">x → code.</param>
    /// <param name="decoder">code → reconstruction [N, features].</param>
    /// <param name="corruption">Applied to the input in training mode only (e.g. <see cref="MaskingNoise"/>, <see cref="GaussianNoise"/>); null for a plain autoencoder.</param>
    public Autoencoder(Module encoder, Module decoder, Module? corruption = null)
    {
        if (corruption is not null) Corruption = AddModule("corruption", corruption);
        Encoder = AddModule("encoder", encoder ?? throw new ArgumentNullException(nameof(encoder)));
        Decoder = AddModule("decoder", decoder ?? throw new ArgumentNullException(nameof(decoder)));
    }

    /// <summary>x → code.</summary>
    public Module Encoder { get; }

    /// <summary>code → reconstruction.</summary>
    public Module Decoder { get; }

    /// <summary>The input corruption of a denoising autoencoder, or null.</summary>
    public Module? Corruption { get; }

    /// <summary>
    /// A dense autoencoder <paramref name="inputs"/> → hidden[0] → ... → hidden[^1] (the code) → back,
    /// with <paramref name="activation"/> on every hidden layer and the code (none on the code when
    /// <paramref name="linearCode"/>), <paramref name="outputActivation"/> on the reconstruction
    /// (sigmoid for data in [0, 1], null for linear), tied weights W' = Wᵀ optionally, and masking
    /// noise of rate <paramref name="corruption"/> for a denoising autoencoder.
    /// </summary>
    public static Autoencoder Dense(int inputs, IReadOnlyList<int> hidden, Func<ActivationLayer> activation, Func<ActivationLayer?>? outputActivation = null,
        bool tiedWeights = false, float corruption = 0f, bool linearCode = false, RandomGenerator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(activation);
        if (hidden.Count == 0) throw new ArgumentException("Autoencoder.Dense: give at least one hidden (code) size.", nameof(hidden));
        int[] sizes = [inputs, .. hidden];
        var encoderLayers = new List<NN.Layers.Dense>();
        for (int i = 0; i < hidden.Count; i++)
        {
            ActivationLayer? unit = linearCode && i == hidden.Count - 1 ? null : activation();
            encoderLayers.Add(new NN.Layers.Dense(sizes[i], sizes[i + 1], unit, generator: generator));
        }
        var decoder = new Sequential();
        for (int i = hidden.Count - 1; i >= 0; i--)
        {
            ActivationLayer? unit = i == 0 ? outputActivation?.Invoke() : activation();
            decoder.Add(tiedWeights ? new TiedDense(encoderLayers[i], unit) : new NN.Layers.Dense(sizes[i + 1], sizes[i], unit, generator: generator));
        }
        Module? noise = corruption > 0f ? new MaskingNoise(corruption, generator?.Split()) : null;
        return new Autoencoder(new Sequential(encoderLayers), decoder, noise);
    }

    /// <summary>
    /// A convolutional autoencoder for images [N, channels, H, W] (H and W divisible by 4): two 3×3
    /// convolutions with ReLU, each followed by 2×2 max pooling, to a code of
    /// [<paramref name="codeChannels"/>, H/4, W/4]; the decoder up-samples twice with 3×3 convolutions
    /// and ends with a sigmoid and a flatten to [N, channels·H·W].
    /// </summary>
    public static Autoencoder Convolutional(int channels = 1, int width = 16, int codeChannels = 8, float corruption = 0f, RandomGenerator? generator = null)
    {
        var encoder = new Sequential(
            new Conv2d(channels, width, 3, padding: 1, activation: new Relu(), generator: generator),
            new MaxPool2d(2),
            new Conv2d(width, codeChannels, 3, padding: 1, activation: new Relu(), generator: generator),
            new MaxPool2d(2));
        var decoder = new Sequential(
            new Upsample2d(2),
            new Conv2d(codeChannels, width, 3, padding: 1, activation: new Relu(), generator: generator),
            new Upsample2d(2),
            new Conv2d(width, channels, 3, padding: 1, activation: new Sigmoid(), generator: generator),
            new Flatten());
        return new Autoencoder(encoder, decoder, corruption > 0f ? new MaskingNoise(corruption, generator?.Split()) : null);
    }

    /// <inheritdoc/>
    public override string Describe() => Corruption is null ? "Autoencoder" : $"Autoencoder(denoising, {Corruption.Describe()})";

    /// <summary>The reconstruction [N, features] of <paramref name="input"/> (corrupted first in training mode).</summary>
    public override Tensor Forward(Tensor input)
    {
        Tensor x = Corruption is null ? input : Run(Corruption, input);
        return Run(Decoder, Run(Encoder, x));
    }

    /// <summary>The codes of <paramref name="inputs"/>, in evaluation mode without gradients, in batches.</summary>
    public Tensor Encode(Tensor inputs, int batchSize = 1024) => Trainer.Predict(Encoder, inputs, batchSize);

    /// <summary>The reconstructions [N, features] of <paramref name="inputs"/>, in evaluation mode without gradients.</summary>
    public Tensor Reconstruct(Tensor inputs, int batchSize = 1024) => Trainer.Predict(this, inputs, batchSize);

    /// <summary>The mean squared reconstruction error per element, (1/(N·d))·Σ(x̂ − x)², in evaluation mode.</summary>
    public double ReconstructionError(Tensor inputs) => MeanSquaredError(Reconstruct(inputs), inputs);

    /// <summary>(1/(N·d))·Σ(a − b)² over equally many elements (shapes may differ, e.g. images and flat rows).</summary>
    public static double MeanSquaredError(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count) throw new ShapeMismatchException($"MeanSquaredError: {a.Shape} and {b.Shape} hold different numbers of elements.");
        float[] x = a.ToArray(), y = b.ToArray();
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += (x[i] - (double)y[i]) * (x[i] - y[i]);
        return x.Length == 0 ? 0 : sum / x.Length;
    }

    /// <summary>
    /// Trains the autoencoder to reconstruct <paramref name="inputs"/> [N, ...] with Adam and the mean
    /// squared error (or <paramref name="loss"/>); returns the history (<c>loss</c> per epoch).
    /// </summary>
    public History Fit(Tensor inputs, int epochs, int batchSize = 64, float learningRate = 1e-3f, long seed = 0, Loss? loss = null, Optimizer? optimizer = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var trainer = new Trainer(this, optimizer ?? new Adam(Parameters(), learningRate), loss ?? new MeanSquaredError());
        return trainer.Fit(ReconstructionSet(inputs), epochs, batchSize, seed: seed);
    }

    /// <summary>A regression data set whose targets are the inputs, flattened to [N, features].</summary>
    public static Dataset ReconstructionSet(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int n = inputs.Shape[0];
        Tensor flat = Tensor.Wrap(inputs.ToArray(), new Shape(n, inputs.Count / Math.Max(n, 1)));
        return Dataset.ForRegression(inputs, flat, "reconstruction");
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) { }
}
