namespace Dendrite.Tensors;

/// <summary>
/// What a tensor knows of the operation that produced it: enough for the autograd engine (one layer
/// up, in <c>Dendrite.Autograd</c>) to walk the graph. Declared here so that <see cref="Tensor"/>
/// can hold it without depending on the layer above.
/// </summary>
internal interface IGradientNode
{
    /// <summary>The operation's name, for error messages (<c>MatMul</c>, <c>Relu</c>).</summary>
    string OperationName { get; }

    /// <summary>Number of tensor inputs the node depends on.</summary>
    int InputCount { get; }

    /// <summary>Input <paramref name="index"/> (0 ≤ index &lt; <see cref="InputCount"/>).</summary>
    Tensor GetInput(int index);

    /// <summary>Adds d(loss)/d(input) into every input that requires a gradient, given d(loss)/d(output) in <paramref name="output"/>'s gradient buffer.</summary>
    void Backward(Tensor output);

    /// <summary>Drops references and returns pooled buffers after the backward pass; the node may be reused.</summary>
    void Release();
}
