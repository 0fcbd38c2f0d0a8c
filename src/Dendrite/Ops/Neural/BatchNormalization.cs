using Dendrite.Autograd;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// Batch normalisation over axis 1 of x [N, C, S...] (S the spatial positions, possibly none), fused:
// one pass for the statistics and one for the output, instead of ten element-wise ops. Per channel,
// over its M = N·S values:
//   training: μ = Σx/M, σ² = Σ(x − μ)²/M (biased), x̂ = (x − μ)/√(σ² + ε), y = γ·x̂ + β
//   evaluation: the running mean and variance in place of μ and σ²
// Backward, with r = 1/√(σ² + ε):
//   dβ = Σ dy    dγ = Σ dy·x̂
//   training:   dx = γ·r/M · (M·dy − Σdy − x̂·Σ(dy·x̂))   (μ and σ² depend on x)
//   evaluation: dx = γ·r·dy

public static partial class TensorOps
{
    extension(Tensor input)
    {
        /// <summary>
        /// Batch normalisation of <paramref name="input"/> [N, C, ...] per channel (axis 1). In training
        /// mode the batch statistics are used and the running ones updated in place,
        /// r ← (1 − momentum)·r + momentum·batch, with the unbiased variance M/(M − 1)·σ² as PyTorch does;
        /// in evaluation mode the running statistics are used. <paramref name="weight"/> (γ) and
        /// <paramref name="bias"/> (β) are [C] or null.
        /// </summary>
        public Tensor BatchNorm(Tensor runningMean, Tensor runningVariance, Tensor? weight, Tensor? bias, bool training, float momentum = 0.1f, float epsilon = 1e-5f)
        {
            if (input.Rank < 2) throw new ShapeMismatchException($"BatchNorm needs [N, C, ...]; got {input.Shape}.");
            int batch = input.Shape[0], channels = input.Shape[1], positions = input.Shape.Product(2, input.Rank);
            foreach (var (name, t) in new[] { ("running mean", runningMean), ("running variance", runningVariance), ("weight", weight), ("bias", bias) })
                if (t is not null && (t.Rank != 1 || t.Shape[0] != channels))
                    throw new ShapeMismatchException($"BatchNorm: the {name} has shape {t.Shape}; input {input.Shape} has {channels} channels, so it must be [{channels}].");
            int count = batch * positions;
            if (training && count < 2)
                throw new ShapeMismatchException($"BatchNorm in training mode needs more than one value per channel to estimate a variance; got input {input.Shape}.");
            Tensor x = input.Contiguous();
            Tensor? gamma = weight?.Contiguous(), beta = bias?.Contiguous();
            ReadOnlySpan<float> xs = x.Span;
            var mean = new float[channels];
            var inverse = new float[channels];
            if (training)
            {
                var variance = new double[channels];
                var sum = new double[channels];
                ChannelSums(xs, batch, channels, positions, sum, null, null);
                for (int c = 0; c < channels; c++) mean[c] = (float)(sum[c] / count);
                ChannelSums(xs, batch, channels, positions, variance, mean, null);
                Span<float> rm = runningMean.Data, rv = runningVariance.Data;
                for (int c = 0; c < channels; c++)
                {
                    double biased = variance[c] / count;
                    inverse[c] = (float)(1.0 / Math.Sqrt(biased + epsilon));
                    rm[c] = (1f - momentum) * rm[c] + momentum * mean[c];
                    rv[c] = (1f - momentum) * rv[c] + momentum * (float)(biased * count / (count - 1));
                }
            }
            else
            {
                ReadOnlySpan<float> rm = runningMean.Data, rv = runningVariance.Data;
                for (int c = 0; c < channels; c++)
                {
                    mean[c] = rm[c];
                    inverse[c] = 1f / MathF.Sqrt(rv[c] + epsilon);
                }
            }

            Tensor output = Tensor.Uninitialized(x.Shape);
            Span<float> ys = output.Span;
            ReadOnlySpan<float> g = gamma is null ? default : gamma.Span, b = beta is null ? default : beta.Span;
            for (int n = 0; n < batch; n++)
                for (int c = 0; c < channels; c++)
                {
                    float scale = inverse[c] * (g.IsEmpty ? 1f : g[c]);
                    float shift = (b.IsEmpty ? 0f : b[c]) - mean[c] * scale;
                    int at = (n * channels + c) * positions;
                    // y = x·scale + shift = γ·(x − μ)·r + β
                    Span<float> row = ys.Slice(at, positions);
                    TensorPrimitives.Multiply(xs.Slice(at, positions), scale, row);
                    TensorPrimitives.Add(row, shift, row);
                }
            if (GradMode.ShouldRecord(x, gamma, beta))
            {
                var node = BatchNormNode.Rent();
                node.Input0 = x;
                node.Input1 = gamma;
                node.Input2 = beta;
                node.Mean = mean;
                node.Inverse = inverse;
                node.Training = training;
                GradMode.Attach(output, node);
            }
            return output;
        }
    }

    /// <summary>sums[c] += Σ over channel c of x (or of (x − centre[c])² when a centre is given, or of x·other when other is given).</summary>
    private static void ChannelSums(ReadOnlySpan<float> x, int batch, int channels, int positions, double[] sums, float[]? centre, ReadOnlySpan<float> other)
    {
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
            {
                int at = (n * channels + c) * positions;
                ReadOnlySpan<float> row = x.Slice(at, positions);
                if (centre is not null)
                {
                    float mu = centre[c];
                    double s = 0;
                    for (int i = 0; i < row.Length; i++)
                    {
                        float d = row[i] - mu;
                        s += d * d;
                    }
                    sums[c] += s;
                }
                else if (!other.IsEmpty)
                {
                    sums[c] += TensorPrimitives.Dot(row, other.Slice(at, positions));
                }
                else
                {
                    sums[c] += TensorPrimitives.Sum(row);
                }
            }
    }

    private sealed class BatchNormNode : Node<BatchNormNode>
    {
        public float[] Mean = [], Inverse = [];
        public bool Training;

        public override string OperationName => "BatchNorm";

        public override void Backward(Tensor output)
        {
            Tensor x = Input0;
            Tensor? gamma = Input1, beta = Input2;
            int batch = x.Shape[0], channels = x.Shape[1], positions = x.Shape.Product(2, x.Rank);
            int count = batch * positions;
            ReadOnlySpan<float> xs = x.Span, dy = output.GradientSpan;
            // Σ dy and Σ dy·(x − μ) per channel; Σ dy·x̂ = r·Σ dy·(x − μ).
            var sumDy = new double[channels];
            var sumDyCentred = new double[channels];
            ChannelSums(dy, batch, channels, positions, sumDy, null, null);
            ChannelSums(xs, batch, channels, positions, sumDyCentred, null, dy);
            for (int c = 0; c < channels; c++) sumDyCentred[c] -= Mean[c] * sumDy[c];
            if (Wants(beta))
            {
                Span<float> target = beta!.GradientTarget(out bool accumulate);
                for (int c = 0; c < channels; c++) target[c] = (accumulate ? target[c] : 0f) + (float)sumDy[c];
            }
            if (Wants(gamma))
            {
                Span<float> target = gamma!.GradientTarget(out bool accumulate);
                for (int c = 0; c < channels; c++) target[c] = (accumulate ? target[c] : 0f) + (float)(sumDyCentred[c] * Inverse[c]);
            }
            if (!Wants(x)) return;
            ReadOnlySpan<float> g = gamma is null ? default : gamma.Span;
            var writer = new GradientWriter(x);
            Span<float> dx = writer.Destination;
            for (int n = 0; n < batch; n++)
                for (int c = 0; c < channels; c++)
                {
                    int at = (n * channels + c) * positions;
                    float r = Inverse[c], gr = r * (g.IsEmpty ? 1f : g[c]);
                    ReadOnlySpan<float> dyRow = dy.Slice(at, positions), xRow = xs.Slice(at, positions);
                    Span<float> dxRow = dx.Slice(at, positions);
                    if (!Training)
                    {
                        TensorPrimitives.Multiply(dyRow, gr, dxRow);
                        continue;
                    }
                    // dx = γ·r·(dy − Σdy/M − x̂·Σ(dy·x̂)/M) with x̂ = (x − μ)·r
                    float meanDy = (float)(sumDy[c] / count);
                    float k = (float)(sumDyCentred[c] * r * r / count);
                    float mu = Mean[c];
                    for (int i = 0; i < positions; i++)
                        dxRow[i] = gr * (dyRow[i] - meanDy - (xRow[i] - mu) * k);
                }
            writer.Commit();
        }

        protected override void ClearState()
        {
            Mean = [];
            Inverse = [];
        }
    }
}
