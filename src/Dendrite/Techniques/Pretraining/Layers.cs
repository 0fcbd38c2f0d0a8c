using System.Text.Json.Nodes;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Pretraining;

/// <summary>
/// A decoder layer that shares its weight with an encoder <see cref="Dense"/> layer, transposed (the
/// seeds' tied weights W' = Wᵀ): y = f(x·W + b'), with W the encoder's [out, in] weight, so it maps
/// the encoder's out features back to its in features. Only the bias b' [in] is its own parameter;
/// the weight is trained through the encoder (and appears once in <c>Parameters()</c> of a model
/// holding both).
/// </summary>
public sealed class TiedDense : Module
{
    /// <summary>Creates the decoder of <paramref name="encoder"/>.</summary>
    public TiedDense(Dense encoder, ActivationLayer? activation = null, bool bias = true)
    {
        Encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        if (bias) Bias = AddParameter("bias", Tensor.Zeros([encoder.InFeatures]));
        if (activation is not null) Activation = AddModule("activation", activation);
    }

    /// <summary>The layer whose weight is shared.</summary>
    public Dense Encoder { get; }

    /// <summary>b', [encoder in features], or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>The activation f, or null.</summary>
    public ActivationLayer? Activation { get; }

    /// <inheritdoc/>
    public override string Describe() => $"TiedDense({Encoder.OutFeatures}->{Encoder.InFeatures}, Wᵀ{(Activation is null ? "" : ", " + Activation.Describe())})";

    /// <summary>f(x·W + b'). <paramref name="input"/> is [..., encoder out]; the result [..., encoder in].</summary>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank == 0 || input.Shape[-1] != Encoder.OutFeatures)
            throw new ShapeMismatchException($"TiedDense({Encoder.OutFeatures}->{Encoder.InFeatures}) got input {input.Shape}; expected [*, {Encoder.OutFeatures}]. The last input dimension must equal the encoder's out features.");
        Tensor output = input.MatMul(Encoder.Weight);
        if (Bias is not null) output += Bias;
        return Activation is null ? output : Run(Activation, output);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) =>
        throw new NotSupportedException("TiedDense shares its encoder's weight, which the architecture JSON cannot express; save the encoder (or untie the weights) instead.");
}

/// <summary>
/// Masking noise for denoising autoencoders (Vincent et al. 2008): in training, each input element is
/// set to zero with probability p (no rescaling, unlike dropout); identity in evaluation.
/// </summary>
public sealed class MaskingNoise : Module
{
    private readonly RandomGenerator? _generator;

    /// <summary>Creates the layer with corruption rate p in [0, 1).</summary>
    public MaskingNoise(float rate, RandomGenerator? generator = null)
    {
        if (!(rate >= 0f && rate < 1f)) throw new ArgumentOutOfRangeException(nameof(rate), $"MaskingNoise: the rate must be in [0, 1); got {rate}.");
        Rate = rate;
        _generator = generator;
    }

    /// <summary>p, the share of inputs zeroed.</summary>
    public float Rate { get; }

    /// <inheritdoc/>
    public override string Describe() => $"MaskingNoise({Rate:G3})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (!IsTraining || Rate == 0f) return input;
        return input * Tensor.Bernoulli(input.Shape, 1f - Rate, _generator ?? RandomGenerator.Default);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) => config["rate"] = Rate;
}

/// <summary>
/// Nearest-neighbour up-sampling of images [N, C, H, W] by an integer factor s to [N, C, s·H, s·W]
/// (each pixel repeated in an s×s block): the decoder's counterpart of pooling in a convolutional
/// autoencoder. Its gradient sums each block.
/// </summary>
public sealed class Upsample2d : Module
{
    /// <summary>Creates the layer with factor s ≥ 1.</summary>
    public Upsample2d(int factor = 2)
    {
        if (factor < 1) throw new ArgumentOutOfRangeException(nameof(factor), $"Upsample2d: the factor must be at least 1; got {factor}.");
        Factor = factor;
    }

    /// <summary>s.</summary>
    public int Factor { get; }

    /// <inheritdoc/>
    public override string Describe() => $"Upsample2d(x{Factor})";

    /// <summary>[N, C, H, W] → [N, C, s·H, s·W].</summary>
    public override Tensor Forward(Tensor input)
    {
        var (n, c, h, w) = input.Shape.Dims4("Upsample2d");
        int s = Factor;
        if (s == 1) return input;
        return input.Reshape(n, c, h, 1, w, 1).Expand(n, c, h, s, w, s).Contiguous().Reshape(n, c, h * s, w * s);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) => config["factor"] = Factor;
}
