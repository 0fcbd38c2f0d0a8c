using System.Globalization;
using Dendrite.Bench;
using Dendrite.Bench.Workloads;
using TorchSharp;

// dotnet run -c Release --project bench/Dendrite.Bench -- [--list] [--reps N] [--sample-ms MS] [--results DIR] workload... | all
const string Usage = "usage: Dendrite.Bench [--list] [--reps N (default 7)] [--sample-ms MS (default 200)] [--results DIR] <workload>... | all";

// A child process of the memory workload trains one side only and reports its peak working set.
if (args.Length > 0 && args[0] == MemoryWorkload.ChildFlag) return MemoryWorkload.RunChildProcess(args[1..]);

int repetitions = 7;
int sampleMilliseconds = 200;
string? resultsDirectory = null;
var names = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--list":
            foreach (IWorkload workload in WorkloadRegistry.All) Console.WriteLine($"{workload.Name,-16} {workload.Description}");
            return 0;
        case "--reps" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out int reps) && reps >= 1:
            repetitions = reps;
            i++;
            break;
        case "--sample-ms" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out int ms) && ms >= 1:
            sampleMilliseconds = ms;
            i++;
            break;
        case "--results" when i + 1 < args.Length:
            resultsDirectory = args[++i];
            break;
        case "-h" or "--help":
            Console.WriteLine(Usage);
            return 0;
        default:
            if (args[i].StartsWith('-'))
            {
                Console.Error.WriteLine($"unknown or incomplete option '{args[i]}'\n{Usage}");
                return 2;
            }
            names.Add(args[i]);
            break;
    }
}
if (names.Count == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}
if (!WorkloadRegistry.TryResolve(names, out List<IWorkload> workloads, out string? error))
{
    Console.Error.WriteLine(error);
    return 2;
}

// Both libraries get every core; each side's own threads are its business.
torch.set_num_threads(Environment.ProcessorCount);
resultsDirectory ??= Path.Combine(FindRepositoryRoot() ?? Directory.GetCurrentDirectory(), "bench", "results");

Console.WriteLine($"{DateTime.Now:yyyy-MM-dd HH:mm}  {Machine.Describe()}");
Console.WriteLine($"median of {repetitions} alternating samples of ~{sampleMilliseconds} ms each; ratio = Dendrite / TorchSharp in the higher-is-better sense (> 1: Dendrite is better)");
var runner = new Runner(repetitions, TimeSpan.FromMilliseconds(sampleMilliseconds), Console.Out);
foreach (IWorkload workload in workloads)
{
    (double All, double Own)? before = Machine.CpuSeconds();
    long start = System.Diagnostics.Stopwatch.GetTimestamp();
    List<CaseResult> results = runner.Run(workload);
    double wall = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
    string path = Runner.WriteJson(resultsDirectory, workload.Name, results);
    Console.WriteLine($"-> {path}");
    if (before is { } b && Machine.CpuSeconds() is { } a)
    {
        // The machine may be shared: say how much CPU other processes took while this workload ran.
        double others = Math.Max(0, (a.All - b.All) - (a.Own - b.Own));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"other processes used {others:F1} CPU-seconds during these {wall:F1} s on {Environment.ProcessorCount} cores ({100 * others / (wall * Environment.ProcessorCount):F0}% of the machine)"));
    }
}
return 0;

// The directory holding Dendrite.slnx, searched upwards from the working directory and the binary.
static string? FindRepositoryRoot()
{
    foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
    {
        for (DirectoryInfo? directory = new(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Dendrite.slnx"))) return directory.FullName;
        }
    }
    return null;
}
