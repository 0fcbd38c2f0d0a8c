namespace Dendrite.Data;

/// <summary>
/// Batches for training, one epoch per enumeration, whose epoch size is known before the epoch
/// starts: what <c>Trainer.Fit(IBatchSource, ...)</c> consumes. <see cref="DataLoader"/> (every sample
/// once per epoch) and <see cref="PrioritySampler"/> (a set share of every batch from a
/// high-priority pool) are the two in the library.
/// </summary>
public interface IBatchSource : IEnumerable<Batch>
{
    /// <summary>Batches one enumeration yields.</summary>
    int BatchesPerEpoch { get; }

    /// <summary>Samples one enumeration yields, summed over its batches.</summary>
    int SamplesPerEpoch { get; }
}
