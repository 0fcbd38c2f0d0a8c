namespace Dendrite.Data;

/// <summary>What a data set's targets are: class indices or real values.</summary>
public enum PredictionTask
{
    /// <summary>Targets are class indices 0..k-1, stored as float values in a tensor of shape [N].</summary>
    Classification,

    /// <summary>Targets are real values, in a tensor of shape [N, k] (k = 1 for a single target).</summary>
    Regression,
}
