namespace Dendrite.Techniques.Diagnostics;

/// <summary>What <see cref="TrainingDiagnostics"/> measured in one layer (a module with its own parameters) in one epoch.</summary>
/// <param name="Name">The module's dotted name in the model (<c>0</c>, <c>encoder.2</c>).</param>
/// <param name="Description">The module's description, e.g. <c>Dense(64->32, sigmoid)</c>.</param>
/// <param name="WeightedIndex">1-based position among the layers with a weight matrix or kernel (Dense, Conv), or 0 for others (BatchNorm).</param>
/// <param name="GradientNorm">‖∂L/∂θ‖₂ over the layer's parameters, the mean over the epoch's sampled batches (NaN when none was sampled).</param>
/// <param name="WeightNorm">‖θ‖₂ over the layer's parameters at the end of the epoch.</param>
/// <param name="DeadShare">Share of its ReLU units that output 0 on every probe sample; null when it has no ReLU units or there are no probe samples.</param>
/// <param name="SaturatedShare">Share of its sigmoid or tanh units' outputs on the probe samples that are pinned at the ends of their range; null when it has no such units or there are no probe samples.</param>
public sealed record LayerDiagnostics(string Name, string Description, int WeightedIndex, double GradientNorm, double WeightNorm,
    double? DeadShare, double? SaturatedShare)
{
    /// <summary>‖∂L/∂θ‖ / ‖θ‖: how large a step the gradient suggests relative to the weights (NaN for zero weights).</summary>
    public double Ratio => WeightNorm > 0 ? GradientNorm / WeightNorm : double.NaN;

    /// <summary>The dotted name and description, e.g. <c>0 Dense(64->32, sigmoid)</c>.</summary>
    public string Label => Name.Length == 0 ? Description : $"{Name} {Description}";
}

/// <summary>One epoch's measurements.</summary>
/// <param name="Epoch">The epoch, 0-based.</param>
/// <param name="Loss">The epoch's mean training loss.</param>
/// <param name="Layers">One entry per layer with parameters, input side first.</param>
public sealed record EpochDiagnostics(int Epoch, double Loss, IReadOnlyList<LayerDiagnostics> Layers)
{
    /// <summary>The first weighted layer's gradient norm divided by the last's (NaN with fewer than two weighted layers).</summary>
    public double FirstToLastGradientRatio
    {
        get
        {
            var weighted = Layers.Where(l => l.WeightedIndex > 0).ToList();
            if (weighted.Count < 2) return double.NaN;
            double last = weighted[^1].GradientNorm;
            return last > 0 ? weighted[0].GradientNorm / last : double.NaN;
        }
    }
}
