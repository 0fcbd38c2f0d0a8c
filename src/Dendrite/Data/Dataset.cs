using System.Globalization;
using Dendrite.Tensors;

namespace Dendrite.Data;

/// <summary>
/// An in-memory data set: a features tensor of shape [N, ...] and a targets tensor of shape [N]
/// (class indices as float values, for classification) or [N, k] (regression), with optional class
/// and feature names. Sample i is row i of both.
/// </summary>
/// <remarks>
/// <para>The data set holds the tensors it is given (no copy when they are contiguous), so writing
/// into <see cref="Features"/> changes the data set. <see cref="Subset"/>, <see cref="GetBatch(ReadOnlySpan{int})"/>
/// and the splits copy rows into new tensors.</para>
/// <para>Reading from several threads at once is safe (the <see cref="DataLoader"/> gathers batches on a
/// background thread); writing while a loader runs is not.</para>
/// </remarks>
public sealed class Dataset
{
    private readonly int _featureRowSize;
    private readonly int _targetRowSize;
    private readonly int _numClasses;

    /// <summary>Creates a data set from features and targets.</summary>
    /// <param name="features">Shape [N, ...]: one row per sample.</param>
    /// <param name="targets">Shape [N] of class indices 0..k-1 (as floats) for classification; [N, k] (or [N], taken as [N, 1]) for regression.</param>
    /// <param name="task">Whether the targets are class indices or real values.</param>
    /// <param name="classNames">For classification, the name of each class (its count is the number of classes); null to number them "0".."k-1" with k = largest label + 1.</param>
    /// <param name="name">A short name for messages and reports, for example "digits".</param>
    /// <param name="featureNames">The name of each feature column when the features are [N, d]; null when there are none.</param>
    /// <exception cref="ShapeMismatchException">The row counts differ, or the targets have the wrong rank for the task.</exception>
    /// <exception cref="ArgumentException">A class index is not an integer in [0, number of classes).</exception>
    public Dataset(Tensor features, Tensor targets, PredictionTask task, IReadOnlyList<string>? classNames = null, string name = "data", IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(name);
        if (features.Rank < 1)
            throw new ShapeMismatchException($"Dataset '{name}': features need shape [N, ...] with one row per sample; got a scalar.");
        int count = features.Shape[0];
        if (targets.Rank < 1 || targets.Shape[0] != count)
            throw new ShapeMismatchException($"Dataset '{name}': features {features.Shape} have {count} rows but targets {targets.Shape} have {(targets.Rank < 1 ? 0 : targets.Shape[0])}; both need one row per sample.");

        Features = Contiguous(features);
        Task = task;
        Name = name;
        Count = count;
        _featureRowSize = count == 0 ? features.Shape.Product(1, features.Rank) : features.Count / count;

        if (task == PredictionTask.Classification)
        {
            if (targets.Rank != 1)
                throw new ShapeMismatchException($"Dataset '{name}': classification targets are class indices of shape [N]; got {targets.Shape}. Use PredictionTask.Regression for [N, k] targets, or OneHot.Decode for one-hot rows.");
            Targets = Contiguous(targets);
            _numClasses = CheckLabels(Targets.Data, classNames, name);
            ClassNames = classNames ?? DefaultClassNames(_numClasses);
            _targetRowSize = 1;
        }
        else
        {
            if (classNames is not null)
                throw new ArgumentException($"Dataset '{name}': class names belong to classification data sets; this one is a regression.", nameof(classNames));
            if (targets.Rank > 2)
                throw new ShapeMismatchException($"Dataset '{name}': regression targets need shape [N, k] (or [N]); got {targets.Shape}.");
            Targets = targets.Rank == 1 ? Tensor.Wrap(targets.ToArray(), new Shape(count, 1)) : Contiguous(targets);
            _targetRowSize = Targets.Shape[1];
        }

        if (featureNames is not null && (Features.Rank != 2 || featureNames.Count != Features.Shape[1]))
            throw new ArgumentException($"Dataset '{name}': {featureNames.Count} feature names for features of shape {Features.Shape}; give one name per column of [N, d] features.", nameof(featureNames));
        FeatureNames = featureNames;
    }

    /// <summary>A classification data set: <paramref name="labels"/> [N] holds class indices 0..k-1 as floats.</summary>
    /// <param name="features">Shape [N, ...].</param>
    /// <param name="labels">Shape [N], integer values in [0, k).</param>
    /// <param name="classNames">The k class names; null to number them "0".."k-1".</param>
    /// <param name="name">A short name for messages.</param>
    /// <param name="featureNames">One name per column of [N, d] features, or null.</param>
    public static Dataset ForClassification(Tensor features, Tensor labels, IReadOnlyList<string>? classNames = null, string name = "data", IReadOnlyList<string>? featureNames = null) =>
        new(features, labels, PredictionTask.Classification, classNames, name, featureNames);

    /// <summary>A regression data set: <paramref name="targets"/> is [N, k] (or [N], stored as [N, 1]).</summary>
    /// <param name="features">Shape [N, ...].</param>
    /// <param name="targets">Shape [N, k] or [N].</param>
    /// <param name="name">A short name for messages.</param>
    /// <param name="featureNames">One name per column of [N, d] features, or null.</param>
    public static Dataset ForRegression(Tensor features, Tensor targets, string name = "data", IReadOnlyList<string>? featureNames = null) =>
        new(features, targets, PredictionTask.Regression, null, name, featureNames);

    /// <summary>A short name for messages and reports, for example "digits".</summary>
    public string Name { get; }

    /// <summary>Shape [N, ...]: one row per sample, contiguous.</summary>
    public Tensor Features { get; }

    /// <summary>Shape [N] of class indices (as float values) for classification; [N, k] for regression. Contiguous.</summary>
    public Tensor Targets { get; }

    /// <summary>Whether <see cref="Targets"/> holds class indices or real values.</summary>
    public PredictionTask Task { get; }

    /// <summary>Number of samples N.</summary>
    public int Count { get; }

    /// <summary>The shape of one sample's features (the features' shape without the leading N), for example [64] or [1, 28, 28].</summary>
    public Shape SampleShape => new(Features.Shape.ToArray().AsSpan(1));

    /// <summary>Number of feature values per sample (the product of <see cref="SampleShape"/>).</summary>
    public int FeatureCount => _featureRowSize;

    /// <summary>Number of target values per sample: 1 for classification, k for regression.</summary>
    public int TargetCount => _targetRowSize;

    /// <summary>The name of each class, index by index; null for regression.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>The name of each feature column, for [N, d] features read with names (CSV headers, built-in sets); null otherwise.</summary>
    public IReadOnlyList<string>? FeatureNames { get; }

    /// <summary>Number of classes k (class indices are 0..k-1).</summary>
    /// <exception cref="InvalidOperationException">The data set is a regression.</exception>
    public int NumClasses => Task == PredictionTask.Classification
        ? _numClasses
        : throw new InvalidOperationException($"Dataset '{Name}' is a regression data set ({TargetCount} real-valued target(s) per sample); it has no classes. Check Task before asking for NumClasses.");

    /// <summary>The class index of each sample, as integers (a new array of length N).</summary>
    /// <exception cref="InvalidOperationException">The data set is a regression.</exception>
    public int[] ClassIndices()
    {
        _ = NumClasses;
        ReadOnlySpan<float> labels = Targets.Data;
        var result = new int[Count];
        for (int i = 0; i < result.Length; i++) result[i] = (int)labels[i];
        return result;
    }

    /// <summary>How many samples each class has (a new array of length <see cref="NumClasses"/>).</summary>
    /// <exception cref="InvalidOperationException">The data set is a regression.</exception>
    public int[] ClassCounts()
    {
        var counts = new int[NumClasses];
        foreach (float label in Targets.Data) counts[(int)label]++;
        return counts;
    }

    /// <summary>Sample <paramref name="index"/> as new tensors: features of shape <see cref="SampleShape"/>, target of shape [] (classification) or [k].</summary>
    public (Tensor Features, Tensor Targets) this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index), $"Dataset '{Name}' has {Count} samples; index {index} is out of range.");
            var features = Tensor.FromArray(Features.Data.Slice(index * _featureRowSize, _featureRowSize), SampleShape);
            ReadOnlySpan<float> targetRow = Targets.Data.Slice(index * _targetRowSize, _targetRowSize);
            var targets = Task == PredictionTask.Classification ? Tensor.Scalar(targetRow[0]) : Tensor.FromArray(targetRow);
            return (features, targets);
        }
    }

    /// <summary>
    /// Copies the rows <paramref name="indices"/> (in that order, repeats allowed) into new contiguous
    /// tensors: features [b, ...] and targets [b] or [b, k], with b = <c>indices.Length</c>.
    /// </summary>
    public (Tensor Features, Tensor Targets) GetBatch(ReadOnlySpan<int> indices)
    {
        var features = Tensor.Zeros(BatchShape(Features.Shape, indices.Length));
        var targets = Tensor.Zeros(BatchShape(Targets.Shape, indices.Length));
        GetBatch(indices, features, targets);
        return (features, targets);
    }

    /// <summary>
    /// Copies the rows <paramref name="indices"/> into tensors the caller owns (to reuse buffers across
    /// steps): <paramref name="features"/> must be contiguous with b·<see cref="FeatureCount"/> elements
    /// and <paramref name="targets"/> with b·<see cref="TargetCount"/>, b = <c>indices.Length</c>.
    /// </summary>
    public void GetBatch(ReadOnlySpan<int> indices, Tensor features, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        if (features.Count != indices.Length * _featureRowSize || targets.Count != indices.Length * _targetRowSize)
            throw new ShapeMismatchException($"Dataset '{Name}'.GetBatch: {indices.Length} rows need features with {indices.Length * _featureRowSize} elements and targets with {indices.Length * _targetRowSize}; got {features.Shape} and {targets.Shape}.");
        GatherRows(Features.Data, _featureRowSize, indices, features.Data);
        GatherRows(Targets.Data, _targetRowSize, indices, targets.Data);
    }

    /// <summary>A new data set of the rows <paramref name="indices"/> (copied, in that order), with the same names and task.</summary>
    /// <param name="indices">Row indices in [0, N); repeats allowed (bootstrap samples).</param>
    /// <param name="name">The subset's name; null keeps this data set's name.</param>
    public Dataset Subset(ReadOnlySpan<int> indices, string? name = null)
    {
        var (features, targets) = GetBatch(indices);
        return new Dataset(features, targets, Task, ClassNames, name ?? Name, FeatureNames, _numClasses);
    }

    /// <summary>
    /// The same data set with each sample's features viewed as <paramref name="sampleShape"/> (no copy:
    /// the storage is shared), for example [1, 8, 8] to turn digits' [N, 64] rows into [N, 1, 8, 8] images.
    /// </summary>
    /// <param name="sampleShape">The new shape of one sample; its element count must equal <see cref="FeatureCount"/>.</param>
    public Dataset ReshapeFeatures(params ReadOnlySpan<int> sampleShape)
    {
        Span<int> dims = stackalloc int[sampleShape.Length + 1];
        dims[0] = Count;
        sampleShape.CopyTo(dims[1..]);
        var shape = new Shape(dims);
        long elements = 1;
        foreach (int d in sampleShape) elements *= d;
        if (elements != _featureRowSize)
            throw new ShapeMismatchException($"Dataset '{Name}'.ReshapeFeatures: samples of shape {SampleShape} ({_featureRowSize} values) cannot be viewed as {Shape.Format(sampleShape)} ({elements} values).");
        Span<int> strides = stackalloc int[shape.Rank];
        for (int axis = shape.Rank - 1, stride = 1; axis >= 0; axis--)
        {
            strides[axis] = stride;
            stride *= shape[axis];
        }
        var features = new Tensor(Features, shape, strides, Features._offset);
        bool keepNames = FeatureNames is not null && shape.Rank == 2;
        return new Dataset(features, Targets, Task, ClassNames, Name, keepNames ? FeatureNames : null, _numClasses);
    }

    /// <summary>The same targets and names with other features (for example transformed ones); <paramref name="features"/> needs N rows.</summary>
    public Dataset WithFeatures(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        bool keepNames = FeatureNames is not null && features.Rank == 2 && features.Shape[1] == FeatureNames.Count;
        return new Dataset(features, Targets, Task, ClassNames, Name, keepNames ? FeatureNames : null, _numClasses);
    }

    /// <inheritdoc/>
    public override string ToString() => Task == PredictionTask.Classification
        ? string.Create(CultureInfo.InvariantCulture, $"{Name}: {Count} samples, features {SampleShape}, {NumClasses} classes")
        : string.Create(CultureInfo.InvariantCulture, $"{Name}: {Count} samples, features {SampleShape}, {TargetCount} regression target(s)");

    // Subsets, views and transformed copies share the parent's class count: a subset may lack the
    // highest class, and must still say it has k classes.
    private Dataset(Tensor features, Tensor targets, PredictionTask task, IReadOnlyList<string>? classNames, string name, IReadOnlyList<string>? featureNames, int numClasses)
    {
        if (features.Rank < 1 || features.Shape[0] != targets.Shape[0])
            throw new ShapeMismatchException($"Dataset '{name}': features {features.Shape} and targets {targets.Shape} need the same number of rows.");
        Features = Contiguous(features);
        Targets = targets;
        Task = task;
        ClassNames = classNames;
        Name = name;
        FeatureNames = featureNames;
        Count = features.Shape[0];
        _featureRowSize = features.Shape.Product(1, features.Rank);
        _targetRowSize = task == PredictionTask.Classification ? 1 : targets.Shape[1];
        _numClasses = numClasses;
    }

    /// <summary>dst[j] = src[indices[j]] for rows of <paramref name="rowSize"/> floats.</summary>
    internal static void GatherRows(ReadOnlySpan<float> source, int rowSize, ReadOnlySpan<int> indices, Span<float> destination)
    {
        int rows = source.Length / Math.Max(rowSize, 1);
        for (int j = 0; j < indices.Length; j++)
        {
            int row = indices[j];
            if ((uint)row >= (uint)rows)
                throw new ArgumentOutOfRangeException(nameof(indices), $"Row index {row} is out of range for a data set of {rows} samples.");
            source.Slice(row * rowSize, rowSize).CopyTo(destination.Slice(j * rowSize, rowSize));
        }
    }

    private static Shape BatchShape(Shape rowsShape, int batch)
    {
        Span<int> dims = stackalloc int[rowsShape.Rank];
        rowsShape.CopyTo(dims);
        dims[0] = batch;
        return new Shape(dims);
    }

    private static Tensor Contiguous(Tensor tensor) =>
        tensor.IsContiguous && !tensor.IsReleased ? tensor : Tensor.Wrap(tensor.ToArray(), tensor.Shape);

    private static int CheckLabels(ReadOnlySpan<float> labels, IReadOnlyList<string>? classNames, string name)
    {
        float max = -1f;
        for (int i = 0; i < labels.Length; i++)
        {
            float label = labels[i];
            if (!(label >= 0f) || label != MathF.Floor(label) || (classNames is not null && label >= classNames.Count))
            {
                string range = classNames is null ? "a non-negative integer" : $"an integer in [0, {classNames.Count})";
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Dataset '{name}': the label of sample {i} is {label}; classification labels must be {range} (class indices stored as floats)."), "targets");
            }
            if (label > max) max = label;
        }
        return classNames?.Count ?? (int)max + 1;
    }

    private static string[] DefaultClassNames(int count)
    {
        var names = new string[count];
        for (int i = 0; i < count; i++) names[i] = i.ToString(CultureInfo.InvariantCulture);
        return names;
    }
}
