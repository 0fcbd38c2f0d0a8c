using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.Autograd;
using Dendrite.NN.Layers;
using Dendrite.Tensors;

namespace Dendrite.NN;

/// <summary>
/// Modules applied one after another, each to the previous one's output; children are named
/// "0", "1", ... (as PyTorch's <c>nn.Sequential</c>), so parameters are <c>0.weight</c>, <c>2.bias</c>.
/// </summary>
/// <remarks>
/// An <see cref="Embedding"/> directly followed by an <see cref="Lstm"/> runs as
/// <see cref="Lstm.Forward(Embedding, Tensor, RecurrentState?)"/> when the vocabulary has at most half
/// as many rows as the batch has tokens (a character model): the same function and gradients up to
/// float rounding, with the input projection done per table row instead of per token.
/// </remarks>
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
        for (int i = 0; i < _layers.Count; i++)
        {
            Tensor y;
            if (_layers[i] is Embedding embedding && i + 1 < _layers.Count && _layers[i + 1] is Lstm lstm
                && SummaryRecorder.Current is null && lstm.ReadsTokensFasterThanEmbedded(embedding, x))
            {
                // The same function with fewer multiply-adds: the LSTM projects the table's V rows once
                // instead of each of the batch·time embedded tokens. A summary needs the embedding's own
                // output, so it sees the layers one by one.
                y = lstm.Forward(embedding, x, null).Output;
                i++;
            }
            else y = Run(_layers[i], x);
            ReleaseConsumed(input, y, x);
            x = y;
        }
        return x;
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) { }
}
