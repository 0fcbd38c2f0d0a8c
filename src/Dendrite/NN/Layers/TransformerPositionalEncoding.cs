using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.NN.Initializers;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>
/// Adds the fixed sinusoidal position code of Vaswani et al. (2017) to a sequence [batch, time, d]:
/// PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(t / 10000^(2i/d)). No parameters; any length
/// up to <see cref="MaxLength"/>.
/// </summary>
public sealed class SinusoidalPositionalEncoding : Module
{
    private Tensor? _table;

    /// <summary>Creates the encoding for width <paramref name="modelDimension"/> and up to <paramref name="maxLength"/> positions.</summary>
    public SinusoidalPositionalEncoding(int modelDimension, int maxLength = 1024)
    {
        if (modelDimension <= 0 || maxLength <= 0)
            throw new ArgumentOutOfRangeException(nameof(modelDimension), $"SinusoidalPositionalEncoding needs positive sizes; got d = {modelDimension}, max length {maxLength}.");
        ModelDimension = modelDimension;
        MaxLength = maxLength;
    }

    /// <summary>d, the width of each step.</summary>
    public int ModelDimension { get; }

    /// <summary>The longest sequence accepted.</summary>
    public int MaxLength { get; }

    /// <inheritdoc/>
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"SinusoidalPositionalEncoding({ModelDimension})");

    /// <summary>The code of positions [0, <paramref name="length"/>), [length, d].</summary>
    public Tensor Table(int length)
    {
        if (_table is null)
        {
            var values = new float[MaxLength * ModelDimension];
            for (int t = 0; t < MaxLength; t++)
                for (int i = 0; i < ModelDimension; i++)
                {
                    double angle = t / Math.Pow(10000.0, 2 * (i / 2) / (double)ModelDimension);
                    values[t * ModelDimension + i] = (float)(i % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle));
                }
            _table = Tensor.FromArray(values, new Shape(MaxLength, ModelDimension));
        }
        return _table.Narrow(0, 0, length);
    }

    /// <summary><paramref name="input"/> [batch, time, d] plus the code of positions 0..time−1.</summary>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 3 || input.Shape[2] != ModelDimension || input.Shape[1] > MaxLength)
            throw new ShapeMismatchException($"{Describe()} got input {input.Shape}; expected [batch, time ≤ {MaxLength}, {ModelDimension}].");
        return input + Table(input.Shape[1]);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["modelDimension"] = ModelDimension;
        config["maxLength"] = MaxLength;
    }
}

/// <summary>
/// Adds a learned vector per position to a sequence [batch, time, d] (as GPT and BERT do): parameter
/// <c>weight</c> [maxLength, d], initialised N(0, 0.02²).
/// </summary>
public sealed class LearnedPositionalEncoding : Module
{
    /// <summary>Creates the table.</summary>
    public LearnedPositionalEncoding(int maxLength, int modelDimension, RandomGenerator? generator = null)
    {
        if (modelDimension <= 0 || maxLength <= 0)
            throw new ArgumentOutOfRangeException(nameof(modelDimension), $"LearnedPositionalEncoding needs positive sizes; got max length {maxLength}, d = {modelDimension}.");
        MaxLength = maxLength;
        ModelDimension = modelDimension;
        Weight = AddParameter("weight", [maxLength, modelDimension], Initializer.Normal(0f, 0.02f), modelDimension, maxLength, generator);
    }

    /// <summary>The longest sequence accepted.</summary>
    public int MaxLength { get; }

    /// <summary>d.</summary>
    public int ModelDimension { get; }

    /// <summary>The table [maxLength, d].</summary>
    public Parameter Weight { get; }

    /// <inheritdoc/>
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"LearnedPositionalEncoding({MaxLength}, {ModelDimension})");

    /// <summary><paramref name="input"/> [batch, time, d] plus rows 0..time−1 of the table.</summary>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 3 || input.Shape[2] != ModelDimension || input.Shape[1] > MaxLength)
            throw new ShapeMismatchException($"{Describe()} got input {input.Shape}; expected [batch, time ≤ {MaxLength}, {ModelDimension}].");
        return input + Weight.Narrow(0, 0, input.Shape[1]);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["maxLength"] = MaxLength;
        config["modelDimension"] = ModelDimension;
    }
}
