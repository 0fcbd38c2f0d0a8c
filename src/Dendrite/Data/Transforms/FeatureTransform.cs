using Dendrite.Tensors;

namespace Dendrite.Data;

/// <summary>Shared plumbing of the scalers: shape checks, Fit/Transform on data sets, per-row application, state.</summary>
/// <typeparam name="TSelf">The scaler itself, so that <c>Fit</c> returns it: <c>var scaler = new Standardizer().Fit(train);</c></typeparam>
public abstract class FeatureTransform<TSelf> : IFeatureTransform where TSelf : FeatureTransform<TSelf>
{
    private Shape _sampleShape;

    /// <summary>The name used in messages, for example "Standardizer".</summary>
    protected abstract string TransformName { get; }

    /// <inheritdoc/>
    public bool IsFitted { get; private set; }

    /// <summary>The shape of one sample the transform was fitted on (for example [4] or [1, 28, 28]).</summary>
    public Shape SampleShape => _sampleShape;

    /// <summary>Learns the parameters from <paramref name="features"/> [N, ...] (N ≥ 1; pass the training split) and returns this transform.</summary>
    public TSelf Fit(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Rank < 2)
            throw new ShapeMismatchException($"{TransformName}.Fit needs features of shape [N, ...] with at least one feature per sample; got {features.Shape}.");
        int rows = features.Shape[0];
        if (rows == 0)
            throw new ArgumentException($"{TransformName}.Fit needs at least one sample; got features of shape {features.Shape}.", nameof(features));
        float[] values = features.ToArray();
        _sampleShape = SampleShapeOf(features.Shape);
        FitRows(values, rows, values.Length / rows);
        IsFitted = true;
        return (TSelf)this;
    }

    IFeatureTransform IFeatureTransform.Fit(Tensor features) => Fit(features);

    /// <summary>Learns the parameters from the features of <paramref name="data"/> (pass the training split) and returns this transform.</summary>
    public TSelf Fit(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Fit(data.Features);
    }

    /// <inheritdoc/>
    public Tensor Transform(Tensor features) => Apply(features, inverse: false);

    /// <summary>A data set with the transformed features and the same targets and names.</summary>
    public Dataset Transform(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.WithFeatures(Transform(data.Features));
    }

    /// <inheritdoc/>
    public Tensor Inverse(Tensor features) => Apply(features, inverse: true);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> GetState()
    {
        RequireFitted("GetState");
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, values, perFeature) in Parameters())
            state[name] = Tensor.FromArray(values, perFeature ? _sampleShape : new Shape(values.Length));
        return state;
    }

    /// <inheritdoc/>
    public void SetState(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Shape? shape = null;
        foreach (var (name, values, perFeature) in Parameters())
        {
            if (!state.TryGetValue(name, out Tensor? tensor))
                throw new ArgumentException($"{TransformName}.SetState: the state has no tensor '{name}'; it needs {string.Join(", ", Parameters().Select(p => $"'{p.Name}'"))} (as GetState returns).", nameof(state));
            if (!perFeature)
            {
                if (tensor.Count != values.Length) throw new ShapeMismatchException($"{TransformName}.SetState: '{name}' needs {values.Length} values; got {tensor.Shape}.");
            }
            else
            {
                shape ??= tensor.Shape;
                if (tensor.Shape != shape.Value)
                    throw new ShapeMismatchException($"{TransformName}.SetState: '{name}' has shape {tensor.Shape} but the other parameters have {shape}.");
            }
        }
        _sampleShape = shape ?? default;
        LoadParameters(name => state[name].ToArray());
        IsFitted = true;
    }

    /// <summary>Learns the parameters from <paramref name="rows"/> rows of <paramref name="width"/> values each.</summary>
    protected abstract void FitRows(ReadOnlySpan<float> values, int rows, int width);

    /// <summary>Transforms (or inverts) one row in place.</summary>
    protected abstract void ApplyRow(Span<float> row, bool inverse);

    /// <summary>The parameters by name: per-feature arrays (one value per feature), or fixed-size settings (<c>PerFeature</c> false).</summary>
    protected abstract IEnumerable<(string Name, float[] Values, bool PerFeature)> Parameters();

    /// <summary>Replaces the parameters with the arrays <paramref name="get"/> returns by name.</summary>
    protected abstract void LoadParameters(Func<string, float[]> get);

    private Tensor Apply(Tensor features, bool inverse)
    {
        ArgumentNullException.ThrowIfNull(features);
        RequireFitted(inverse ? "Inverse" : "Transform");
        if (features.Rank < 1 || SampleShapeOf(features.Shape) != _sampleShape)
            throw new ShapeMismatchException($"{TransformName} was fitted on samples of shape {_sampleShape} but got features {features.Shape}; expected [M, {string.Join(", ", _sampleShape)}].");
        float[] values = features.ToArray();
        int width = _sampleShape.ElementCount;
        for (int start = 0; start + width <= values.Length && width > 0; start += width)
            ApplyRow(values.AsSpan(start, width), inverse);
        return Tensor.Wrap(values, features.Shape);
    }

    private void RequireFitted(string operation)
    {
        if (!IsFitted)
            throw new InvalidOperationException($"{TransformName}.{operation} needs fitted parameters: call Fit on the training split first (or SetState with saved parameters).");
    }

    private static Shape SampleShapeOf(Shape shape) => new(shape.ToArray().AsSpan(1));
}
