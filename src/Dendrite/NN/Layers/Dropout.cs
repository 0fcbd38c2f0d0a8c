using System.Text.Json.Nodes;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>How dropout keeps the expected activation the same in training and evaluation.</summary>
public enum DropoutScaling
{
    /// <summary>Inverted dropout (the default): kept units are scaled by 1/(1 − p) in training; evaluation is the identity.</summary>
    Inverted,

    /// <summary>The classic form (Hinton et al. 2012): no scaling in training; outputs are scaled by the keep probability 1 − p at test time.</summary>
    ScaleAtTest,
}

/// <summary>Shared checks and masks for the dropout family.</summary>
public abstract class DropoutBase : Module
{
    /// <summary>Validates and stores the drop probability.</summary>
    protected DropoutBase(float rate, RandomGenerator? generator, string layer)
    {
        if (!(rate >= 0f && rate < 1f))
            throw new ArgumentOutOfRangeException(nameof(rate), $"{layer}: the drop rate must be in [0, 1); got {rate}.");
        Rate = rate;
        Generator = generator;
    }

    /// <summary>p, the probability that a unit (or weight) is dropped in training.</summary>
    public float Rate { get; }

    /// <summary>The random source (the thread's default when null).</summary>
    protected RandomGenerator? Generator { get; }

    /// <summary>A mask of <paramref name="shape"/>: <paramref name="keptValue"/> with probability 1 − p, else 0.</summary>
    protected Tensor Mask(Shape shape, float keptValue)
    {
        var generator = Generator ?? RandomGenerator.Default;
        var mask = Tensor.Zeros(shape);
        Span<float> m = mask.Data;
        float keep = 1f - Rate;
        for (int i = 0; i < m.Length; i++) m[i] = generator.NextFloat() < keep ? keptValue : 0f;
        return mask;
    }
}

/// <summary>
/// Dropout (Srivastava et al. 2014): in training, each element is zeroed with probability p, so no
/// unit can rely on another; in evaluation the layer passes its input through (inverted scaling) or
/// scales it by 1 − p (<see cref="DropoutScaling.ScaleAtTest"/>). Put it first to drop inputs.
/// </summary>
public sealed class Dropout(float rate = 0.5f, DropoutScaling scaling = DropoutScaling.Inverted, RandomGenerator? generator = null)
    : DropoutBase(rate, generator, "Dropout")
{
    /// <summary>Where the rescaling happens.</summary>
    public DropoutScaling Scaling { get; } = scaling;

    /// <inheritdoc/>
    public override string Describe() => $"Dropout({Formatting.Number(Rate)})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (Rate == 0f) return input;
        if (!IsTraining) return Scaling == DropoutScaling.Inverted ? input : input * (1f - Rate);
        return input * Mask(input.Shape, Scaling == DropoutScaling.Inverted ? 1f / (1f - Rate) : 1f);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["rate"] = Rate;
        config["scaling"] = Scaling.ToString();
    }
}

/// <summary>
/// DropConnect (Wan et al. 2013): in training, each weight of the wrapped layer (not each
/// activation) is zeroed with probability p and the kept ones scaled by 1/(1 − p); evaluation
/// uses the full weights.
/// </summary>
public sealed class DropConnect : DropoutBase
{
    private readonly IWeightedLayer _weighted;

    /// <summary>Wraps a layer with a weight (Dense, Conv2d).</summary>
    public DropConnect(Module layer, float rate = 0.5f, RandomGenerator? generator = null) : base(rate, generator, "DropConnect")
    {
        _weighted = layer as IWeightedLayer ?? throw new ArgumentException($"DropConnect wraps a layer with a weight (Dense, Conv2d); got {layer.Describe()}.", nameof(layer));
        Layer = AddModule("layer", layer);
    }

    /// <summary>The wrapped layer.</summary>
    public Module Layer { get; }

    /// <inheritdoc/>
    public override string Describe() => $"DropConnect({Layer.Describe()}, {Formatting.Number(Rate)})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (!IsTraining || Rate == 0f) return Layer.Forward(input);
        Parameter weight = _weighted.Weight;
        return _weighted.ForwardWithWeight(input, weight * Mask(weight.Shape, 1f / (1f - Rate)));
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) => config["rate"] = Rate;
}

/// <summary>Additive Gaussian noise: in training, x + ε with ε ~ N(0, σ²) (a regulariser and data augmentation); identity in evaluation.</summary>
public sealed class GaussianNoise : Module
{
    private readonly RandomGenerator? _generator;

    /// <summary>Creates the layer with noise standard deviation σ.</summary>
    public GaussianNoise(float standardDeviation, RandomGenerator? generator = null)
    {
        if (!(standardDeviation >= 0f)) throw new ArgumentOutOfRangeException(nameof(standardDeviation), $"GaussianNoise: σ must be non-negative; got {standardDeviation}.");
        StandardDeviation = standardDeviation;
        _generator = generator;
    }

    /// <summary>σ.</summary>
    public float StandardDeviation { get; }

    /// <inheritdoc/>
    public override string Describe() => $"GaussianNoise(σ={Formatting.Number(StandardDeviation)})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        IsTraining && StandardDeviation > 0f ? input + Tensor.Normal(input.Shape, 0f, StandardDeviation, _generator ?? RandomGenerator.Default) : input;

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) => config["standardDeviation"] = StandardDeviation;
}

/// <summary>
/// Multiplicative Gaussian noise ("Gaussian dropout", Srivastava et al. 2014): in training,
/// x·ε with ε ~ N(1, p/(1 − p)), the variance of inverted dropout with rate p, so the expected output
/// is the input; identity in evaluation.
/// </summary>
public sealed class GaussianDropout(float rate = 0.5f, RandomGenerator? generator = null) : DropoutBase(rate, generator, "GaussianDropout")
{
    /// <inheritdoc/>
    public override string Describe() => $"GaussianDropout({Formatting.Number(Rate)})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (!IsTraining || Rate == 0f) return input;
        float sigma = MathF.Sqrt(Rate / (1f - Rate));
        return input * Tensor.Normal(input.Shape, 1f, sigma, Generator ?? RandomGenerator.Default);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) => config["rate"] = Rate;
}

/// <summary>
/// Shakeout (Kang, Li and Tao 2016) on a dense layer: in training, each input unit j of each sample
/// is kept with probability 1 − τ (r_j = 1) or shaken (r_j = 0), and the weights it sees become
/// w̃ = (w + c·τ·s)/(1 − τ) when kept and w̃ = −c·s when shaken, with s = sign(w). The expectation of
/// w̃ is w, and the noise acts as a mix of L1 and L2 regularisation (c = 0 is inverted dropout on
/// the inputs). Evaluation uses w.
/// </summary>
public sealed class Shakeout : DropoutBase
{
    /// <summary>Wraps <paramref name="dense"/>; τ is the shake probability, c the strength of the L1-like part.</summary>
    public Shakeout(Dense dense, float tau = 0.5f, float c = 0.1f, RandomGenerator? generator = null) : base(tau, generator, "Shakeout")
    {
        if (!(c >= 0f)) throw new ArgumentOutOfRangeException(nameof(c), $"Shakeout: c must be non-negative; got {c}.");
        C = c;
        Layer = AddModule("layer", dense);
    }

    /// <summary>The wrapped layer.</summary>
    public Dense Layer { get; }

    /// <summary>c.</summary>
    public float C { get; }

    /// <inheritdoc/>
    public override string Describe() => $"Shakeout({Layer.Describe()}, τ={Formatting.Number(Rate)}, c={Formatting.Number(C)})";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (!IsTraining || Rate == 0f) return Layer.Forward(input);
        if (input.Rank == 0 || input.Shape[-1] != Layer.InFeatures)
            throw new ShapeMismatchException($"{Describe()} got input {input.Shape}; expected [*, {Layer.InFeatures}].");
        float tau = Rate;
        Tensor kept = Mask(input.Shape, 1f);
        Tensor sign = Layer.Weight.Sign();
        // y = (x∘r)/(1−τ)·(W + cτS)ᵀ − (x∘(1−r))·(cS)ᵀ + b: the per-sample weights without materialising them.
        Tensor keptPart = (input * kept * (1f / (1f - tau))).Linear(Layer.Weight + sign * (C * tau), Layer.Bias);
        Tensor shakenPart = (input * (1f - kept)).Linear(sign * C);
        Tensor output = keptPart - shakenPart;
        return Layer.Activation is null ? output : Run(Layer.Activation, output);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["tau"] = Rate;
        config["c"] = C;
    }
}
