using Dendrite.Parity.Generator.Cases;
using Dendrite.Parity.Generator.Optim;

namespace Dendrite.Parity.Generator;

/// <summary>One file to write: its family (the folder under tests/reference), its case name, and how to make its text.</summary>
sealed record Entry(string Family, string Name, string Description, Func<string> Generate);

/// <summary>Every case, family by family. A new family is a file under Cases/ (or Optim/) and one line here.</summary>
static class Catalog
{
    /// <summary>The op cases (tests/reference/ops).</summary>
    public static readonly OpCase[] All =
    [
        .. Elementwise.Cases,
        .. Unary.Cases,
        .. Selection.Cases,
        .. Reductions.Cases,
        .. Matmul.Cases,
        .. Movement.Cases,
        .. Losses.Cases,
    ];

    /// <summary>The layer cases (tests/reference/layers).</summary>
    public static readonly LayerCase[] Layers =
    [
        .. Cases.Layers.Cases,
        .. LossLayers.Cases,
        .. Convolution.Cases,
        .. Recurrent.Cases,
        .. Attention.Cases,
    ];

    /// <summary>
    /// Every file of every family. Names are unique across families: a name is a file name and, through
    /// its hash, the seed, and the command-line filter matches names whatever their family.
    /// </summary>
    public static readonly Entry[] Entries = Checked(
    [
        .. All.Select(c => new Entry("ops", c.Name, c.Description, () => ReferenceJson.Write(CaseRunner.Run(c)))),
        .. Layers.Select(c => new Entry("layers", c.Name, c.Description, () => LayerRunner.Run(c))),
        .. Trajectories.Cases.Select(c => new Entry("optim", c.Name, c.Description, () => TrajectoryRunner.Run(c))),
        .. Schedules.Cases.Select(c => new Entry("schedules", c.Name, c.Description, () => Schedules.Run(c))),
    ]);

    static Entry[] Checked(Entry[] entries)
    {
        var duplicate = entries.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"two cases are named '{duplicate.Key}'; names are file names and seeds, so they must be unique");
        var bad = entries.FirstOrDefault(c => !System.Text.RegularExpressions.Regex.IsMatch(c.Name, "^[a-z0-9_]+$"));
        if (bad is not null)
            throw new InvalidOperationException($"case name '{bad.Name}' must be lower-case letters, digits and '_' (it is a file name)");
        return entries;
    }
}
