using System.Text.Json.Nodes;
using Dendrite.NN.Initializers;
using Dendrite.NN.Regularizers;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>A layer with a weight matrix that wrappers (dropconnect, weight normalisation) can replace for one forward pass.</summary>
public interface IWeightedLayer
{
    /// <summary>The weight parameter.</summary>
    Parameter Weight { get; }

    /// <summary>The layer's forward pass with <paramref name="weight"/> (of <see cref="Weight"/>'s shape) in place of its own.</summary>
    Tensor ForwardWithWeight(Tensor input, Tensor weight);
}

/// <summary>
/// A fully connected layer: y = f(x·Wᵀ + b) with W [out, in] (PyTorch's layout) and b [out], for
/// x [..., in]. The activation f is optional; the weight initialiser defaults to He uniform for
/// ReLU-like activations and Glorot uniform otherwise (gain 4 for sigmoid, as Glorot and Bengio
/// advise), biases to zeros.
/// </summary>
public sealed class Dense : Module, IWeightedLayer
{
    /// <summary>Creates the layer; the input size is given explicitly so parameter counts are known at once.</summary>
    /// <param name="inFeatures">Size of the last input dimension.</param>
    /// <param name="outFeatures">Number of units.</param>
    /// <param name="activation">Applied to the affine output; null for none (linear).</param>
    /// <param name="bias">Whether to add a bias vector.</param>
    /// <param name="weightInitializer">Overrides the activation-based default.</param>
    /// <param name="biasInitializer">Defaults to zeros.</param>
    /// <param name="weightRegularizer">Penalty on the weights added to the loss.</param>
    /// <param name="weightConstraint">Projection after each optimiser step (e.g. max-norm).</param>
    /// <param name="generator">Random source for initialisation (the thread's default when null).</param>
    public Dense(int inFeatures, int outFeatures, ActivationLayer? activation = null, bool bias = true,
        Initializer? weightInitializer = null, Initializer? biasInitializer = null,
        Regularizer? weightRegularizer = null, Constraint? weightConstraint = null, RandomGenerator? generator = null)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Dense needs positive sizes; got {inFeatures}->{outFeatures}.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Initializer init = weightInitializer ?? DefaultInitializer(activation);
        Weight = AddParameter("weight", [outFeatures, inFeatures], init, inFeatures, outFeatures, generator);
        Weight.Regularizer = weightRegularizer;
        Weight.Constraint = weightConstraint;
        if (bias) Bias = AddParameter("bias", [outFeatures], biasInitializer ?? Initializer.Zeros, inFeatures, outFeatures, generator);
        if (activation is not null) Activation = AddModule("activation", activation);
    }

    /// <summary>The default weight initialiser for a layer followed by <paramref name="activation"/>.</summary>
    public static Initializer DefaultInitializer(ActivationLayer? activation) => activation switch
    {
        { IsReluFamily: true } => Initializer.HeUniform,
        Sigmoid => Initializer.GlorotUniform(4f),
        _ => Initializer.GlorotUniform(),
    };

    /// <summary>Size of the last input dimension.</summary>
    public int InFeatures { get; }

    /// <summary>Number of units (size of the last output dimension).</summary>
    public int OutFeatures { get; }

    /// <summary>W, [out, in].</summary>
    public Parameter Weight { get; }

    /// <summary>b, [out], or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>The activation applied after the affine map, or null.</summary>
    public ActivationLayer? Activation { get; }

    /// <inheritdoc/>
    public override string Describe() => $"Dense({InFeatures}->{OutFeatures}{(Activation is null ? "" : ", " + Activation.Describe())})";

    /// <summary>f(x·Wᵀ + b). <paramref name="input"/> is [..., in]; the result [..., out].</summary>
    public override Tensor Forward(Tensor input) => ForwardWithWeight(input, Weight);

    /// <inheritdoc/>
    public Tensor ForwardWithWeight(Tensor input, Tensor weight)
    {
        if (input.Rank == 0 || input.Shape[-1] != InFeatures)
            throw new ShapeMismatchException($"Dense({InFeatures}->{OutFeatures}) got input {input.Shape}; expected [*, {InFeatures}]. The last input dimension must equal inFeatures.");
        // ReLU rides in the product's epilogue and the backward's mask (the same bits as Linear, then
        // Relu, one pass and one graph node fewer); other activations run as their own op.
        if (Activation is Relu)
        {
            Tensor rectified = input.Linear(weight, Bias, FusedActivation.Relu);
            SummaryRecorder.Current?.Note(Activation, rectified);
            return rectified;
        }
        Tensor output = input.Linear(weight, Bias);
        return Activation is null ? output : Run(Activation, output);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["inFeatures"] = InFeatures;
        config["outFeatures"] = OutFeatures;
        config["bias"] = Bias is not null;
        if (Weight.Regularizer is not null) config["weightRegularizer"] = Weight.Regularizer.Name;
        if (Weight.Constraint is not null) config["weightConstraint"] = Weight.Constraint.Name;
    }
}
