using Dendrite.Tensors;
using Dendrite.Training.Metrics;

namespace Dendrite.Techniques.Classic;

/// <summary>
/// ±1 target coding for classification with tanh output units and a squared-error loss, as the seeds
/// train classifiers: class c of C becomes the vector with +m at position c and −m elsewhere (one
/// output per class), or, for two classes with a single output, +m for class 1 and −m for class 0.
/// The prediction is the output with the largest value (or the sign of the single output).
/// </summary>
/// <remarks>
/// <para>Symmetric targets suit the symmetric tanh: they are centred like the outputs, so no output's
/// bias has to drift towards a target mean of 1/C as with 0/1 coding. m = 1 puts the targets at
/// tanh's asymptotes: the weights keep growing slowly as the outputs approach them; LeCun et al.
/// ("Efficient BackProp") advise either m ≈ 0.9 with plain tanh, or m = 1 with the scaled
/// 1.7159·tanh(2x/3) (<c>LecunTanh</c>), whose ±1 lies where the second derivative is largest.</para>
/// <para>Train with <c>MeanSquaredError</c> on a regression <c>Dataset</c> whose targets are
/// <see cref="Encode"/>d; report <see cref="PlusMinusOneAccuracy"/> (it decodes both sides).</para>
/// </remarks>
public static class TargetCoding
{
    /// <summary>Encodes class indices as ±<paramref name="magnitude"/> target vectors.</summary>
    /// <param name="labels">[N] class indices 0..C−1 (as floats, as a classification data set holds them).</param>
    /// <param name="classes">C ≥ 2.</param>
    /// <param name="magnitude">m in (0, 1]: the target values are +m and −m.</param>
    /// <param name="singleOutput">For C = 2 only: one output per sample (+m for class 1, −m for class 0) instead of two.</param>
    /// <returns>[N, C], or [N, 1] with <paramref name="singleOutput"/>.</returns>
    public static Tensor Encode(Tensor labels, int classes, float magnitude = 1f, bool singleOutput = false)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "TargetCoding: at least two classes are needed.");
        if (!(magnitude > 0f && magnitude <= 1f)) throw new ArgumentOutOfRangeException(nameof(magnitude), magnitude, "TargetCoding: the magnitude m must be in (0, 1].");
        if (singleOutput && classes != 2) throw new ArgumentException($"TargetCoding: a single ±1 output codes two classes, not {classes}.", nameof(singleOutput));
        if (labels.Rank != 1) throw new ShapeMismatchException($"TargetCoding.Encode: labels need shape [N]; got {labels.Shape}.");
        float[] values = labels.ToArray();
        int n = values.Length, width = singleOutput ? 1 : classes;
        var codes = new float[n * width];
        for (int i = 0; i < n; i++)
        {
            int c = (int)values[i];
            if (c != values[i] || c < 0 || c >= classes)
                throw new ArgumentException($"TargetCoding.Encode: label {values[i]} at position {i} is not a class index in [0, {classes}).", nameof(labels));
            if (singleOutput)
            {
                codes[i] = c == 1 ? magnitude : -magnitude;
                continue;
            }
            codes.AsSpan(i * width, width).Fill(-magnitude);
            codes[i * width + c] = magnitude;
        }
        return Tensor.Wrap(codes, new Shape(n, width));
    }

    /// <summary>Decodes outputs (or ±1 codes) to class indices: the arg-max of each row, or the sign of a single column (≥ 0 → class 1).</summary>
    /// <param name="outputs">[N, C] or [N, 1] (or [N] for a single output).</param>
    /// <returns>[N] class indices as floats.</returns>
    public static Tensor Decode(Tensor outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Rank is < 1 or > 2) throw new ShapeMismatchException($"TargetCoding.Decode: outputs need shape [N, C], [N, 1] or [N]; got {outputs.Shape}.");
        int n = outputs.Shape[0], width = outputs.Rank == 1 ? 1 : outputs.Shape[1];
        float[] values = outputs.ToArray();
        var labels = new float[n];
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> row = values.AsSpan(i * width, width);
            if (width == 1)
            {
                labels[i] = row[0] >= 0f ? 1f : 0f;
                continue;
            }
            int best = 0;
            for (int c = 1; c < width; c++) if (row[c] > row[best]) best = c;
            labels[i] = best;
        }
        return Tensor.Wrap(labels, new Shape(n));
    }

    /// <summary>The share of rows whose decoded output equals the decoded target (targets as ±1 codes or as class indices [N]).</summary>
    public static double Accuracy(Tensor outputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(targets);
        float[] predicted = Decode(outputs).ToArray();
        float[] truth = targets.Rank == 2 ? Decode(targets).ToArray() : targets.ToArray();
        if (predicted.Length != truth.Length)
            throw new ShapeMismatchException($"TargetCoding.Accuracy: {predicted.Length} outputs but {truth.Length} targets.");
        int correct = 0;
        for (int i = 0; i < truth.Length; i++) if (predicted[i] == truth[i]) correct++;
        return truth.Length == 0 ? 0 : (double)correct / truth.Length;
    }
}

/// <summary>
/// Accuracy for ±1-coded targets (<see cref="TargetCoding"/>): the arg-max (or sign) of the output
/// against the arg-max (or sign) of the target code, so it works in <c>Trainer</c> on a regression
/// data set of codes.
/// </summary>
public sealed class PlusMinusOneAccuracy : Metric
{
    private long _correct, _total;

    /// <inheritdoc/>
    public override string Name => "accuracy";

    /// <inheritdoc/>
    public override void Reset() => _correct = _total = 0;

    /// <inheritdoc/>
    public override double Result => _total == 0 ? 0 : (double)_correct / _total;

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        int n = predictions.Shape[0];
        _correct += (long)Math.Round(TargetCoding.Accuracy(predictions, targets) * n);
        _total += n;
    }
}
