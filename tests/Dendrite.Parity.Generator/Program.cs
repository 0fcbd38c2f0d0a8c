// Writes libtorch reference data for Dendrite's parity tests: one JSON file per case under
// <out>/ops/<case-name>.json. The format and the command are in tests/reference/README.md.
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

OpCase[] cases = Catalog.All.Where(c => filter is null || c.Name.Contains(filter, StringComparison.Ordinal)).ToArray();
if (cases.Length == 0)
{
    Console.Error.WriteLine($"no case name contains '{filter}'; --list shows them");
    return 1;
}
if (list)
{
    foreach (var c in cases)
        Console.WriteLine($"{c.Name,-40} {c.Description}");
    return 0;
}

outDir ??= Path.Combine(FindRepositoryRoot() ?? Directory.GetCurrentDirectory(), "tests", "reference");
string opsDir = Path.Combine(outDir, "ops");
Directory.CreateDirectory(opsDir);

foreach (var c in cases)
{
    string json = ReferenceJson.Write(CaseRunner.Run(c));
    File.WriteAllText(Path.Combine(opsDir, c.Name + ".json"), json);
}
Console.WriteLine($"wrote {cases.Length} case(s) to {Path.GetFullPath(opsDir)}");

if (filter is null)
{
    var known = Catalog.All.Select(c => c.Name + ".json").ToHashSet();
    foreach (var stale in Directory.GetFiles(opsDir, "*.json").Where(f => !known.Contains(Path.GetFileName(f))))
        Console.WriteLine($"warning: {stale} belongs to no case (renamed or removed?); delete it if so");
}
return 0;

static string? FindRepositoryRoot()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Dendrite.slnx")))
            return dir.FullName;
    return null;
}
