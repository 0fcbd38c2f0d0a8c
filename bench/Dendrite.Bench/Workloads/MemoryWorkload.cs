using System.Diagnostics;
using System.Globalization;

namespace Dendrite.Bench.Workloads;

/// <summary>
/// The memory row: the peak working set (resident memory, VmHWM) of a process that runs the
/// <c>mlp</c> training workload. Each sample starts a fresh child process of this benchmark with
/// <see cref="ChildFlag"/>, which trains on one side only (so the two frameworks' memory never mix,
/// and the Dendrite child never loads libtorch) and prints its peak; the LD_PRELOAD of the parent,
/// if any, is inherited. Reported in MB (2^20 bytes).
/// </summary>
public sealed class MemoryWorkload : IWorkload
{
    /// <summary>The first argument that makes the benchmark run as a memory child: <c>--memory-child dendrite|torchsharp [steps]</c>.</summary>
    public const string ChildFlag = "--memory-child";

    /// <summary>Training steps of batch 128 a child runs: 64,000 samples, a little more than an epoch of Fashion-MNIST.</summary>
    private const int Steps = 500;

    private const string ResultPrefix = "peak-working-set-bytes ";

    public string Name => "memory";

    public string Description => $"peak working set of a process running the mlp training step {Steps} times, each side in its own child process (MB, lower is better)";

    public IEnumerable<BenchCase> Cases()
    {
        yield return BenchCase.Measured($"mlp training, {Steps} steps", "MB",
            () => RunChild("dendrite"), () => RunChild("torchsharp"), higherIsBetter: false);
    }

    /// <summary>Runs one child and returns its peak working set in MB.</summary>
    private static double RunChild(string side)
    {
        string process = Environment.ProcessPath ?? throw new InvalidOperationException("The benchmark's executable path is unknown.");
        var start = new ProcessStartInfo(process) { RedirectStandardOutput = true, UseShellExecute = false };
        // Under `dotnet Dendrite.Bench.dll` the process is the dotnet host: pass the assembly first.
        if (Path.GetFileNameWithoutExtension(process) == "dotnet") start.ArgumentList.Add(typeof(MemoryWorkload).Assembly.Location);
        start.ArgumentList.Add(ChildFlag);
        start.ArgumentList.Add(side);
        start.ArgumentList.Add(Steps.ToString(CultureInfo.InvariantCulture));
        using Process child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {process}.");
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        string? line = output.Split('\n').LastOrDefault(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
            throw new InvalidOperationException($"The {side} memory child exited with code {child.ExitCode} and printed: {output}");
        return long.Parse(line[ResultPrefix.Length..], CultureInfo.InvariantCulture) / (1024.0 * 1024.0);
    }

    /// <summary>The child's side: trains the mlp workload on one framework and prints the process's peak working set.</summary>
    public static int RunChildProcess(string[] args)
    {
        if (args.Length < 1 || args[0] is not ("dendrite" or "torchsharp"))
        {
            Console.Error.WriteLine($"usage: Dendrite.Bench {ChildFlag} dendrite|torchsharp [steps]");
            return 2;
        }
        int steps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Steps;
        if (args[0] == "dendrite") TrainDendrite(steps);
        else TrainTorchSharp(steps);
        // Process.PeakWorkingSet64 is VmHWM from /proc/self/status on Linux: the peak resident set.
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        Console.WriteLine(ResultPrefix + self.PeakWorkingSet64.ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    // Kept apart from TrainTorchSharp so that the Dendrite child never touches TorchSharp (and never loads libtorch).
    private static void TrainDendrite(int steps)
    {
        var training = new MlpNetworks.DendriteTraining(MlpNetworks.CreateDendrite(), batch: 128);
        for (int i = 0; i < steps; i++) training.Step();
    }

    private static void TrainTorchSharp(int steps)
    {
        TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
        using var training = new MlpNetworks.TorchTraining(MlpNetworks.CreateTorch(), batch: 128);
        for (int i = 0; i < steps; i++) training.Step();
    }
}
