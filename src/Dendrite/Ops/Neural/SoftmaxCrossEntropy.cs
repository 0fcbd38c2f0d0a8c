using Dendrite.Autograd;
using Dendrite.Tensors;

namespace Dendrite.Ops;

/// <summary>How a loss combines its per-sample values.</summary>
public enum Reduction
{
    /// <summary>The mean over samples (weighted by class weight where the loss has them).</summary>
    Mean,
    /// <summary>The sum over samples.</summary>
    Sum,
    /// <summary>One value per sample.</summary>
    None,
}

// Softmax cross-entropy fused on logits z [N, C] with class targets t. With p = softmax(z), label
// smoothing ε and class weights w (all 1 by default), per sample i:
//   loss_i = (1−ε)·w[t_i]·(−ln p[t_i]) + (ε/C)·Σ_c w_c·(−ln p_c)
//   d loss_i / d z_j = (1−ε)·w[t_i]·(p_j − [j = t_i]) + (ε/C)·(W·p_j − w_j),  W = Σ_c w_c
// Mean divides by Σ_i w[t_i] (N without weights), as PyTorch's cross_entropy does. Fusing avoids
// materialising log-probabilities and is exact where log(softmax) would underflow.

public static partial class TensorOps
{
    extension(Tensor logits)
    {
        /// <summary>
        /// Cross-entropy between softmax(<paramref name="logits"/>) [N, C] and integer class
        /// <paramref name="targets"/> (N of them, each in [0, C)), computed from the logits in one
        /// stable pass (as <c>torch.nn.functional.cross_entropy</c>).
        /// </summary>
        /// <param name="targets">Class index per sample.</param>
        /// <param name="reduction">Mean (default), sum, or one value per sample ([N]).</param>
        /// <param name="labelSmoothing">ε in [0, 1): the target puts 1 − ε on the class and ε/C on every class.</param>
        /// <param name="classWeights">Optional weight per class (C values); rare classes weighted up.</param>
        public Tensor SoftmaxCrossEntropy(ReadOnlySpan<int> targets, Reduction reduction = Reduction.Mean, float labelSmoothing = 0f, ReadOnlySpan<float> classWeights = default)
        {
            var (samples, classes) = logits.Shape.Dims2("SoftmaxCrossEntropy");
            if (targets.Length != samples)
                throw new ShapeMismatchException($"SoftmaxCrossEntropy: logits {logits.Shape} need {samples} targets; got {targets.Length}.");
            if (!(labelSmoothing >= 0f && labelSmoothing < 1f))
                throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"SoftmaxCrossEntropy: label smoothing must be in [0, 1); got {labelSmoothing}.");
            if (!classWeights.IsEmpty && classWeights.Length != classes)
                throw new ShapeMismatchException($"SoftmaxCrossEntropy: {classWeights.Length} class weights for logits {logits.Shape} with {classes} classes.");
            for (int i = 0; i < samples; i++)
                if ((uint)targets[i] >= (uint)classes)
                    throw new ArgumentOutOfRangeException(nameof(targets), $"SoftmaxCrossEntropy: target {targets[i]} of sample {i} is not a class in [0, {classes}) (logits {logits.Shape}).");

            Tensor z = logits.Contiguous();
            float[] probabilities = BufferPool.Rent(samples * classes);
            Span<float> p = probabilities.AsSpan(0, samples * classes);
            Tensor perSample = reduction == Reduction.None ? Tensor.Uninitialized(new Shape(samples)) : Tensor.Uninitialized(Shape.Scalar);
            Span<float> losses = perSample.Span;
            float weightTotal = 0f, totalClassWeight = 0f;
            if (!classWeights.IsEmpty) totalClassWeight = TensorPrimitives.Sum(classWeights);
            double sum = 0;
            ReadOnlySpan<float> zs = z.Span;
            for (int i = 0; i < samples; i++)
            {
                // One row: s = z − max z, e = exp(s), ln p = s − ln Σe, p = e / Σe, in whole-row vector passes.
                // The loss needs only ln p of the target (and Σ ln p with smoothing) and the backward needs p,
                // so this takes one exp pass where log-softmax followed by exp took two.
                ReadOnlySpan<float> row = zs.Slice(i * classes, classes);
                Span<float> values = p.Slice(i * classes, classes);
                TensorPrimitives.Subtract(row, TensorPrimitives.Max(row), values);
                float shiftedTarget = values[targets[i]];
                float smooth = 0f;
                if (labelSmoothing > 0f)
                    smooth = classWeights.IsEmpty ? -TensorPrimitives.Sum(values) : -TensorPrimitives.Dot(classWeights, values);
                TensorPrimitives.Exp(values, values);
                float total = TensorPrimitives.Sum(values), logTotal = MathF.Log(total);
                float w = classWeights.IsEmpty ? 1f : classWeights[targets[i]];
                weightTotal += w;
                float loss = (1f - labelSmoothing) * w * (logTotal - shiftedTarget);
                if (labelSmoothing > 0f)
                {
                    // −Σ_c w_c ln p_c = −Σ_c w_c s_c + W·ln Σe
                    smooth += (classWeights.IsEmpty ? classes : totalClassWeight) * logTotal;
                    loss += labelSmoothing / classes * smooth;
                }
                if (reduction == Reduction.None) losses[i] = loss;
                else sum += loss;
                TensorPrimitives.Multiply(values, 1f / total, values);
            }
            float scale = reduction == Reduction.Mean ? 1f / weightTotal : 1f;
            if (reduction != Reduction.None) losses[0] = (float)(sum * scale);

            if (GradMode.ShouldRecord(z))
            {
                var node = SoftmaxCrossEntropyNode.Rent();
                node.Input0 = z;
                node.Probabilities = probabilities;
                // Pooled nodes keep their arrays, so a fixed batch size allocates nothing here after warm-up.
                if (node.Targets.Length != samples) node.Targets = new int[samples];
                targets.CopyTo(node.Targets);
                if (classWeights.IsEmpty) node.Weights = null;
                else
                {
                    if (node.Weights is null || node.Weights.Length != classes) node.Weights = new float[classes];
                    classWeights.CopyTo(node.Weights);
                }
                node.WeightTotal = totalClassWeight;
                node.Smoothing = labelSmoothing;
                node.Scale = scale;
                node.PerSample = reduction == Reduction.None;
                GradMode.Attach(perSample, node);
            }
            else
            {
                BufferPool.Return(probabilities);
            }
            return perSample;
        }

        /// <summary>Cross-entropy with targets given as a tensor of class indices (integral float values, shape [N]).</summary>
        public Tensor SoftmaxCrossEntropy(Tensor targets, Reduction reduction = Reduction.Mean, float labelSmoothing = 0f, ReadOnlySpan<float> classWeights = default) =>
            logits.SoftmaxCrossEntropy(ClassIndices(targets, "SoftmaxCrossEntropy"), reduction, labelSmoothing, classWeights);
    }

    /// <summary>Integral float values as class indices, with a clear error for anything else.</summary>
    internal static int[] ClassIndices(Tensor targets, string operation)
    {
        if (targets.Rank != 1)
            throw new ShapeMismatchException($"{operation}: targets must be a 1-D tensor of class indices; got shape {targets.Shape}.");
        float[] values = targets.ToArray();
        var indices = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            indices[i] = (int)values[i];
            if (indices[i] != values[i])
                throw new ArgumentException($"{operation}: target {values[i]} at position {i} is not an integer class index.", nameof(targets));
        }
        return indices;
    }

    private sealed class SoftmaxCrossEntropyNode : Node<SoftmaxCrossEntropyNode>
    {
        public float[] Probabilities = [];
        public int[] Targets = [];
        public float[]? Weights;
        public float WeightTotal, Smoothing, Scale;
        public bool PerSample;

        public override string OperationName => "SoftmaxCrossEntropy";

        public override void Backward(Tensor output)
        {
            Tensor z = Input0;
            if (!Wants(z)) return;
            int samples = z.Shape[0], classes = z.Shape[1];
            ReadOnlySpan<float> g = output.GradientSpan;
            var writer = new GradientWriter(z);
            Span<float> d = writer.Destination;
            for (int i = 0; i < samples; i++)
            {
                float upstream = (PerSample ? g[i] : g[0]) * Scale;
                ReadOnlySpan<float> p = Probabilities.AsSpan(i * classes, classes);
                Span<float> row = d.Slice(i * classes, classes);
                int t = Targets[i];
                float w = Weights is null ? 1f : Weights[t];
                float main = (1f - Smoothing) * w * upstream;
                // row = main·(p − onehot) + (ε/C)·upstream·(W·p − w)
                float smoothing = Smoothing / classes * upstream;
                float pCoefficient = main + smoothing * (Weights is null ? classes : WeightTotal);
                TensorPrimitives.Multiply(p, pCoefficient, row);
                row[t] -= main;
                if (Smoothing > 0f)
                {
                    if (Weights is null) TensorPrimitives.Subtract(row, smoothing, row);
                    else TensorPrimitives.MultiplyAdd(Weights, -smoothing, row, row);
                }
            }
            writer.Commit();
        }

        protected override void ClearState()
        {
            if (Probabilities.Length > 0) BufferPool.Return(Probabilities);
            Probabilities = [];
        }
    }
}
