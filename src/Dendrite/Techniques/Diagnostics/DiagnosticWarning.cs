namespace Dendrite.Techniques.Diagnostics;

/// <summary>The failure modes <see cref="TrainingDiagnostics"/> watches for.</summary>
public enum DiagnosticKind
{
    /// <summary>The earliest layers' gradient norm is orders of magnitude below the last layer's, so they barely learn.</summary>
    VanishingGradients,

    /// <summary>Gradients that grow by orders of magnitude, grow from the last layer to the first, or are not finite.</summary>
    ExplodingGradients,

    /// <summary>ReLU units that output 0 for every probe sample, so no gradient reaches their weights.</summary>
    DeadUnits,

    /// <summary>Sigmoid or tanh units whose outputs are pinned at the ends of their range, where the derivative is almost 0.</summary>
    SaturatedUnits,

    /// <summary>A loss that rises far above where it started, or becomes NaN or infinite: the learning rate is too high.</summary>
    DivergingLoss,

    /// <summary>A loss that goes up and down from epoch to epoch instead of falling: the learning rate is too high for steady descent.</summary>
    OscillatingLoss,
}

/// <summary>One warning of <see cref="TrainingDiagnostics"/>: what was seen, where, and the likely remedy.</summary>
/// <param name="Kind">The failure mode.</param>
/// <param name="Epoch">The epoch (0-based) in which it was first seen.</param>
/// <param name="Layer">The layer concerned (dotted name and description), or null when it concerns the whole run (the loss).</param>
/// <param name="Message">What was measured, with the numbers.</param>
/// <param name="Remedy">What usually cures it, from the classic texts.</param>
public sealed record DiagnosticWarning(DiagnosticKind Kind, int Epoch, string? Layer, string Message, string Remedy)
{
    /// <summary>A short name of <see cref="Kind"/> for printing: <c>vanishing gradients</c>, <c>dead units</c>, ...</summary>
    public string KindName => Name(Kind);

    /// <summary>The printable name of a kind.</summary>
    public static string Name(DiagnosticKind kind) => kind switch
    {
        DiagnosticKind.VanishingGradients => "vanishing gradients",
        DiagnosticKind.ExplodingGradients => "exploding gradients",
        DiagnosticKind.DeadUnits => "dead units",
        DiagnosticKind.SaturatedUnits => "saturated units",
        DiagnosticKind.DivergingLoss => "diverging loss",
        DiagnosticKind.OscillatingLoss => "oscillating loss",
        _ => kind.ToString(),
    };

    /// <summary>One line: <c>warning: vanishing gradients (epoch 1): ... Remedy: ...</c>.</summary>
    public override string ToString() => $"warning: {KindName} (epoch {Epoch + 1}): {Message} Remedy: {Remedy}";
}

/// <summary>The remedies printed with each kind of warning (the classic texts' advice).</summary>
internal static class Remedies
{
    public const string Vanishing =
        "use ReLU-family units with He initialisation, or batch normalisation, or residual connections; " +
        "each sigmoid layer multiplies the gradient by σ′ ≤ 1/4, so a deep sigmoid stack starves its first layers (layer-wise pre-training was the classic cure).";

    public const string Exploding =
        "lower the learning rate, clip the gradient norm (Optimizer gradient clipping), initialise with smaller weights (Glorot/He rather than N(0, 1)), or add batch normalisation.";

    public const string NonFinite =
        "lower the learning rate and clip gradients; look for log(0) or division by zero in a custom loss.";

    public const string Dead =
        "lower the learning rate, start the biases at 0 or a small positive value rather than negative ones, or use leaky ReLU or ELU, whose gradient is never exactly 0.";

    public const string Saturated =
        "standardise the inputs (zero mean, unit variance), initialise weights with variance about 1/n_in (LeCun/Glorot) so that weighted inputs stay in the linear region, " +
        "use cross-entropy rather than squared error on sigmoid outputs, or use LeCun's scaled tanh or ReLU units.";

    public const string Diverging =
        "lower the learning rate 3-10x, decay it with a schedule, clip gradients, or use an adaptive optimiser such as Adam.";

    public const string Oscillating =
        "lower the learning rate, or decay it over time with a schedule; with momentum, lower the learning rate rather than the momentum.";
}
