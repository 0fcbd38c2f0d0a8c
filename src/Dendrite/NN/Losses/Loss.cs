using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Losses;

/// <summary>
/// A loss function: a scalar (or, with <see cref="Reduction.None"/>, a per-sample tensor) measuring
/// how far predictions are from targets, differentiable with respect to the predictions.
/// </summary>
public abstract class Loss
{
    /// <summary>Creates the loss with the given reduction.</summary>
    protected Loss(Reduction reduction) => Reduction = reduction;

    /// <summary>How per-element losses combine: mean (default), sum, or none.</summary>
    public Reduction Reduction { get; }

    /// <summary>The loss's name, e.g. <c>mse</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The loss of <paramref name="prediction"/> against <paramref name="target"/>.</summary>
    public abstract Tensor Compute(Tensor prediction, Tensor target);

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>Throws a clear error when prediction and target shapes differ.</summary>
    protected void RequireSameShape(Tensor prediction, Tensor target)
    {
        if (prediction.Shape != target.Shape)
            throw new ShapeMismatchException($"{GetType().Name}: prediction {prediction.Shape} and target {target.Shape} must have the same shape.");
    }

    /// <summary>Reduces per-element losses.</summary>
    protected Tensor Reduce(Tensor losses) => Reduction switch
    {
        Reduction.Mean => losses.Mean(),
        Reduction.Sum => losses.Sum(),
        _ => losses,
    };
}

/// <summary>
/// Squared error. With the defaults, the mean over elements (1/n)·Σ(y − t)² (PyTorch's MSELoss);
/// <c>half: true</c> gives the seeds' ½ convention, so <c>new MeanSquaredError(half: true,
/// reduction: Reduction.Sum)</c> is E = ½·Σ(t − y)², whose gradient is simply (y − t).
/// </summary>
public sealed class MeanSquaredError(bool half = false, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>Whether the squared errors are halved.</summary>
    public bool Half { get; } = half;

    /// <inheritdoc/>
    public override string Name => Half ? "half_mse" : "mse";

    /// <inheritdoc/>
    public override Tensor Compute(Tensor prediction, Tensor target)
    {
        RequireSameShape(prediction, target);
        Tensor squared = (prediction - target).Square();
        return Reduce(Half ? squared * 0.5f : squared);
    }
}

/// <summary>Absolute error |y − t|, averaged by default (PyTorch's L1Loss).</summary>
public sealed class MeanAbsoluteError(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override string Name => "mae";

    /// <inheritdoc/>
    public override Tensor Compute(Tensor prediction, Tensor target)
    {
        RequireSameShape(prediction, target);
        return Reduce((prediction - target).Abs());
    }
}

/// <summary>
/// Huber loss with threshold δ: ½r² where |r| ≤ δ, else δ·(|r| − ½δ), r = y − t; quadratic near
/// zero and linear for outliers (PyTorch's HuberLoss).
/// </summary>
public sealed class Huber : Loss
{
    /// <summary>Creates the loss.</summary>
    public Huber(float delta = 1f, Reduction reduction = Reduction.Mean) : base(reduction)
    {
        if (!(delta > 0f)) throw new ArgumentOutOfRangeException(nameof(delta), $"Huber: δ must be positive; got {delta}.");
        Delta = delta;
    }

    /// <summary>δ, where the loss turns from quadratic to linear.</summary>
    public float Delta { get; }

    /// <inheritdoc/>
    public override string Name => "huber";

    /// <inheritdoc/>
    public override Tensor Compute(Tensor prediction, Tensor target)
    {
        RequireSameShape(prediction, target);
        Tensor residual = prediction - target;
        Tensor absolute = residual.Abs();
        Tensor quadratic = residual.Square() * 0.5f;
        Tensor linear = (absolute - 0.5f * Delta) * Delta;
        return Reduce(TensorOps.Where(absolute.LessOrEqual(Tensor.Scalar(Delta)), quadratic, linear));
    }
}

/// <summary>
/// Binary cross-entropy −[t·ln y + (1 − t)·ln(1 − y)] for targets in [0, 1]. With
/// <c>fromLogits: true</c> (recommended) the predictions are raw scores and the sigmoid is fused
/// in, stably; otherwise they are probabilities.
/// </summary>
public sealed class BinaryCrossEntropy(bool fromLogits = false, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>Whether predictions are logits rather than probabilities.</summary>
    public bool FromLogits { get; } = fromLogits;

    /// <inheritdoc/>
    public override string Name => FromLogits ? "binary_cross_entropy_with_logits" : "binary_cross_entropy";

    /// <inheritdoc/>
    public override Tensor Compute(Tensor prediction, Tensor target)
    {
        RequireSameShape(prediction, target);
        return FromLogits ? prediction.BinaryCrossEntropyWithLogits(target, Reduction) : prediction.BinaryCrossEntropy(target, Reduction);
    }
}

/// <summary>
/// Categorical cross-entropy on logits [N, C] (softmax fused in, as PyTorch's CrossEntropyLoss).
/// Targets are class indices [N] (integral values), or class probabilities [N, C] (soft or one-hot
/// targets: −Σ_c t_c·ln softmax(y)_c). Optional label smoothing ε and class weights.
/// </summary>
public sealed class CrossEntropy : Loss
{
    private readonly float[]? _classWeights;

    /// <summary>Creates the loss.</summary>
    public CrossEntropy(float labelSmoothing = 0f, float[]? classWeights = null, Reduction reduction = Reduction.Mean) : base(reduction)
    {
        if (!(labelSmoothing >= 0f && labelSmoothing < 1f))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"CrossEntropy: label smoothing must be in [0, 1); got {labelSmoothing}.");
        LabelSmoothing = labelSmoothing;
        _classWeights = classWeights?.ToArray();
    }

    /// <summary>ε: the target puts 1 − ε on the true class and ε/C on every class.</summary>
    public float LabelSmoothing { get; }

    /// <summary>Weight per class, or null.</summary>
    public IReadOnlyList<float>? ClassWeights => _classWeights;

    /// <inheritdoc/>
    public override string Name => "cross_entropy";

    /// <inheritdoc/>
    public override Tensor Compute(Tensor prediction, Tensor target)
    {
        if (target.Rank == 2)
        {
            if (target.Shape != prediction.Shape)
                throw new ShapeMismatchException($"CrossEntropy: logits {prediction.Shape} and probability targets {target.Shape} must have the same shape (or give class indices [N]).");
            Tensor perSample = -(target * prediction.LogSoftmax(-1)).Sum(-1);
            return Reduce(perSample);
        }
        if (target.Rank != 1 || prediction.Rank != 2 || target.Shape[0] != prediction.Shape[0])
            throw new ShapeMismatchException($"CrossEntropy: logits {prediction.Shape} need class-index targets [{(prediction.Rank > 0 ? prediction.Shape[0] : 0)}] or probabilities of the same shape; got targets {target.Shape}.");
        return prediction.SoftmaxCrossEntropy(target, Reduction, LabelSmoothing, _classWeights);
    }
}

/// <summary>Negative log-likelihood on log-probabilities [N, C] with class-index targets [N] (pair with a <c>LogSoftmax</c> output), optionally class-weighted.</summary>
public sealed class NegativeLogLikelihood(Reduction reduction = Reduction.Mean, float[]? classWeights = null) : Loss(reduction)
{
    private readonly float[]? _classWeights = classWeights?.ToArray();

    /// <inheritdoc/>
    public override string Name => "nll";

    /// <inheritdoc/>
    public override Tensor Compute(Tensor prediction, Tensor target) => prediction.NllLoss(target, Reduction, _classWeights);
}

/// <summary>
/// The contrastive margin loss for pairs (Hadsell, Chopra and LeCun 2006), as the seeds give it: for
/// a pair with squared embedding distance d² = ‖f(x) − f(x')‖², the loss is d² for a similar pair
/// and max(0, M − d²) for a dissimilar one, M the margin.
/// </summary>
public sealed class ContrastiveLoss : Loss
{
    /// <summary>Creates the loss with margin M.</summary>
    public ContrastiveLoss(float margin = 1f, Reduction reduction = Reduction.Mean) : base(reduction)
    {
        if (!(margin > 0f)) throw new ArgumentOutOfRangeException(nameof(margin), $"ContrastiveLoss: the margin must be positive; got {margin}.");
        Margin = margin;
    }

    /// <summary>M.</summary>
    public float Margin { get; }

    /// <inheritdoc/>
    public override string Name => "contrastive";

    /// <summary>The loss from squared distances [N] (<paramref name="prediction"/>) and similarity labels [N] (1 similar, 0 dissimilar).</summary>
    public override Tensor Compute(Tensor prediction, Tensor target)
    {
        RequireSameShape(prediction, target);
        Tensor dissimilar = (Margin - prediction).Relu();
        return Reduce(target * prediction + (1f - target) * dissimilar);
    }

    /// <summary>The loss of embedding pairs <paramref name="first"/>, <paramref name="second"/> [N, D] with similarity labels [N].</summary>
    public Tensor Compute(Tensor first, Tensor second, Tensor similar)
    {
        if (first.Shape != second.Shape || first.Rank != 2)
            throw new ShapeMismatchException($"ContrastiveLoss: embeddings {first.Shape} and {second.Shape} must both be [N, D].");
        if (similar.Rank != 1 || similar.Shape[0] != first.Shape[0])
            throw new ShapeMismatchException($"ContrastiveLoss: {first.Shape[0]} pairs need {first.Shape[0]} similarity labels; got {similar.Shape}.");
        return Compute((first - second).Square().Sum(1), similar);
    }
}
