namespace Dendrite.Techniques.Diagnostics;

/// <summary>
/// How much <see cref="TrainingDiagnostics"/> measures and when it warns. The defaults keep its cost
/// to a few norm computations per epoch and one forward pass over the probe samples.
/// </summary>
public sealed record DiagnosticsOptions
{
    /// <summary>Batches per epoch whose gradients are measured (spread evenly over the epoch, the last one included); the epoch's gradient norm is their mean.</summary>
    public int SampledBatchesPerEpoch { get; init; } = 4;

    /// <summary>Warn of vanishing gradients when the first weighted layer's gradient norm is below this share of the last layer's (1e-2: two orders of magnitude).</summary>
    public double VanishingRatio { get; init; } = 1e-2;

    /// <summary>Warn of exploding gradients when the gradient norm of the whole model grows by this factor over its first epoch's value.</summary>
    public double ExplodingGrowth { get; init; } = 100;

    /// <summary>Warn of dead units when at least this share of a ReLU layer's units output 0 for every probe sample.</summary>
    public double DeadUnitShare { get; init; } = 0.5;

    /// <summary>Warn of saturation when at least this share of a sigmoid or tanh layer's outputs on the probe samples are pinned at the ends of their range.</summary>
    public double SaturatedOutputShare { get; init; } = 0.5;

    /// <summary>An output counts as pinned when it lies within this share of its range from either end (0.02: sigmoid below 0.02 or above 0.98, tanh beyond ±0.96).</summary>
    public double SaturationMargin { get; init; } = 0.02;

    /// <summary>Warn of divergence when a batch loss exceeds this multiple of the first batch's loss, or an epoch's mean loss half of it above the start.</summary>
    public double DivergenceFactor { get; init; } = 3;

    /// <summary>Epochs looked back over for oscillation.</summary>
    public int OscillationWindow { get; init; } = 6;

    /// <summary>Warn of oscillation when the epoch loss rose in at least this many of the last <see cref="OscillationWindow"/> epochs, each time by more than <see cref="OscillationTolerance"/>.</summary>
    public int OscillationRises { get; init; } = 3;

    /// <summary>A rise counts when it exceeds this share of the progress made so far (first loss minus best loss), so that noise near convergence is ignored.</summary>
    public double OscillationTolerance { get; init; } = 0.05;

    /// <summary>Throws when an option is out of range, naming it.</summary>
    internal void Validate()
    {
        static void Require(bool condition, string message)
        {
            if (!condition) throw new ArgumentOutOfRangeException(nameof(DiagnosticsOptions), $"DiagnosticsOptions: {message}");
        }
        Require(SampledBatchesPerEpoch >= 1, $"SampledBatchesPerEpoch must be at least 1; got {SampledBatchesPerEpoch}.");
        Require(VanishingRatio > 0 && VanishingRatio < 1, $"VanishingRatio must lie in (0, 1); got {VanishingRatio}.");
        Require(ExplodingGrowth > 1, $"ExplodingGrowth must exceed 1; got {ExplodingGrowth}.");
        Require(DeadUnitShare > 0 && DeadUnitShare <= 1, $"DeadUnitShare must lie in (0, 1]; got {DeadUnitShare}.");
        Require(SaturationMargin > 0 && SaturationMargin < 0.5, $"SaturationMargin must lie in (0, 0.5); got {SaturationMargin}.");
        Require(SaturatedOutputShare > 0 && SaturatedOutputShare <= 1, $"SaturatedOutputShare must lie in (0, 1]; got {SaturatedOutputShare}.");
        Require(DivergenceFactor > 1, $"DivergenceFactor must exceed 1; got {DivergenceFactor}.");
        Require(OscillationWindow >= 2, $"OscillationWindow must be at least 2; got {OscillationWindow}.");
        Require(OscillationRises >= 1 && OscillationRises <= OscillationWindow, $"OscillationRises must lie in 1..OscillationWindow; got {OscillationRises}.");
        Require(OscillationTolerance >= 0, $"OscillationTolerance must be non-negative; got {OscillationTolerance}.");
    }
}
