using Dendrite.Tensors;

namespace Dendrite.Data;

/// <summary>
/// A per-feature transform with parameters learnt from data (a scaler): fit it on the training split
/// only, then apply the same parameters to every split, so no statistic of the validation or test data
/// leaks into training.
/// </summary>
/// <remarks>
/// "Per feature" means per element of a sample: each column of [N, d] features, each pixel of
/// [N, 1, 28, 28] images. The parameters are exposed as named tensors of the sample's shape
/// (<see cref="GetState"/>), ready to be saved with the model and restored with <see cref="SetState"/>.
/// </remarks>
public interface IFeatureTransform
{
    /// <summary>Whether <c>Fit</c> or <see cref="SetState"/> has given the transform its parameters.</summary>
    bool IsFitted { get; }

    /// <summary>Learns the parameters from <paramref name="features"/> [N, ...] (N ≥ 1) and returns this transform.</summary>
    IFeatureTransform Fit(Tensor features);

    /// <summary>Applies the fitted parameters: a new tensor of the shape of <paramref name="features"/> [M, ...] (any M).</summary>
    Tensor Transform(Tensor features);

    /// <summary>Undoes <see cref="Transform"/> (up to float rounding): a new tensor of the same shape.</summary>
    Tensor Inverse(Tensor features);

    /// <summary>The fitted parameters by name, each a copy shaped as one sample.</summary>
    IReadOnlyDictionary<string, Tensor> GetState();

    /// <summary>Restores parameters saved by <see cref="GetState"/>.</summary>
    void SetState(IReadOnlyDictionary<string, Tensor> state);
}
