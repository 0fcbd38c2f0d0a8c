using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Regularizers;

/// <summary>
/// A penalty on a parameter's values added to the training loss (by default attached to weights,
/// not biases). The built-ins are the static members; each doc comment gives the formula.
/// </summary>
public abstract class Regularizer
{
    /// <summary>The penalty as a scalar tensor, differentiable with respect to <paramref name="weight"/>.</summary>
    public abstract Tensor Penalty(Tensor weight);

    /// <summary>A name with the coefficients, e.g. <c>l2(0.0001)</c>.</summary>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>Writes the regulariser as JSON (for the architecture file).</summary>
    public JsonObject ToJson() => new() { ["name"] = Name };

    /// <summary>L1 (lasso): λ·Σ|w|; drives many weights to exactly zero.</summary>
    public static Regularizer L1(float lambda) => new L1Regularizer(Check(lambda));

    /// <summary>
    /// L2 (weight decay as a loss term): λ/(2m)·Σw², the seeds' form, with m the number of training
    /// samples (<paramref name="sampleCount"/>; 1 gives λ/2·Σw², whose gradient is λ·w).
    /// </summary>
    public static Regularizer L2(float lambda, int sampleCount = 1) => new L2Regularizer(Check(lambda), sampleCount);

    /// <summary>Elastic net: λ1·Σ|w| + λ2/(2m)·Σw².</summary>
    public static Regularizer L1L2(float l1, float l2, int sampleCount = 1) => new L1L2Regularizer(Check(l1), Check(l2), sampleCount);

    /// <summary>Weight elimination (Weigend et al.): λ·Σ (w/w0)² / (1 + (w/w0)²); small weights are pushed to zero, large ones barely penalised.</summary>
    public static Regularizer WeightElimination(float lambda, float scale = 1f)
    {
        if (!(scale > 0f)) throw new ArgumentOutOfRangeException(nameof(scale), $"WeightElimination: the scale w0 must be positive; got {scale}.");
        return new WeightEliminationRegularizer(Check(lambda), scale);
    }

    /// <summary>Reads a regulariser back from its <see cref="Name"/>.</summary>
    public static Regularizer FromJson(JsonNode node)
    {
        string name = node["name"]!.GetValue<string>();
        int open = name.IndexOf('(');
        if (open < 0 || !name.EndsWith(')')) throw new FormatException($"Unknown regulariser '{name}'.");
        float[] args = name[(open + 1)..^1].Split(',').Select(s => float.Parse(s.Split('=')[^1], CultureInfo.InvariantCulture)).ToArray();
        return name[..open] switch
        {
            "l1" => L1(args[0]),
            "l2" => L2(args[0], args.Length > 1 ? (int)args[1] : 1),
            "l1_l2" => L1L2(args[0], args[1], args.Length > 2 ? (int)args[2] : 1),
            "weight_elimination" => WeightElimination(args[0], args[1]),
            _ => throw new FormatException($"Unknown regulariser '{name}'."),
        };
    }

    private static float Check(float lambda)
    {
        if (!(lambda >= 0f) || float.IsInfinity(lambda))
            throw new ArgumentOutOfRangeException(nameof(lambda), $"A regularisation coefficient must be finite and non-negative; got {lambda}.");
        return lambda;
    }

    private static string F(float v) => v.ToString("G6", CultureInfo.InvariantCulture);

    private sealed class L1Regularizer(float lambda) : Regularizer
    {
        public override string Name => $"l1({F(lambda)})";
        public override Tensor Penalty(Tensor weight) => weight.Abs().Sum() * lambda;
    }

    private sealed class L2Regularizer(float lambda, int sampleCount) : Regularizer
    {
        public override string Name => sampleCount == 1 ? $"l2({F(lambda)})" : $"l2({F(lambda)},m={sampleCount})";
        public override Tensor Penalty(Tensor weight) => weight.Square().Sum() * (lambda / (2f * sampleCount));
    }

    private sealed class L1L2Regularizer(float l1, float l2, int sampleCount) : Regularizer
    {
        public override string Name => sampleCount == 1 ? $"l1_l2({F(l1)},{F(l2)})" : $"l1_l2({F(l1)},{F(l2)},m={sampleCount})";
        public override Tensor Penalty(Tensor weight) => weight.Abs().Sum() * l1 + weight.Square().Sum() * (l2 / (2f * sampleCount));
    }

    private sealed class WeightEliminationRegularizer(float lambda, float scale) : Regularizer
    {
        public override string Name => $"weight_elimination({F(lambda)},w0={F(scale)})";
        public override Tensor Penalty(Tensor weight)
        {
            Tensor ratio = (weight * (1f / scale)).Square();
            return (ratio / (ratio + 1f)).Sum() * lambda;
        }
    }
}

/// <summary>
/// A projection applied to a parameter after every optimiser step, keeping it in an allowed set.
/// </summary>
public abstract class Constraint
{
    /// <summary>Projects <paramref name="weight"/> in place.</summary>
    public abstract void Apply(Tensor weight);

    /// <summary>A name with the arguments, e.g. <c>max_norm(3)</c>.</summary>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>
    /// Max-norm (Srebro; Hinton et al.'s dropout paper): each unit's incoming weight vector (a row of a
    /// [out, in] weight) is rescaled to norm <paramref name="maxNorm"/> whenever ‖w‖ exceeds it.
    /// </summary>
    public static Constraint MaxNorm(float maxNorm)
    {
        if (!(maxNorm > 0f)) throw new ArgumentOutOfRangeException(nameof(maxNorm), $"MaxNorm: the bound c must be positive; got {maxNorm}.");
        return new MaxNormConstraint(maxNorm);
    }

    /// <summary>Clips every weight at 0 from below: w ← max(w, 0).</summary>
    public static Constraint NonNegative { get; } = new NonNegativeConstraint();

    /// <summary>Rescales each row to unit L2 norm.</summary>
    public static Constraint UnitNorm { get; } = new UnitNormConstraint();

    /// <summary>Reads a constraint back from its <see cref="Name"/>.</summary>
    public static Constraint FromName(string name) => name switch
    {
        "non_negative" => NonNegative,
        "unit_norm" => UnitNorm,
        _ when name.StartsWith("max_norm(", StringComparison.Ordinal) => MaxNorm(float.Parse(name[9..^1], CultureInfo.InvariantCulture)),
        _ => throw new FormatException($"Unknown constraint '{name}'."),
    };

    /// <summary>Rescales every row (a unit's incoming weights) whose L2 norm exceeds <paramref name="bound"/> down to it; with <paramref name="always"/>, every non-zero row to exactly it.</summary>
    private static void RescaleRows(Tensor weight, float bound, bool always)
    {
        int rows = weight.Rank == 0 ? 1 : weight.Shape[0];
        int columns = rows == 0 ? 0 : weight.Count / rows;
        Span<float> data = weight.Data;
        for (int r = 0; r < rows; r++)
        {
            Span<float> row = data.Slice(r * columns, columns);
            float norm = TensorPrimitives.Norm(row);
            if (norm > bound || (always && norm > 0f)) TensorPrimitives.Multiply(row, bound / norm, row);
        }
    }

    private sealed class MaxNormConstraint(float maxNorm) : Constraint
    {
        public override string Name => string.Create(CultureInfo.InvariantCulture, $"max_norm({maxNorm:G6})");

        public override void Apply(Tensor weight) => RescaleRows(weight, maxNorm, always: false);
    }

    private sealed class NonNegativeConstraint : Constraint
    {
        public override string Name => "non_negative";

        public override void Apply(Tensor weight)
        {
            Span<float> data = weight.Data;
            TensorPrimitives.Max(data, 0f, data);
        }
    }

    private sealed class UnitNormConstraint : Constraint
    {
        public override string Name => "unit_norm";

        public override void Apply(Tensor weight) => RescaleRows(weight, 1f, always: true);
    }
}
