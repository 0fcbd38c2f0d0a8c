using Dendrite.Tensors;

namespace Dendrite.Data;

/// <summary>One mini-batch handed out by a <see cref="DataLoader"/>.</summary>
/// <param name="Features">Shape [b, ...]: the batch's rows of the data set's features (a new tensor the consumer may keep).</param>
/// <param name="Targets">Shape [b] (class indices as floats) or [b, k] (regression).</param>
/// <param name="Index">The batch's position within its epoch, 0 .. <see cref="DataLoader.BatchesPerEpoch"/> - 1.</param>
public sealed record Batch(Tensor Features, Tensor Targets, int Index)
{
    /// <summary>Number of samples b in the batch (the last batch of an epoch may be smaller than the loader's batch size).</summary>
    public int Size => Features.Shape[0];

    /// <summary>The data set rows the batch was gathered from, in batch order.</summary>
    public ReadOnlyMemory<int> SampleIndices { get; init; }
}
