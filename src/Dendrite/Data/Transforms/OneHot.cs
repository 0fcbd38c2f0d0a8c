using Dendrite.Tensors;

namespace Dendrite.Data;

/// <summary>One-hot encoding of class labels, and back.</summary>
public static class OneHot
{
    /// <summary>Turns class indices into one-hot rows: row i has 1 at column labels[i] and 0 elsewhere.</summary>
    /// <param name="labels">Shape [N]: class indices 0..numClasses-1 as floats.</param>
    /// <param name="numClasses">Number of classes k.</param>
    /// <returns>Shape [N, k].</returns>
    /// <exception cref="ArgumentException">A label is not an integer in [0, k).</exception>
    public static Tensor Encode(Tensor labels, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        int count = labels.Shape.Dims1("OneHot.Encode");
        float[] values = labels.ToArray();
        var result = new float[(long)count * numClasses];
        for (int i = 0; i < count; i++)
        {
            float label = values[i];
            if (!(label >= 0f && label < numClasses) || label != MathF.Floor(label))
                throw new ArgumentException($"OneHot.Encode: label {i} is {label}; labels must be integers in [0, {numClasses}).", nameof(labels));
            result[i * numClasses + (int)label] = 1f;
        }
        return Tensor.Wrap(result, new Shape(count, numClasses));
    }

    /// <summary>The class of each row: the column of its largest value (the first on a tie), for one-hot rows or scores.</summary>
    /// <param name="rows">Shape [N, k].</param>
    /// <returns>Shape [N]: class indices as floats.</returns>
    public static Tensor Decode(Tensor rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var (count, classes) = rows.Shape.Dims2("OneHot.Decode");
        float[] values = rows.ToArray();
        var result = new float[count];
        for (int i = 0; i < count && classes > 0; i++)
            result[i] = TensorPrimitives.IndexOfMax(values.AsSpan(i * classes, classes));
        return Tensor.Wrap(result, new Shape(count));
    }
}
