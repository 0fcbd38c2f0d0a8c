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

    /// <summary>What the case holds (TorchSharp tensors in a dispose scope, native buffers); disposed after the case is measured.</summary>
    public IDisposable? Resources { get; init; }

    public void Dispose() => Resources?.Dispose();
}
