using TorchSharp;
using static TorchSharp.torch;

namespace Dendrite.Parity.Generator;

/// <summary>
/// One layer case: a torch module built under the case seed, its parameters recorded, then run forward
/// and backward on random inputs. A row of a layer table (Cases/Layers.cs and the files beside it);
/// <see cref="LayerRunner"/> turns it into tests/reference/layers/&lt;name&gt;.json.
/// </summary>
/// <param name="Name">File name without extension; also seeds the draws. Unique across every family.</param>
/// <param name="Layer">torch's class name (<c>Linear</c>, <c>BatchNorm1d</c>, <c>MSELoss</c>) or, for a function, its name.</param>
/// <param name="Description">The construction and the call in torch notation, with shapes.</param>
/// <param name="Build">Constructs the module (torch's default init draws from the seeded generator); null for a function.</param>
/// <param name="Inputs">How to draw each input, in the call's argument order.</param>
/// <param name="Forward">Calls the module (null for a function) on the inputs; returns the outputs in order.</param>
sealed record LayerCase(string Name, string Layer, string Description, Func<nn.Module>? Build, In[] Inputs, Func<nn.Module?, Tensor[], Tensor[]> Forward)
{
    /// <summary>Constructor arguments (torch's names) and non-tensor call arguments, in file order. "training" is added by the runner.</summary>
    public (string Key, object? Value)[] Attributes { get; init; } = [];

    /// <summary>torch's name of each input, e.g. query, key, value, key_padding_mask.</summary>
    public string[] InputNames { get; init; } = ["input"];

    /// <summary>A name for each output, e.g. output, h_n, c_n.</summary>
    public string[] OutputNames { get; init; } = ["output"];

    /// <summary>module.train(Training) before the forward; false is eval mode.</summary>
    public bool Training { get; init; } = true;

    /// <summary>Outputs compared forward only: no upstream gradient (null in grad_outputs).</summary>
    public int[] ForwardOnlyOutputs { get; init; } = [];

    /// <summary>Rejects draws too close to a kink or a tie (see <see cref="OpCase.Accept"/>).</summary>
    public Func<Tensor[], bool>? Accept { get; init; }

    /// <summary>
    /// Runs under no_grad after <see cref="Build"/> and <see cref="LayerRunner.RedrawConstants"/> (which
    /// every case gets), before anything is recorded: e.g. to set a mask-free state.
    /// </summary>
    public Action<nn.Module>? Setup { get; init; }
}
