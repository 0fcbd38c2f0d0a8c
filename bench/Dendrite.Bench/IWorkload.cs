namespace Dendrite.Bench;

/// <summary>
/// A named group of benchmark cases, each run in Dendrite and in TorchSharp in the same process.
/// Adding a workload is adding one class that implements this interface: <see cref="WorkloadRegistry"/>
/// finds it by reflection, and <c>--list</c> shows it.
/// </summary>
public interface IWorkload
{
    /// <summary>The name given on the command line, e.g. <c>gemm</c>.</summary>
    string Name { get; }

    /// <summary>One line shown by <c>--list</c>.</summary>
    string Description { get; }

    /// <summary>
    /// The cases, created lazily one at a time: each may hold large buffers and TorchSharp tensors,
    /// which the runner disposes (<see cref="BenchCase.Dispose"/>) before asking for the next.
    /// </summary>
    IEnumerable<BenchCase> Cases();
}
