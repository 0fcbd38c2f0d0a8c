using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>
/// A layer that applies an activation function element-wise (or along an axis, for softmax). Pass
/// one to <see cref="Dense"/> as its activation, or put it in a <see cref="Sequential"/>.
/// </summary>
public abstract class ActivationLayer : Module
{
    /// <summary>True for ReLU-like units (ReLU, leaky ReLU, ELU, noisy ReLU, GELU, SiLU), whose layers default to He initialisation; the others default to Glorot.</summary>
    public virtual bool IsReluFamily => false;

    /// <summary>The activation's name in lower case (<c>relu</c>, <c>sigmoid</c>), used by summaries and the CLI.</summary>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public override string Describe() => Name;

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) { }

    /// <summary>Creates an activation layer from its name (<c>relu</c>, <c>leaky_relu</c>, <c>elu</c>, <c>tanh</c>, ...), as the CLI's <c>--activation</c> takes it.</summary>
    public static ActivationLayer FromName(string name) => name.Trim().ToLowerInvariant().Replace('-', '_') switch
    {
        "identity" or "linear" or "none" => new Identity(),
        "sigmoid" or "logistic" => new Sigmoid(),
        "tanh" => new Tanh(),
        "lecun_tanh" => new LecunTanh(),
        "relu" => new Relu(),
        "leaky_relu" or "leakyrelu" => new LeakyRelu(),
        "elu" => new Elu(),
        "softplus" => new Softplus(),
        "gelu" => new Gelu(),
        "silu" or "swish" => new Silu(),
        "softmax" => new Softmax(),
        "log_softmax" => new LogSoftmax(),
        "noisy_relu" => new NoisyRelu(),
        _ => throw new ArgumentException($"Unknown activation '{name}'. Known: identity, sigmoid, tanh, lecun_tanh, relu, leaky_relu, elu, softplus, gelu, silu, softmax, log_softmax, noisy_relu.", nameof(name)),
    };
}

/// <summary>f(z) = z.</summary>
public sealed class Identity : ActivationLayer
{
    /// <inheritdoc/>
    public override string Name => "identity";
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input;
}

/// <summary>The logistic sigmoid σ(z) = 1/(1 + e^−z); derivative σ(1 − σ), at most 1/4.</summary>
public sealed class Sigmoid : ActivationLayer
{
    /// <inheritdoc/>
    public override string Name => "sigmoid";
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}

/// <summary>tanh(z); derivative 1 − tanh²(z).</summary>
public sealed class Tanh : ActivationLayer
{
    /// <inheritdoc/>
    public override string Name => "tanh";
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Tanh();
}

/// <summary>LeCun's scaled tanh 1.7159·tanh(2z/3), with f(±1) = ±1 (LeCun et al. 1998, "Efficient BackProp").</summary>
public sealed class LecunTanh : ActivationLayer
{
    /// <inheritdoc/>
    public override string Name => "lecun_tanh";
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LecunTanh();
}

/// <summary>ReLU max(0, z); derivative 1 for z &gt; 0, else 0 (0 at 0).</summary>
public sealed class Relu : ActivationLayer
{
    /// <inheritdoc/>
    public override string Name => "relu";
    /// <inheritdoc/>
    public override bool IsReluFamily => true;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Relu();
}

/// <summary>Leaky ReLU: z for z &gt; 0, else α·z.</summary>
public sealed class LeakyRelu(float negativeSlope = 0.01f) : ActivationLayer
{
    /// <summary>The slope α for negative inputs.</summary>
    public float NegativeSlope { get; } = negativeSlope;
    /// <inheritdoc/>
    public override string Name => "leaky_relu";
    /// <inheritdoc/>
    public override bool IsReluFamily => true;
    /// <inheritdoc/>
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"leaky_relu({NegativeSlope:G4})");
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LeakyRelu(NegativeSlope);
    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) => config["negativeSlope"] = NegativeSlope;
}

/// <summary>ELU: z for z &gt; 0, else α(e^z − 1) (Clevert et al. 2015).</summary>
public sealed class Elu(float alpha = 1f) : ActivationLayer
{
    /// <summary>The saturation value −α for very negative inputs.</summary>
    public float Alpha { get; } = alpha;
    /// <inheritdoc/>
    public override string Name => "elu";
    /// <inheritdoc/>
    public override bool IsReluFamily => true;
    /// <inheritdoc/>
    public override string Describe() => Alpha == 1f ? "elu" : string.Create(CultureInfo.InvariantCulture, $"elu({Alpha:G4})");
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Elu(Alpha);
    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) => config["alpha"] = Alpha;
}

/// <summary>Softplus ln(1 + e^z), a smooth ReLU whose derivative is σ(z).</summary>
public sealed class Softplus : ActivationLayer
{
    /// <inheritdoc/>
    public override string Name => "softplus";
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Softplus();
}

/// <summary>GELU z·Φ(z), exact form.</summary>
public sealed class Gelu : ActivationLayer
{
    /// <inheritdoc/>
    public override string Name => "gelu";
    /// <inheritdoc/>
    public override bool IsReluFamily => true;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Gelu();
}

/// <summary>SiLU (swish) z·σ(z).</summary>
public sealed class Silu : ActivationLayer
{
    /// <inheritdoc/>
    public override string Name => "silu";
    /// <inheritdoc/>
    public override bool IsReluFamily => true;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Silu();
}

/// <summary>Softmax along an axis (default the last): non-negative outputs summing to 1.</summary>
public sealed class Softmax(int axis = -1) : ActivationLayer
{
    /// <summary>The axis that sums to 1.</summary>
    public int Axis { get; } = axis;
    /// <inheritdoc/>
    public override string Name => "softmax";
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Softmax(Axis);
    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) => config["axis"] = Axis;
}

/// <summary>Log-softmax along an axis (default the last), for use with <c>NllLoss</c>.</summary>
public sealed class LogSoftmax(int axis = -1) : ActivationLayer
{
    /// <summary>The normalised axis.</summary>
    public int Axis { get; } = axis;
    /// <inheritdoc/>
    public override string Name => "log_softmax";
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LogSoftmax(Axis);
    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) => config["axis"] = Axis;
}

/// <summary>
/// Noisy ReLU (Nair and Hinton 2010): max(0, z + ε), ε ~ N(0, σ²), in training mode; plain ReLU in
/// evaluation mode. The gradient passes where z + ε &gt; 0.
/// </summary>
public sealed class NoisyRelu(float standardDeviation = 0.1f, RandomGenerator? generator = null) : ActivationLayer
{
    /// <summary>σ of the added Gaussian noise.</summary>
    public float StandardDeviation { get; } = standardDeviation >= 0f ? standardDeviation
        : throw new ArgumentOutOfRangeException(nameof(standardDeviation), $"NoisyRelu: σ must be non-negative; got {standardDeviation}.");

    /// <inheritdoc/>
    public override string Name => "noisy_relu";
    /// <inheritdoc/>
    public override bool IsReluFamily => true;
    /// <inheritdoc/>
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"noisy_relu(σ={StandardDeviation:G4})");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (!IsTraining || StandardDeviation == 0f) return input.Relu();
        Tensor noise = Tensor.Normal(input.Shape, 0f, StandardDeviation, generator ?? RandomGenerator.Default);
        return (input + noise).Relu();
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) => config["standardDeviation"] = StandardDeviation;
}
