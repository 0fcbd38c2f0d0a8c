namespace Dendrite.Ops;

/// <summary>
/// An activation that an op applies to its own output instead of recording a separate element-wise
/// op (see <c>Linear(weight, bias, activation)</c>): same values and gradients, one pass and one
/// graph node fewer.
/// </summary>
public enum FusedActivation
{
    /// <summary>No activation: the op's plain output.</summary>
    None,

    /// <summary>max(0, z), as <c>Relu()</c> computes it; its gradient passes where the output is positive.</summary>
    Relu,
}
