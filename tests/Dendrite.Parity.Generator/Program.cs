// Writes libtorch reference data for Dendrite's parity tests: one JSON file per case under
// <out>/<family>/<case-name>.json, families ops, layers, optim and schedules. The formats and the
// command are in tests/reference/README.md.
//
//   dotnet run --project tests/Dendrite.Parity.Generator -- [--out tests/reference] [--list] [case-name-filter]
//
// The filter keeps the cases whose name contains it. Without --out the files go to tests/reference
// of the repository holding the current directory.
using Dendrite.Parity.Generator;

string? outDir = null;
string? filter = null;
bool list = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--out" when i + 1 < args.Length: outDir = args[++i]; break;
        case "--list": list = true; break;
        case "-h" or "--help":
            Console.WriteLine("usage: Dendrite.Parity.Generator [--out tests/reference] [--list] [case-name-filter]");
            return 0;
        default:
            if (args[i].StartsWith('-') || filter is not null)
            {
                Console.Error.WriteLine($"unexpected argument '{args[i]}'; usage: [--out DIR] [--list] [case-name-filter]");
                return 2;
            }
            filter = args[i];
            break;
    }
}

Entry[] cases = Catalog.Entries.Where(c => filter is null || c.Name.Contains(filter, StringComparison.Ordinal)).ToArray();
if (cases.Length == 0)
{
    Console.Error.WriteLine($"no case name contains '{filter}'; --list shows them");
    return 1;
}
if (list)
{
    foreach (var c in cases)
        Console.WriteLine($"{c.Family,-10} {c.Name,-45} {c.Description}");
    return 0;
}

outDir ??= Path.Combine(FindRepositoryRoot() ?? Directory.GetCurrentDirectory(), "tests", "reference");
foreach (var family in cases.GroupBy(c => c.Family))
{
    string dir = Path.Combine(outDir, family.Key);
    Directory.CreateDirectory(dir);
    foreach (var c in family)
        File.WriteAllText(Path.Combine(dir, c.Name + ".json"), c.Generate());
    Console.WriteLine($"wrote {family.Count()} case(s) to {Path.GetFullPath(dir)}");
}

if (filter is null)
{
    foreach (var family in Catalog.Entries.GroupBy(c => c.Family))
    {
        var known = family.Select(c => c.Name + ".json").ToHashSet();
        foreach (var stale in Directory.GetFiles(Path.Combine(outDir, family.Key), "*.json").Where(f => !known.Contains(Path.GetFileName(f))))
            Console.WriteLine($"warning: {stale} belongs to no case (renamed or removed?); delete it if so");
    }
}
return 0;

static string? FindRepositoryRoot()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Dendrite.slnx")))
            return dir.FullName;
    return null;
}
