namespace Dendrite.Bench;

/// <summary>
/// One measurement: the same work done by <see cref="Dendrite"/> and by <see cref="TorchSharp"/>.
/// The runner times each action and reports, in <see cref="Unit"/>, <c>WorkPerCall / seconds per call</c>
/// for a rate (<see cref="HigherIsBetter"/>) or <c>WorkPerCall * seconds per call</c> for a cost.
/// </summary>
/// <param name="name">The case as printed, e.g. <c>n=1024</c>.</param>
/// <param name="unit">Unit of the reported value, e.g. <c>GFLOP/s</c>.</param>
/// <param name="workPerCall">For a rate, the work of one call in the unit's numerator (e.g. GFLOP per call);
/// for a cost, the scale from seconds to the unit (e.g. 1000 for ms per call).</param>
/// <param name="dendrite">One call of the Dendrite side; buffers are prepared outside it.</param>
/// <param name="torchSharp">One call of the TorchSharp side; tensors are prepared outside it.</param>
public sealed class BenchCase(string name, string unit, double workPerCall, Action dendrite, Action torchSharp) : IDisposable
{
    public string Name { get; } = name;

    public string Unit { get; } = unit;

    public double WorkPerCall { get; } = workPerCall;

    public Action Dendrite { get; } = dendrite;

    public Action TorchSharp { get; } = torchSharp;

    /// <summary>
    /// Whether a larger value is better (a rate). For costs (seconds, bytes) set it false; the
    /// ratio is then inverted so that a ratio above 1 always means Dendrite is better.
    /// </summary>
    public bool HigherIsBetter { get; init; } = true;

    /// <summary>
    /// The machine's peak in the same unit, when there is one (e.g. FP32 GFLOP/s), so that the table can
    /// show each side as a share of it.
    /// </summary>
    public double? Peak { get; init; }

    /// <summary>
    /// The shortest sample for this case, whatever <c>--sample-ms</c> says: a case whose call takes tens of
    /// milliseconds needs samples of many calls, or the first calls after the other side's sample (caches
    /// full of the other side's data) weigh on every sample.
    /// </summary>
    public TimeSpan MinimumSampleTime { get; init; }

    /// <summary>What the case holds (TorchSharp tensors in a dispose scope, native buffers); disposed after the case is measured.</summary>
    public IDisposable? Resources { get; init; }

    /// <summary>
    /// For a case that is not timed but measures something itself (peak memory of a child process, the
    /// wall time of a whole training run): one sample of the Dendrite side, in <see cref="Unit"/>. When
    /// set, the runner calls this and <see cref="MeasureTorchSharp"/> alternately instead of timing the actions.
    /// </summary>
    public Func<double>? MeasureDendrite { get; init; }

    /// <summary>One sample of the TorchSharp side of a measured case (see <see cref="MeasureDendrite"/>).</summary>
    public Func<double>? MeasureTorchSharp { get; init; }

    /// <summary>A case whose sides return their own measurement (one value per call) instead of being timed.</summary>
    public static BenchCase Measured(string name, string unit, Func<double> dendrite, Func<double> torchSharp, bool higherIsBetter) =>
        new(name, unit, 1, () => { }, () => { })
        {
            MeasureDendrite = dendrite,
            MeasureTorchSharp = torchSharp,
            HigherIsBetter = higherIsBetter,
        };

    public void Dispose() => Resources?.Dispose();
}
