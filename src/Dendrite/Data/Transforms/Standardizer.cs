namespace Dendrite.Data;

/// <summary>
/// Standardisation: x' = (x − mean) / std per feature, with the mean and the (population, divide-by-N)
/// standard deviation of the data it was fitted on (as scikit-learn's <c>StandardScaler</c>). A
/// feature that is constant in the fitted data has std 0 and is only centred (divided by 1), never NaN.
/// </summary>
/// <remarks>State tensors: <c>mean</c> and <c>std</c>, each of the sample's shape (std holds the divisor used, 1 for constant features).</remarks>
public sealed class Standardizer : FeatureTransform<Standardizer>
{
    private float[] _mean = [];
    private float[] _scale = [];

    /// <inheritdoc/>
    protected override string TransformName => "Standardizer";

    /// <summary>The per-feature means (one value per feature, in row-major sample order).</summary>
    public ReadOnlySpan<float> Mean => _mean;

    /// <summary>The per-feature divisors: the standard deviation, or 1 where it is 0.</summary>
    public ReadOnlySpan<float> StandardDeviation => _scale;

    /// <inheritdoc/>
    protected override void FitRows(ReadOnlySpan<float> values, int rows, int width)
    {
        // Two passes in double: the mean, then the squared deviations (no catastrophic cancellation).
        var sum = new double[width];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = values.Slice(r * width, width);
            for (int j = 0; j < width; j++) sum[j] += row[j];
        }
        var mean = new double[width];
        for (int j = 0; j < width; j++) mean[j] = sum[j] / rows;
        var squares = new double[width];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = values.Slice(r * width, width);
            for (int j = 0; j < width; j++)
            {
                double d = row[j] - mean[j];
                squares[j] += d * d;
            }
        }
        _mean = new float[width];
        _scale = new float[width];
        for (int j = 0; j < width; j++)
        {
            _mean[j] = (float)mean[j];
            float std = (float)Math.Sqrt(squares[j] / rows);
            _scale[j] = std > 0f && float.IsFinite(std) ? std : 1f;
        }
    }

    /// <inheritdoc/>
    protected override void ApplyRow(Span<float> row, bool inverse)
    {
        if (inverse)
        {
            TensorPrimitives.Multiply(row, _scale, row);
            TensorPrimitives.Add(row, _mean, row);
        }
        else
        {
            TensorPrimitives.Subtract(row, _mean, row);
            TensorPrimitives.Divide(row, _scale, row);
        }
    }

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, float[] Values, bool PerFeature)> Parameters() => [("mean", _mean, true), ("std", _scale, true)];

    /// <inheritdoc/>
    protected override void LoadParameters(Func<string, float[]> get)
    {
        _mean = get("mean");
        _scale = get("std");
    }
}
