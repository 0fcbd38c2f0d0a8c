using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Dendrite.Bench;

/// <summary>One measured case: medians of each side and their ratio.</summary>
public sealed record CaseResult(string Workload, string Case, string Unit, double Dendrite, double TorchSharp, double Ratio, double? Peak);

/// <summary>
/// Times each case's two sides alternately (D, T, D, T, ...) after a warm-up, so that slow drifts of
/// the machine (other processes, frequency) hit both alike, and reports the median of each.
/// </summary>
public sealed class Runner(int repetitions, TimeSpan sampleTime, TextWriter output)
{
    public List<CaseResult> Run(IWorkload workload)
    {
        var results = new List<CaseResult>();
        output.WriteLine();
        output.WriteLine($"== {workload.Name}: {workload.Description}");
        output.WriteLine($"{"case",-34} {"unit",-8} {"dendrite",10} {"torchsharp",10} {"ratio",7}  {"% of peak (D / T)",-18}");
        foreach (BenchCase benchCase in workload.Cases())
        {
            using (benchCase)
            {
                CaseResult result = Measure(workload.Name, benchCase);
                results.Add(result);
                string peak = result.Peak is double p
                    ? $"{100 * result.Dendrite / p,5:F1}% / {100 * result.TorchSharp / p,5:F1}%"
                    : "";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{result.Case,-34} {result.Unit,-8} {result.Dendrite,10:F1} {result.TorchSharp,10:F1} {result.Ratio,7:F2}  {peak}"));
            }
        }
        return results;
    }

    private CaseResult Measure(string workload, BenchCase benchCase)
    {
        if (benchCase is { MeasureDendrite: { } measureDendrite, MeasureTorchSharp: { } measureTorchSharp })
            return MeasureValues(workload, benchCase, measureDendrite, measureTorchSharp);
        // Warm-up: JIT tiers, thread pools, workspaces and libtorch's allocator; then calibrate how many
        // calls make one sample of about sampleTime, separately for each side.
        TimeSpan sample = benchCase.MinimumSampleTime > sampleTime ? benchCase.MinimumSampleTime : sampleTime;
        int dendriteCalls = Calibrate(benchCase.Dendrite, sample);
        int torchCalls = Calibrate(benchCase.TorchSharp, sample);
        var dendrite = new double[repetitions];
        var torch = new double[repetitions];
        for (int i = 0; i < repetitions; i++)
        {
            Settle();
            dendrite[i] = Sample(benchCase.Dendrite, dendriteCalls);
            Settle();
            torch[i] = Sample(benchCase.TorchSharp, torchCalls);
        }
        double dendriteSeconds = Median(dendrite), torchSeconds = Median(torch);
        double dendriteValue = benchCase.HigherIsBetter ? benchCase.WorkPerCall / dendriteSeconds : benchCase.WorkPerCall * dendriteSeconds;
        double torchValue = benchCase.HigherIsBetter ? benchCase.WorkPerCall / torchSeconds : benchCase.WorkPerCall * torchSeconds;
        // Ratio > 1 means Dendrite is better: faster for rates, cheaper for costs.
        double ratio = benchCase.HigherIsBetter ? dendriteValue / torchValue : torchValue / dendriteValue;
        return new CaseResult(workload, benchCase.Name, benchCase.Unit, dendriteValue, torchValue, ratio, benchCase.Peak);
    }

    /// <summary>A case that measures itself: alternate samples of each side, medians, ratio as for timed cases.</summary>
    private CaseResult MeasureValues(string workload, BenchCase benchCase, Func<double> measureDendrite, Func<double> measureTorchSharp)
    {
        var dendrite = new double[repetitions];
        var torch = new double[repetitions];
        for (int i = 0; i < repetitions; i++)
        {
            dendrite[i] = measureDendrite();
            torch[i] = measureTorchSharp();
        }
        double dendriteValue = Median(dendrite), torchValue = Median(torch);
        double ratio = benchCase.HigherIsBetter ? dendriteValue / torchValue : torchValue / dendriteValue;
        return new CaseResult(workload, benchCase.Name, benchCase.Unit, dendriteValue, torchValue, ratio, benchCase.Peak);
    }

    private static int Calibrate(Action action, TimeSpan sampleTime)
    {
        action();
        int calls = 1;
        while (true)
        {
            double seconds = Sample(action, calls) * calls;
            if (seconds >= sampleTime.TotalSeconds / 4 || calls >= 1 << 24)
            {
                return Math.Max(1, (int)Math.Ceiling(calls * sampleTime.TotalSeconds / Math.Max(seconds, 1e-9)));
            }
            calls *= 4;
        }
    }

    /// <summary>
    /// Sleeps between samples so that each starts with the other side's threads idle: libtorch's OpenMP
    /// workers keep spinning for many milliseconds after its last parallel region (measured: about 19 ms
    /// of one core after each TorchSharp sample on the 2-core machine), which took a core from the first
    /// Dendrite steps of every sample that followed; Dendrite's own workers spin 200 µs.
    /// </summary>
    private static void Settle() => Thread.Sleep(SettleMilliseconds);

    /// <summary>The pause before each sample, in milliseconds.</summary>
    public const int SettleMilliseconds = 100;

    /// <summary>Seconds per call, over <paramref name="calls"/> back-to-back calls.</summary>
    private static double Sample(Action action, int calls)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++) action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
    }

    private static double Median(double[] values)
    {
        double[] sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>Writes bench/results/&lt;workload&gt;.json through a temporary file and a rename, so a reader never sees half a file.</summary>
    public static string WriteJson(string directory, string workload, IReadOnlyList<CaseResult> results)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, workload + ".json");
        string temporary = path + ".tmp";
        using (var stream = File.Create(temporary))
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            foreach (CaseResult result in results)
            {
                writer.WriteStartObject();
                writer.WriteString("workload", result.Workload);
                writer.WriteString("case", result.Case);
                writer.WriteString("unit", result.Unit);
                writer.WriteNumber("dendrite", Math.Round(result.Dendrite, 3));
                writer.WriteNumber("torchsharp", Math.Round(result.TorchSharp, 3));
                writer.WriteNumber("ratio", Math.Round(result.Ratio, 4));
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        File.Move(temporary, path, overwrite: true);
        return path;
    }
}
