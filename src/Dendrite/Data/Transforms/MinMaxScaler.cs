namespace Dendrite.Data;

/// <summary>
/// Min-max scaling: x' = low + (x − min)·(high − low)/(max − min) per feature, with the minimum and
/// maximum of the data it was fitted on, so the fitted data lands in [low, high] (default [0, 1]).
/// Values outside the fitted range map outside [low, high] (they are not clipped). A feature that is
/// constant in the fitted data maps to low + (x − min) (as scikit-learn's <c>MinMaxScaler</c>).
/// </summary>
/// <remarks>State tensors: <c>min</c> and <c>max</c> of the sample's shape, and <c>feature_range</c> [2] = (low, high).</remarks>
public sealed class MinMaxScaler : FeatureTransform<MinMaxScaler>
{
    private float[] _min = [];
    private float[] _max = [];
    private float _low;
    private float _high;

    /// <summary>Creates a scaler to [<paramref name="low"/>, <paramref name="high"/>].</summary>
    /// <param name="low">The value the fitted minimum maps to.</param>
    /// <param name="high">The value the fitted maximum maps to; greater than <paramref name="low"/>.</param>
    public MinMaxScaler(float low = 0f, float high = 1f)
    {
        if (!(low < high) || !float.IsFinite(low) || !float.IsFinite(high))
            throw new ArgumentException($"MinMaxScaler needs a finite range low < high; got [{low}, {high}].", nameof(high));
        _low = low;
        _high = high;
    }

    /// <inheritdoc/>
    protected override string TransformName => "MinMaxScaler";

    /// <summary>The value the fitted minimum maps to.</summary>
    public float Low => _low;

    /// <summary>The value the fitted maximum maps to.</summary>
    public float High => _high;

    /// <summary>The per-feature minima of the fitted data.</summary>
    public ReadOnlySpan<float> DataMin => _min;

    /// <summary>The per-feature maxima of the fitted data.</summary>
    public ReadOnlySpan<float> DataMax => _max;

    /// <inheritdoc/>
    protected override void FitRows(ReadOnlySpan<float> values, int rows, int width)
    {
        _min = values[..width].ToArray();
        _max = values[..width].ToArray();
        for (int r = 1; r < rows; r++)
        {
            ReadOnlySpan<float> row = values.Slice(r * width, width);
            TensorPrimitives.Min(_min, row, _min);
            TensorPrimitives.Max(_max, row, _max);
        }
    }

    /// <inheritdoc/>
    protected override void ApplyRow(Span<float> row, bool inverse)
    {
        float width = _high - _low;
        for (int j = 0; j < row.Length; j++)
        {
            float range = _max[j] - _min[j];
            float scale = range > 0f ? width / range : 1f;
            row[j] = inverse ? _min[j] + (row[j] - _low) / scale : _low + (row[j] - _min[j]) * scale;
        }
    }

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, float[] Values, bool PerFeature)> Parameters() => [("min", _min, true), ("max", _max, true), ("feature_range", [_low, _high], false)];

    /// <inheritdoc/>
    protected override void LoadParameters(Func<string, float[]> get)
    {
        _min = get("min");
        _max = get("max");
        float[] range = get("feature_range");
        (_low, _high) = (range[0], range[1]);
    }
}
