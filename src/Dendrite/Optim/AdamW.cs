using Dendrite.NN;

namespace Dendrite.Optim;

/// <summary>
/// AdamW (Loshchilov and Hutter 2019, "Decoupled Weight Decay Regularization"), as
/// <c>torch.optim.AdamW</c>: Adam whose weight decay shrinks the weights directly instead of
/// passing through the adaptive scaling.
/// </summary>
/// <remarks>
/// w ← w·(1 − α·λ); then the <see cref="Adam"/> update with the raw gradient:
/// m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²; w ← w − α/(1 − β1^t) · m / (√v̂ / √(1 − β2^t) + ε).
/// </remarks>
public sealed class AdamW : Adam
{
    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters to train (at least one).</param>
    /// <param name="learningRate">α (≥ 0).</param>
    /// <param name="beta1">β1 in [0, 1).</param>
    /// <param name="beta2">β2 in [0, 1).</param>
    /// <param name="epsilon">ε (&gt; 0).</param>
    /// <param name="weightDecay">λ (≥ 0), decoupled: w ← w·(1 − α·λ) before each update (PyTorch's default 0.01).</param>
    /// <param name="amsgrad">Use the running maximum of v (AMSGrad).</param>
    public AdamW(IEnumerable<Parameter> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float epsilon = 1e-8f, float weightDecay = 0.01f, bool amsgrad = false)
        : base(parameters, learningRate, beta1, beta2, epsilon, weightDecay, amsgrad)
    {
        DecoupledWeightDecay = true;
    }
}
