using Dendrite.Autograd;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// Negative log-likelihood on log-probabilities lp [N, C] with class targets t:
//   loss = −(1/N)·Σ_i lp[i, t_i]               d loss / d lp[i, j] = −[j = t_i] / N
// Binary cross-entropy on logits z with targets y ∈ [0, 1], in the stable form
//   loss = max(z, 0) − z·y + ln(1 + e^−|z|)   d loss / d z = σ(z) − y
// Binary cross-entropy on probabilities p (logs clamped at −100, as PyTorch):
//   loss = −(y·ln p + (1 − y)·ln(1 − p))       d loss / d p = (p − y) / (p·(1 − p))

public static partial class TensorOps
{
    extension(Tensor logProbabilities)
    {
        /// <summary>
        /// Negative log-likelihood of integer class <paramref name="targets"/> under log-probabilities [N, C]
        /// (as <c>torch.nn.functional.nll_loss</c>): −Σ_i w[t_i]·lp[i, t_i], divided by Σ_i w[t_i] for the mean;
        /// the class weights w are all 1 unless given.
        /// </summary>
        public Tensor NllLoss(ReadOnlySpan<int> targets, Reduction reduction = Reduction.Mean, ReadOnlySpan<float> classWeights = default)
        {
            var (samples, classes) = logProbabilities.Shape.Dims2("NllLoss");
            if (targets.Length != samples)
                throw new ShapeMismatchException($"NllLoss: log-probabilities {logProbabilities.Shape} need {samples} targets; got {targets.Length}.");
            var index = new float[samples];
            for (int i = 0; i < samples; i++)
            {
                if ((uint)targets[i] >= (uint)classes)
                    throw new ArgumentOutOfRangeException(nameof(targets), $"NllLoss: target {targets[i]} of sample {i} is not a class in [0, {classes}).");
                index[i] = targets[i];
            }
            Tensor picked = logProbabilities.Gather(1, Tensor.Wrap(index, new Shape(samples, 1))).Reshape(samples);
            if (classWeights.IsEmpty) return Reduce(-picked, reduction);
            if (classWeights.Length != classes)
                throw new ShapeMismatchException($"NllLoss: {classWeights.Length} class weights for log-probabilities {logProbabilities.Shape} with {classes} classes.");
            var perSample = new float[samples];
            for (int i = 0; i < samples; i++) perSample[i] = classWeights[targets[i]];
            Tensor weighted = -picked * Tensor.Wrap(perSample, new Shape(samples));
            return reduction == Reduction.Mean ? weighted.Sum() * (1f / perSample.Sum()) : Reduce(weighted, reduction);
        }

        /// <summary>Negative log-likelihood with targets as a tensor of class indices.</summary>
        public Tensor NllLoss(Tensor targets, Reduction reduction = Reduction.Mean, ReadOnlySpan<float> classWeights = default) =>
            logProbabilities.NllLoss(ClassIndices(targets, "NllLoss"), reduction, classWeights);
    }

    extension(Tensor logits)
    {
        /// <summary>
        /// Binary cross-entropy between sigmoid(<paramref name="logits"/>) and <paramref name="targets"/> in [0, 1]
        /// of the same shape, computed stably from the logits (as <c>binary_cross_entropy_with_logits</c>).
        /// </summary>
        public Tensor BinaryCrossEntropyWithLogits(Tensor targets, Reduction reduction = Reduction.Mean)
        {
            if (logits.Shape != targets.Shape)
                throw new ShapeMismatchException($"BinaryCrossEntropyWithLogits: logits {logits.Shape} and targets {targets.Shape} must have the same shape.");
            Tensor z = logits.Contiguous(), y = targets.Contiguous();
            Tensor losses = Tensor.Uninitialized(z.Shape);
            Span<float> zs = z.Span, ys = y.Span, l = losses.Span;
            for (int i = 0; i < l.Length; i++)
                l[i] = MathF.Max(zs[i], 0f) - zs[i] * ys[i] + MathF.Log(1f + MathF.Exp(-MathF.Abs(zs[i])));
            if (GradMode.ShouldRecord(z, y))
            {
                var node = BinaryCrossEntropyNode.Rent();
                node.Input0 = z;
                node.Input1 = y;
                node.FromLogits = true;
                GradMode.Attach(losses, node);
            }
            return Reduce(losses, reduction);
        }
    }

    extension(Tensor probabilities)
    {
        /// <summary>
        /// Binary cross-entropy between <paramref name="probabilities"/> in (0, 1) and <paramref name="targets"/>
        /// of the same shape; the logarithms are clamped at −100 so that p = 0 or 1 gives a finite loss (as PyTorch).
        /// </summary>
        public Tensor BinaryCrossEntropy(Tensor targets, Reduction reduction = Reduction.Mean)
        {
            if (probabilities.Shape != targets.Shape)
                throw new ShapeMismatchException($"BinaryCrossEntropy: probabilities {probabilities.Shape} and targets {targets.Shape} must have the same shape.");
            Tensor p = probabilities.Contiguous(), y = targets.Contiguous();
            Tensor losses = Tensor.Uninitialized(p.Shape);
            Span<float> ps = p.Span, ys = y.Span, l = losses.Span;
            for (int i = 0; i < l.Length; i++)
            {
                if (!(ps[i] >= 0f && ps[i] <= 1f))
                    throw new ArgumentOutOfRangeException(nameof(probabilities), $"BinaryCrossEntropy: input {ps[i]} at element {i} is not a probability in [0, 1]; use BinaryCrossEntropyWithLogits on raw scores.");
                l[i] = -(ys[i] * MathF.Max(MathF.Log(ps[i]), -100f) + (1f - ys[i]) * MathF.Max(MathF.Log(1f - ps[i]), -100f));
            }
            if (GradMode.ShouldRecord(p, y))
            {
                var node = BinaryCrossEntropyNode.Rent();
                node.Input0 = p;
                node.Input1 = y;
                node.FromLogits = false;
                GradMode.Attach(losses, node);
            }
            return Reduce(losses, reduction);
        }
    }

    /// <summary>Applies a loss reduction to per-element losses.</summary>
    internal static Tensor Reduce(Tensor losses, Reduction reduction) => reduction switch
    {
        Reduction.Mean => losses.Mean(),
        Reduction.Sum => losses.Sum(),
        _ => losses,
    };

    private sealed class BinaryCrossEntropyNode : Node<BinaryCrossEntropyNode>
    {
        public bool FromLogits;

        public override string OperationName => FromLogits ? "BinaryCrossEntropyWithLogits" : "BinaryCrossEntropy";

        public override void Backward(Tensor output)
        {
            Tensor x = Input0, y = Input1!;
            ReadOnlySpan<float> g = output.GradientSpan, xs = x.Span, ys = y.Span;
            if (Wants(x))
            {
                var writer = new GradientWriter(x);
                Span<float> d = writer.Destination;
                for (int i = 0; i < d.Length; i++)
                {
                    if (FromLogits)
                    {
                        d[i] = g[i] * (1f / (1f + MathF.Exp(-xs[i])) - ys[i]);
                    }
                    else
                    {
                        // PyTorch clamps the denominator at 1e-12 so p = 0 or 1 stays finite.
                        float p = xs[i];
                        d[i] = g[i] * (p - ys[i]) / MathF.Max(p * (1f - p), 1e-12f);
                    }
                }
                writer.Commit();
            }
            if (Wants(y))
            {
                // d/dy: from logits −z; from probabilities ln(1 − p) − ln p.
                var writer = new GradientWriter(y);
                Span<float> d = writer.Destination;
                for (int i = 0; i < d.Length; i++)
                    d[i] = FromLogits ? -g[i] * xs[i] : g[i] * (MathF.Max(MathF.Log(1f - xs[i]), -100f) - MathF.Max(MathF.Log(xs[i]), -100f));
                writer.Commit();
            }
        }
    }
}
