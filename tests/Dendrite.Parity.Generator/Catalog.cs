using Dendrite.Parity.Generator.Cases;

namespace Dendrite.Parity.Generator;

/// <summary>Every case, family by family. A new family is a file under Cases/ and one line here.</summary>
static class Catalog
{
    public static readonly OpCase[] All = Checked(
    [
        .. Elementwise.Cases,
        .. Unary.Cases,
        .. Selection.Cases,
        .. Reductions.Cases,
        .. Matmul.Cases,
        .. Movement.Cases,
        .. Losses.Cases,
    ]);

    static OpCase[] Checked(OpCase[] cases)
    {
        var duplicate = cases.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"two cases are named '{duplicate.Key}'; names are file names and seeds, so they must be unique");
        var bad = cases.FirstOrDefault(c => !System.Text.RegularExpressions.Regex.IsMatch(c.Name, "^[a-z0-9_]+$"));
        if (bad is not null)
            throw new InvalidOperationException($"case name '{bad.Name}' must be lower-case letters, digits and '_' (it is a file name)");
        return cases;
    }
}
