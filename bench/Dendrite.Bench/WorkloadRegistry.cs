using System.Diagnostics.CodeAnalysis;

namespace Dendrite.Bench;

/// <summary>Every <see cref="IWorkload"/> in this assembly, found by reflection so that a new workload is one class.</summary>
public static class WorkloadRegistry
{
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "The benchmark is never trimmed.")]
    public static IReadOnlyList<IWorkload> All { get; } = typeof(WorkloadRegistry).Assembly.GetTypes()
        .Where(type => typeof(IWorkload).IsAssignableFrom(type) && type is { IsAbstract: false, IsInterface: false })
        .Select(type => (IWorkload)Activator.CreateInstance(type)!)
        .OrderBy(workload => workload.Name, StringComparer.Ordinal)
        .ToArray();

    /// <summary>The workloads named on the command line (<c>all</c> for every one), or an error naming the unknown one.</summary>
    public static bool TryResolve(IEnumerable<string> names, out List<IWorkload> workloads, out string? error)
    {
        var chosen = new List<IWorkload>();
        workloads = chosen;
        error = null;
        foreach (string name in names)
        {
            if (name == "all")
            {
                chosen.AddRange(All.Where(workload => !chosen.Contains(workload)));
                continue;
            }
            IWorkload? found = All.FirstOrDefault(workload => workload.Name == name);
            if (found is null)
            {
                error = $"unknown workload '{name}'; known: {string.Join(", ", All.Select(workload => workload.Name))}, all";
                return false;
            }
            if (!chosen.Contains(found)) chosen.Add(found);
        }
        return true;
    }
}
