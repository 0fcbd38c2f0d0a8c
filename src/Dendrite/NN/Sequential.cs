using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.Autograd;
using Dendrite.Tensors;

namespace Dendrite.NN;

/// <summary>
/// Modules applied one after another, each to the previous one's output; children are named
/// "0", "1", ... (as PyTorch's <c>nn.Sequential</c>), so parameters are <c>0.weight</c>, <c>2.bias</c>.
/// </summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = [];

    /// <summary>Creates the sequence from <paramref name="layers"/> in order.</summary>
    public Sequential(params IEnumerable<Module> layers)
    {
        foreach (Module layer in layers) Add(layer);
    }

    /// <summary>Appends a module; returns this sequence, so construction can chain.</summary>
    public Sequential Add(Module layer)
    {
        AddModule(_layers.Count.ToString(CultureInfo.InvariantCulture), layer);
        _layers.Add(layer);
        return this;
    }

    /// <summary>The modules in order.</summary>
    public IReadOnlyList<Module> Layers => _layers;

    /// <summary>The module at <paramref name="index"/>.</summary>
    public Module this[int index] => _layers[index];

    /// <summary>Number of modules.</summary>
    public int Count => _layers.Count;

    /// <inheritdoc/>
    public override string Describe() => $"Sequential({_layers.Count} layers)";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        Tensor x = input;
        // Under NoGrad nothing records the intermediates, so each one's pooled storage can go back as
        // soon as the next layer has consumed it: repeated inference then reuses a few buffers instead
        // of leaving megabytes per call to the garbage collector (large arrays cost full collections).
        bool release = !GradMode.IsEnabled;
        foreach (Module layer in _layers)
        {
            Tensor y = Run(layer, x);
            if (release && !ReferenceEquals(x, input)) x.ReleaseUnlessNeeded(y);
            x = y;
        }
        return x;
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) { }
}
