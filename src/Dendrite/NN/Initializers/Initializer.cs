using System.Globalization;
using Dendrite.Tensors;

namespace Dendrite.NN.Initializers;

/// <summary>
/// Sets a parameter's starting values from its fan-in n_in (inputs per unit) and fan-out n_out.
/// The built-ins are the static members; each doc comment gives the formula.
/// </summary>
public abstract class Initializer
{
    /// <summary>The name shown by the model summary and written to the architecture JSON.</summary>
    public abstract string Name { get; }

    /// <summary>Fills <paramref name="tensor"/> (contiguous) for a layer with the given fan-in and fan-out.</summary>
    public abstract void Initialize(Tensor tensor, int fanIn, int fanOut, RandomGenerator generator);

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>N(0, 1): every weight a standard normal sample (the seeds' naive start; saturates wide layers).</summary>
    public static Initializer StandardNormal { get; } = new NormalInitializer("standard_normal", (_, _) => 1.0);

    /// <summary>N(0, (1/√n_in)²): standard deviation 1/√n_in, so a unit's weighted input has variance about 1 (use <see cref="StandardNormal"/> for the biases, as the seeds do).</summary>
    public static Initializer ScaledNormal { get; } = new NormalInitializer("normal_1/sqrt(n_in)", (fanIn, _) => 1.0 / Math.Sqrt(Math.Max(fanIn, 1)));

    /// <summary>LeCun normal: N(0, 1/n_in).</summary>
    public static Initializer LecunNormal { get; } = new NormalInitializer("lecun_normal", (fanIn, _) => Math.Sqrt(1.0 / Math.Max(fanIn, 1)));

    /// <summary>LeCun uniform: U[−√(3/n_in), +√(3/n_in)] (variance 1/n_in).</summary>
    public static Initializer LecunUniform { get; } = new UniformInitializer("lecun_uniform", (fanIn, _) => Math.Sqrt(3.0 / Math.Max(fanIn, 1)));

    /// <summary>Xavier/Glorot uniform: U[±gain·√(6/(n_in + n_out))]. The seeds use gain 4 for sigmoid units.</summary>
    public static Initializer GlorotUniform(float gain = 1f) =>
        new UniformInitializer(WithGain("glorot_uniform", gain), (fanIn, fanOut) => gain * Math.Sqrt(6.0 / Math.Max(fanIn + fanOut, 1)));

    /// <summary>Xavier/Glorot normal: N(0, gain²·2/(n_in + n_out)).</summary>
    public static Initializer GlorotNormal(float gain = 1f) =>
        new NormalInitializer(WithGain("glorot_normal", gain), (fanIn, fanOut) => gain * Math.Sqrt(2.0 / Math.Max(fanIn + fanOut, 1)));

    /// <summary>He/Kaiming uniform: U[±√(6/n_in)] (variance 2/n_in, for ReLU units).</summary>
    public static Initializer HeUniform { get; } = new UniformInitializer("he_uniform", (fanIn, _) => Math.Sqrt(6.0 / Math.Max(fanIn, 1)));

    /// <summary>He/Kaiming normal: N(0, 2/n_in).</summary>
    public static Initializer HeNormal { get; } = new NormalInitializer("he_normal", (fanIn, _) => Math.Sqrt(2.0 / Math.Max(fanIn, 1)));

    /// <summary>The classic ±2.4/n_in rule (Haykin): U[−2.4/n_in, +2.4/n_in].</summary>
    public static Initializer Uniform2Point4 { get; } = new UniformInitializer("uniform_2.4/n_in", (fanIn, _) => 2.4 / Math.Max(fanIn, 1));

    /// <summary>U[<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static Initializer Uniform(float low, float high) => new RangeInitializer(low, high);

    /// <summary>N(<paramref name="mean"/>, <paramref name="standardDeviation"/>²).</summary>
    public static Initializer Normal(float mean, float standardDeviation) => new FixedNormalInitializer(mean, standardDeviation);

    /// <summary>A (semi-)orthogonal matrix times <paramref name="gain"/> (Saxe et al.): rows or columns orthonormal; the tensor is seen as [shape[0], rest].</summary>
    public static Initializer Orthogonal(float gain = 1f) => new OrthogonalInitializer(gain);

    /// <summary>All zeros (the usual bias initialiser).</summary>
    public static Initializer Zeros { get; } = new ConstantInitializer(0f);

    /// <summary>Every element <paramref name="value"/>.</summary>
    public static Initializer Constant(float value) => new ConstantInitializer(value);

    private static string WithGain(string name, float gain) =>
        gain == 1f ? name : string.Create(CultureInfo.InvariantCulture, $"{name}(gain={gain:G4})");

    /// <summary>Looks a built-in initialiser up by the name the summary shows (for the architecture JSON and the CLI's <c>--init</c>).</summary>
    public static Initializer FromName(string name)
    {
        string key = name.Trim().ToLowerInvariant();
        static float GainOf(string key)
        {
            int open = key.IndexOf("gain=", StringComparison.Ordinal);
            return open < 0 ? 1f : float.Parse(key[(open + 5)..].TrimEnd(')'), CultureInfo.InvariantCulture);
        }
        if (key.StartsWith("glorot_uniform", StringComparison.Ordinal) || key.StartsWith("xavier_uniform", StringComparison.Ordinal) || key == "glorot" || key == "xavier") return GlorotUniform(GainOf(key));
        if (key.StartsWith("glorot_normal", StringComparison.Ordinal) || key.StartsWith("xavier_normal", StringComparison.Ordinal)) return GlorotNormal(GainOf(key));
        if (key.StartsWith("orthogonal", StringComparison.Ordinal)) return Orthogonal(GainOf(key));
        if (key.StartsWith("constant(", StringComparison.Ordinal)) return Constant(float.Parse(key[9..^1], CultureInfo.InvariantCulture));
        if (key.StartsWith("uniform(", StringComparison.Ordinal) || key.StartsWith("normal(", StringComparison.Ordinal))
        {
            string[] parts = key[(key.IndexOf('(') + 1)..^1].Split(',');
            float a = float.Parse(parts[0], CultureInfo.InvariantCulture), b = float.Parse(parts[1], CultureInfo.InvariantCulture);
            return key[0] == 'u' ? Uniform(a, b) : Normal(a, b);
        }
        return key switch
        {
            "standard_normal" or "normal" => StandardNormal,
            "normal_1/sqrt(n_in)" or "scaled_normal" => ScaledNormal,
            "lecun_normal" or "lecun" => LecunNormal,
            "lecun_uniform" => LecunUniform,
            "he_uniform" or "kaiming_uniform" => HeUniform,
            "he_normal" or "kaiming_normal" or "he" or "kaiming" => HeNormal,
            "uniform_2.4/n_in" or "haykin" => Uniform2Point4,
            "zeros" or "zero" => Zeros,
            _ => throw new ArgumentException(
                $"Unknown initialiser '{name}'. Known: standard_normal, scaled_normal, lecun_normal, lecun_uniform, glorot_uniform, glorot_normal (optionally (gain=g)), he_uniform, he_normal, uniform_2.4/n_in, orthogonal, zeros, constant(v), uniform(a,b), normal(m,s).", nameof(name)),
        };
    }

    private sealed class NormalInitializer(string name, Func<int, int, double> standardDeviation) : Initializer
    {
        public override string Name => name;

        public override void Initialize(Tensor tensor, int fanIn, int fanOut, RandomGenerator generator) =>
            generator.FillNormal(tensor.Data, 0f, (float)standardDeviation(fanIn, fanOut));
    }

    private sealed class UniformInitializer(string name, Func<int, int, double> limit) : Initializer
    {
        public override string Name => name;

        public override void Initialize(Tensor tensor, int fanIn, int fanOut, RandomGenerator generator)
        {
            float bound = (float)limit(fanIn, fanOut);
            generator.FillUniform(tensor.Data, -bound, bound);
        }
    }

    private sealed class RangeInitializer(float low, float high) : Initializer
    {
        public override string Name => string.Create(CultureInfo.InvariantCulture, $"uniform({low:G6},{high:G6})");

        public override void Initialize(Tensor tensor, int fanIn, int fanOut, RandomGenerator generator) => generator.FillUniform(tensor.Data, low, high);
    }

    private sealed class FixedNormalInitializer(float mean, float standardDeviation) : Initializer
    {
        public override string Name => string.Create(CultureInfo.InvariantCulture, $"normal({mean:G6},{standardDeviation:G6})");

        public override void Initialize(Tensor tensor, int fanIn, int fanOut, RandomGenerator generator) => generator.FillNormal(tensor.Data, mean, standardDeviation);
    }

    private sealed class ConstantInitializer(float value) : Initializer
    {
        public override string Name => value == 0f ? "zeros" : string.Create(CultureInfo.InvariantCulture, $"constant({value:G6})");

        public override void Initialize(Tensor tensor, int fanIn, int fanOut, RandomGenerator generator) => tensor.Data.Fill(value);
    }

    private sealed class OrthogonalInitializer(float gain) : Initializer
    {
        public override string Name => WithGain("orthogonal", gain);

        public override void Initialize(Tensor tensor, int fanIn, int fanOut, RandomGenerator generator)
        {
            int rows = tensor.Rank == 0 ? 1 : tensor.Shape[0];
            int columns = rows == 0 ? 0 : tensor.Count / rows;
            // Orthonormalise the longer side's vectors by modified Gram-Schmidt in double.
            bool transpose = rows > columns;
            int vectors = transpose ? columns : rows, length = transpose ? rows : columns;
            var q = new double[vectors, length];
            for (int i = 0; i < vectors; i++)
            {
                for (int j = 0; j < length; j++) q[i, j] = generator.NextNormal();
                for (int pass = 0; pass < 2; pass++)
                    for (int k = 0; k < i; k++)
                    {
                        double dot = 0;
                        for (int j = 0; j < length; j++) dot += q[i, j] * q[k, j];
                        for (int j = 0; j < length; j++) q[i, j] -= dot * q[k, j];
                    }
                double norm = 0;
                for (int j = 0; j < length; j++) norm += q[i, j] * q[i, j];
                norm = Math.Sqrt(norm);
                for (int j = 0; j < length; j++) q[i, j] /= norm;
            }
            Span<float> data = tensor.Data;
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                    data[r * columns + c] = (float)(gain * (transpose ? q[c, r] : q[r, c]));
        }
    }
}
