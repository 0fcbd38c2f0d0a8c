using System.Globalization;
using Dendrite.Tensors;

namespace Dendrite.Training.Metrics;

/// <summary>
/// A quality measure accumulated over the batches of an epoch: <see cref="Reset"/>, then
/// <see cref="Update"/> per batch, then <see cref="Result"/>. Classification metrics take scores
/// [N, C] (logits or probabilities; the arg-max is the prediction) or [N] / [N, 1] probabilities of
/// the positive class, and class-index targets [N].
/// </summary>
public abstract class Metric
{
    /// <summary>The key in training logs and history (<c>accuracy</c>, <c>mae</c>).</summary>
    public abstract string Name { get; }

    /// <summary>True when a larger value is better (accuracy), false when smaller is (MSE).</summary>
    public virtual bool HigherIsBetter => true;

    /// <summary>Forgets everything accumulated.</summary>
    public abstract void Reset();

    /// <summary>Adds one batch of predictions and targets.</summary>
    public abstract void Update(Tensor predictions, Tensor targets);

    /// <summary>The metric over everything since the last <see cref="Reset"/>.</summary>
    public abstract double Result { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>Builds a metric from its name: accuracy, top5_accuracy (top-k), precision, recall, f1, mse, mae, r2.</summary>
    public static Metric FromName(string name)
    {
        string key = name.Trim().ToLowerInvariant();
        if (key.StartsWith("top", StringComparison.Ordinal) && key.EndsWith("_accuracy", StringComparison.Ordinal)
            && int.TryParse(key.AsSpan(3, key.Length - 3 - "_accuracy".Length), NumberStyles.None, CultureInfo.InvariantCulture, out int k))
            return new TopKAccuracy(k);
        return key switch
        {
            "accuracy" or "acc" => new Accuracy(),
            "precision" => new Precision(),
            "recall" => new Recall(),
            "f1" => new F1Score(),
            "mse" or "mean_squared_error" => new MeanSquaredErrorMetric(),
            "mae" or "mean_absolute_error" => new MeanAbsoluteErrorMetric(),
            "r2" => new RSquared(),
            _ => throw new ArgumentException($"Unknown metric '{name}'. Known: accuracy, topK_accuracy (e.g. top5_accuracy), precision, recall, f1, mse, mae, r2.", nameof(name)),
        };
    }

    /// <summary>Predicted class per sample: the arg-max of [N, C] scores, or a 0.5 threshold on [N] / [N, 1] probabilities.</summary>
    internal static int[] PredictedClasses(Tensor predictions)
    {
        float[] scores = predictions.ToArray();
        if (predictions.Rank == 1 || (predictions.Rank == 2 && predictions.Shape[1] == 1))
            return scores.Select(p => p >= 0.5f ? 1 : 0).ToArray();
        if (predictions.Rank != 2)
            throw new ShapeMismatchException($"Classification metrics need scores [N, C] or probabilities [N]; got {predictions.Shape}.");
        int n = predictions.Shape[0], c = predictions.Shape[1];
        var classes = new int[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int j = 1; j < c; j++)
                if (scores[i * c + j] > scores[i * c + best]) best = j;
            classes[i] = best;
        }
        return classes;
    }

    /// <summary>Class-index targets as integers, checking there is one per prediction.</summary>
    internal static int[] TargetClasses(Tensor targets, int count, string metric)
    {
        float[] values = targets.ToArray();
        if (values.Length != count)
            throw new ShapeMismatchException($"{metric}: {count} predictions but targets {targets.Shape} ({values.Length} values); targets must be one class index per sample.");
        var classes = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            classes[i] = (int)values[i];
            if (classes[i] != values[i] || classes[i] < 0)
                throw new ArgumentException($"{metric}: target {values[i]} at position {i} is not a class index.", nameof(targets));
        }
        return classes;
    }
}

/// <summary>Share of samples whose predicted class equals the target.</summary>
public sealed class Accuracy : Metric
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
        int[] predicted = PredictedClasses(predictions);
        int[] actual = TargetClasses(targets, predicted.Length, Name);
        for (int i = 0; i < predicted.Length; i++) if (predicted[i] == actual[i]) _correct++;
        _total += predicted.Length;
    }
}

/// <summary>Share of samples whose target is among the k highest-scoring classes.</summary>
public sealed class TopKAccuracy : Metric
{
    private long _correct, _total;

    /// <summary>Creates the metric for a given k ≥ 1.</summary>
    public TopKAccuracy(int k)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), $"TopKAccuracy needs k ≥ 1; got {k}.");
        K = k;
    }

    /// <summary>How many of the best classes count.</summary>
    public int K { get; }
    /// <inheritdoc/>
    public override string Name => $"top{K}_accuracy";
    /// <inheritdoc/>
    public override void Reset() => _correct = _total = 0;
    /// <inheritdoc/>
    public override double Result => _total == 0 ? 0 : (double)_correct / _total;

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets)
    {
        var (n, c) = predictions.Shape.Dims2(Name);
        float[] scores = predictions.ToArray();
        int[] actual = TargetClasses(targets, n, Name);
        for (int i = 0; i < n; i++)
        {
            float own = scores[i * c + actual[i]];
            int better = 0;
            for (int j = 0; j < c; j++)
                if (scores[i * c + j] > own || (scores[i * c + j] == own && j < actual[i])) better++;
            if (better < K) _correct++;
        }
        _total += n;
    }
}

/// <summary>
/// Counts of (true class, predicted class) pairs: row = truth, column = prediction. Per-class
/// precision, recall and F1 and their macro averages derive from it.
/// </summary>
public sealed class ConfusionMatrix : Metric
{
    private long[,] _counts;

    /// <summary>Creates an empty matrix for <paramref name="classes"/> classes (grows if a larger class index appears).</summary>
    public ConfusionMatrix(int classes = 2) => _counts = new long[Math.Max(classes, 1), Math.Max(classes, 1)];

    /// <summary>Number of classes.</summary>
    public int Classes => _counts.GetLength(0);

    /// <summary>counts[truth, prediction].</summary>
    public long this[int truth, int prediction] => _counts[truth, prediction];

    /// <summary>A copy of the counts, [truth, prediction].</summary>
    public long[,] Counts => (long[,])_counts.Clone();

    /// <inheritdoc/>
    public override string Name => "confusion_matrix";
    /// <inheritdoc/>
    public override void Reset() => Array.Clear(_counts);
    /// <summary>Accuracy: the trace over the total.</summary>
    public override double Result => Accuracy;

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets)
    {
        int[] predicted = PredictedClasses(predictions);
        int[] actual = TargetClasses(targets, predicted.Length, Name);
        int needed = Math.Max(predicted.DefaultIfEmpty().Max(), actual.DefaultIfEmpty().Max()) + 1;
        if (predictions.Rank == 2) needed = Math.Max(needed, predictions.Shape[1]);
        if (needed > Classes)
        {
            var grown = new long[needed, needed];
            for (int i = 0; i < Classes; i++) for (int j = 0; j < Classes; j++) grown[i, j] = _counts[i, j];
            _counts = grown;
        }
        for (int i = 0; i < predicted.Length; i++) _counts[actual[i], predicted[i]]++;
    }

    /// <summary>Total samples counted.</summary>
    public long Total
    {
        get
        {
            long total = 0;
            foreach (long v in _counts) total += v;
            return total;
        }
    }

    /// <summary>Share of samples on the diagonal.</summary>
    public double Accuracy
    {
        get
        {
            long diagonal = 0;
            for (int i = 0; i < Classes; i++) diagonal += _counts[i, i];
            long total = Total;
            return total == 0 ? 0 : (double)diagonal / total;
        }
    }

    /// <summary>Precision of class c: TP / (TP + FP), 0 when nothing was predicted as c.</summary>
    public double Precision(int c)
    {
        long predicted = 0;
        for (int i = 0; i < Classes; i++) predicted += _counts[i, c];
        return predicted == 0 ? 0 : (double)_counts[c, c] / predicted;
    }

    /// <summary>Recall of class c: TP / (TP + FN), 0 when c never occurs.</summary>
    public double Recall(int c)
    {
        long actual = 0;
        for (int j = 0; j < Classes; j++) actual += _counts[c, j];
        return actual == 0 ? 0 : (double)_counts[c, c] / actual;
    }

    /// <summary>F1 of class c: the harmonic mean of precision and recall.</summary>
    public double F1(int c)
    {
        double p = Precision(c), r = Recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /// <summary>Unweighted mean of the per-class precisions.</summary>
    public double MacroPrecision => Enumerable.Range(0, Classes).Average(Precision);

    /// <summary>Unweighted mean of the per-class recalls.</summary>
    public double MacroRecall => Enumerable.Range(0, Classes).Average(Recall);

    /// <summary>Unweighted mean of the per-class F1 scores.</summary>
    public double MacroF1 => Enumerable.Range(0, Classes).Average(F1);

    /// <summary>The matrix as an aligned text table, with class names when given.</summary>
    public string Format(IReadOnlyList<string>? classNames = null)
    {
        string Label(int i) => classNames is not null && i < classNames.Count ? classNames[i] : i.ToString(CultureInfo.InvariantCulture);
        int labelWidth = Enumerable.Range(0, Classes).Max(i => Label(i).Length);
        int cellWidth = Math.Max(5, Enumerable.Range(0, Classes).Max(i => Math.Min(Label(i).Length, 8)));
        foreach (long v in _counts) cellWidth = Math.Max(cellWidth, v.ToString(CultureInfo.InvariantCulture).Length);
        var builder = new System.Text.StringBuilder();
        builder.Append(new string(' ', labelWidth)).Append("  predicted →").AppendLine();
        builder.Append(new string(' ', labelWidth));
        for (int j = 0; j < Classes; j++) builder.Append(' ').Append(Truncate(Label(j), cellWidth).PadLeft(cellWidth));
        builder.AppendLine();
        for (int i = 0; i < Classes; i++)
        {
            builder.Append(Label(i).PadRight(labelWidth));
            for (int j = 0; j < Classes; j++) builder.Append(' ').Append(_counts[i, j].ToString(CultureInfo.InvariantCulture).PadLeft(cellWidth));
            builder.AppendLine();
        }
        return builder.ToString();
    }

    private static string Truncate(string text, int width) => text.Length <= width ? text : text[..width];
}

/// <summary>Macro-averaged precision over classes.</summary>
public sealed class Precision : Metric
{
    private readonly ConfusionMatrix _matrix = new();
    /// <inheritdoc/>
    public override string Name => "precision";
    /// <inheritdoc/>
    public override void Reset() => _matrix.Reset();
    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets) => _matrix.Update(predictions, targets);
    /// <inheritdoc/>
    public override double Result => _matrix.MacroPrecision;
}

/// <summary>Macro-averaged recall over classes.</summary>
public sealed class Recall : Metric
{
    private readonly ConfusionMatrix _matrix = new();
    /// <inheritdoc/>
    public override string Name => "recall";
    /// <inheritdoc/>
    public override void Reset() => _matrix.Reset();
    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets) => _matrix.Update(predictions, targets);
    /// <inheritdoc/>
    public override double Result => _matrix.MacroRecall;
}

/// <summary>Macro-averaged F1 over classes.</summary>
public sealed class F1Score : Metric
{
    private readonly ConfusionMatrix _matrix = new();
    /// <inheritdoc/>
    public override string Name => "f1";
    /// <inheritdoc/>
    public override void Reset() => _matrix.Reset();
    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets) => _matrix.Update(predictions, targets);
    /// <inheritdoc/>
    public override double Result => _matrix.MacroF1;
}

/// <summary>Base for regression metrics: sums over all elements of predictions and targets of the same shape.</summary>
public abstract class RegressionMetric : Metric
{
    /// <summary>Sum of squared errors, absolute errors, targets and squared targets; element count.</summary>
    protected double SquaredError, AbsoluteError, TargetSum, TargetSquareSum;

    /// <summary>Number of elements seen.</summary>
    protected long Count;

    /// <inheritdoc/>
    public override bool HigherIsBetter => false;

    /// <inheritdoc/>
    public override void Reset() => SquaredError = AbsoluteError = TargetSum = TargetSquareSum = Count = 0;

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets)
    {
        if (predictions.Count != targets.Count)
            throw new ShapeMismatchException($"{Name}: predictions {predictions.Shape} and targets {targets.Shape} must have the same number of elements.");
        float[] p = predictions.ToArray(), t = targets.ToArray();
        for (int i = 0; i < p.Length; i++)
        {
            double e = p[i] - (double)t[i];
            SquaredError += e * e;
            AbsoluteError += Math.Abs(e);
            TargetSum += t[i];
            TargetSquareSum += (double)t[i] * t[i];
        }
        Count += p.Length;
    }
}

/// <summary>Mean squared error (1/n)·Σ(y − t)².</summary>
public sealed class MeanSquaredErrorMetric : RegressionMetric
{
    /// <inheritdoc/>
    public override string Name => "mse";
    /// <inheritdoc/>
    public override double Result => Count == 0 ? 0 : SquaredError / Count;
}

/// <summary>Mean absolute error (1/n)·Σ|y − t|.</summary>
public sealed class MeanAbsoluteErrorMetric : RegressionMetric
{
    /// <inheritdoc/>
    public override string Name => "mae";
    /// <inheritdoc/>
    public override double Result => Count == 0 ? 0 : AbsoluteError / Count;
}

/// <summary>Coefficient of determination R² = 1 − SS_res / SS_tot (1 is perfect, 0 is predicting the mean).</summary>
public sealed class RSquared : RegressionMetric
{
    /// <inheritdoc/>
    public override string Name => "r2";
    /// <inheritdoc/>
    public override bool HigherIsBetter => true;
    /// <inheritdoc/>
    public override double Result
    {
        get
        {
            if (Count == 0) return 0;
            double total = TargetSquareSum - TargetSum * TargetSum / Count;
            return total <= 0 ? (SquaredError == 0 ? 1 : 0) : 1 - SquaredError / total;
        }
    }
}
