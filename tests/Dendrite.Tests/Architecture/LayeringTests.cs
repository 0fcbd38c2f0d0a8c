using System.Text.RegularExpressions;

namespace Dendrite.Tests.Architecture;

/// <summary>
/// Keeps the core's layers leaning one way (ARCHITECTURE.md): a folder of src/Dendrite may name
/// only the folders below it. Fails with the file and line of an upward reference.
/// </summary>
public class LayeringTests
{
    // Each layer with the layers it may use (besides itself).
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Kernels"] = [],
        ["Tensors"] = ["Kernels"],
        ["Autograd"] = ["Tensors", "Kernels"],
        ["Ops"] = ["Autograd", "Tensors", "Kernels"],
        ["Data"] = ["Tensors", "Kernels"],
        ["IO"] = ["Tensors", "Kernels"],
        ["NN"] = ["Ops", "Autograd", "Tensors", "Kernels", "Data", "IO"],
        ["Optim"] = ["NN", "Ops", "Autograd", "Tensors", "Kernels", "Data", "IO"],
        ["Training"] = ["Optim", "NN", "Ops", "Autograd", "Tensors", "Kernels", "Data", "IO"],
        ["Techniques"] = ["Training", "Optim", "NN", "Ops", "Autograd", "Tensors", "Kernels", "Data", "IO"],
    };

    private static string SourceRoot()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "Dendrite.slnx"))) directory = Path.GetDirectoryName(directory);
        Assert.NotNull(directory);
        return Path.Combine(directory!, "src", "Dendrite");
    }

    [Fact]
    public void NoLayerNamesALayerAboveIt()
    {
        string root = SourceRoot();
        var violations = new List<string>();
        var reference = new Regex(@"\bDendrite\.(Kernels|Tensors|Autograd|Ops|Data|IO|NN|Optim|Training|Techniques)\b");
        foreach (string folder in Directory.GetDirectories(root))
        {
            string layer = Path.GetFileName(folder);
            if (layer is "bin" or "obj" or "Resources") continue;
            Assert.True(Allowed.ContainsKey(layer), $"src/Dendrite/{layer} is not a known layer; add it to LayeringTests with what it may use.");
            foreach (string file in Directory.GetFiles(folder, "*.cs", SearchOption.AllDirectories))
            {
                string[] lines = File.ReadAllLines(file);
                for (int i = 0; i < lines.Length; i++)
                {
                    if (lines[i].TrimStart().StartsWith("//", StringComparison.Ordinal)) continue;
                    foreach (Match match in reference.Matches(lines[i]))
                    {
                        string target = match.Groups[1].Value;
                        if (target != layer && !Allowed[layer].Contains(target))
                            violations.Add($"{Path.GetRelativePath(root, file)}:{i + 1}: {layer} must not use {target}: {lines[i].Trim()}");
                    }
                }
            }
        }
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }
}
