using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Bench;

/// <summary>What the numbers were measured on, printed first and recorded with the results.</summary>
public static class Machine
{
    /// <summary>FP32 peak of this machine on all cores, in GFLOP/s, as the project states it (2 cores x 174.7).</summary>
    public const double PeakGflops = 349.0;

    public static string Describe()
    {
        string ldPreload = Environment.GetEnvironmentVariable("LD_PRELOAD") ?? "";
        return $"machine: {CpuModel()}, {Environment.ProcessorCount} cores, AVX-512 {(Avx512F.IsSupported ? "yes" : "no")}, "
            + $"{RuntimeInformation.FrameworkDescription}, TorchSharp threads {TorchSharp.torch.get_num_threads()}, "
            + $"tcmalloc preloaded {(ldPreload.Contains("tcmalloc", StringComparison.Ordinal) ? "yes" : "no")}";
    }

    /// <summary>
    /// CPU-seconds used since boot by all processes (from /proc/stat) and by this one; null where
    /// /proc/stat does not exist. The difference over a run is how much other processes took.
    /// </summary>
    public static (double All, double Own)? CpuSeconds()
    {
        try
        {
            string? line = File.ReadLines("/proc/stat").FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
            if (line is null) return null;
            // cpu user nice system idle iowait irq softirq ...: busy = all but idle and iowait, in 1/100 s.
            long[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
            long busy = fields.Where((_, index) => index != 3 && index != 4 && index < 8).Sum();
            double own = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
            return (busy / 100.0, own);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            // Not Linux: fall through.
        }
        catch (UnauthorizedAccessException)
        {
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
