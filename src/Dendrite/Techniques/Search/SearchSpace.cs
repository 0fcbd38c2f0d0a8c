using System.Globalization;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Search;

/// <summary>How a <see cref="Hyperparameter"/> is sampled and laid on a grid.</summary>
public enum HyperparameterKind
{
    /// <summary>A real number drawn uniformly in [low, high].</summary>
    Uniform,

    /// <summary>A positive real number whose logarithm is uniform in [ln low, ln high]: the seeds' advice for learning rates and regularisation strengths.</summary>
    LogUniform,

    /// <summary>An integer uniform in [low, high] (both included), e.g. a layer width.</summary>
    Integer,

    /// <summary>One of a list of options (architectures, activations, optimisers).</summary>
    Categorical,
}

/// <summary>One dimension of a <see cref="SearchSpace"/>.</summary>
public sealed class Hyperparameter
{
    private readonly string[] _options;

    private Hyperparameter(string name, HyperparameterKind kind, double low, double high, string[] options)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Kind = kind;
        Low = low;
        High = high;
        _options = options;
    }

    /// <summary>The name a <see cref="Configuration"/> is read by.</summary>
    public string Name { get; }

    /// <summary>How values are drawn.</summary>
    public HyperparameterKind Kind { get; }

    /// <summary>Lower bound (numeric kinds).</summary>
    public double Low { get; }

    /// <summary>Upper bound (numeric kinds).</summary>
    public double High { get; }

    /// <summary>The options (categorical kind).</summary>
    public IReadOnlyList<string> Options => _options;

    /// <summary>U[low, high].</summary>
    public static Hyperparameter Uniform(string name, double low, double high) =>
        high >= low ? new(name, HyperparameterKind.Uniform, low, high, []) : throw Bounds(name, low, high);

    /// <summary>exp(U[ln low, ln high]), for 0 &lt; low ≤ high.</summary>
    public static Hyperparameter LogUniform(string name, double low, double high) =>
        low > 0 && high >= low ? new(name, HyperparameterKind.LogUniform, low, high, []) : throw Bounds(name, low, high, "and positive");

    /// <summary>An integer uniform in [low, high].</summary>
    public static Hyperparameter Integer(string name, int low, int high) =>
        high >= low ? new(name, HyperparameterKind.Integer, low, high, []) : throw Bounds(name, low, high);

    /// <summary>One of <paramref name="options"/>.</summary>
    public static Hyperparameter Categorical(string name, params string[] options) =>
        options is { Length: > 0 } ? new(name, HyperparameterKind.Categorical, 0, options.Length - 1, [.. options])
            : throw new ArgumentException($"Hyperparameter '{name}': a categorical choice needs at least one option.", nameof(options));

    private static ArgumentException Bounds(string name, double low, double high, string extra = "") =>
        new($"Hyperparameter '{name}': needs low ≤ high {extra}; got [{low.ToString(CultureInfo.InvariantCulture)}, {high.ToString(CultureInfo.InvariantCulture)}].");

    /// <summary>A random value (a double, or the option index for categorical ones).</summary>
    public object Sample(RandomGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return Kind switch
        {
            HyperparameterKind.Uniform => Low + (High - Low) * generator.NextDouble(),
            HyperparameterKind.LogUniform => Math.Exp(Math.Log(Low) + (Math.Log(High) - Math.Log(Low)) * generator.NextDouble()),
            HyperparameterKind.Integer => (int)Low + generator.NextInt((int)High - (int)Low + 1),
            _ => _options[generator.NextInt(_options.Length)],
        };
    }

    /// <summary>
    /// <paramref name="points"/> evenly spaced values (log-spaced for log-uniform; every option for
    /// categorical ones, whatever <paramref name="points"/>; distinct integers for integer ones).
    /// </summary>
    public IReadOnlyList<object> Grid(int points)
    {
        if (Kind == HyperparameterKind.Categorical) return [.. _options];
        if (points <= 0) throw new ArgumentOutOfRangeException(nameof(points), $"Hyperparameter '{Name}': a grid needs at least one point; got {points}.");
        var values = new List<object>();
        for (int i = 0; i < points; i++)
        {
            double t = points == 1 ? 0.5 : i / (double)(points - 1);
            object value = Kind switch
            {
                HyperparameterKind.LogUniform => Math.Exp(Math.Log(Low) + t * (Math.Log(High) - Math.Log(Low))),
                HyperparameterKind.Integer => (int)Math.Round(Low + t * (High - Low)),
                _ => Low + t * (High - Low),
            };
            if (!values.Contains(value)) values.Add(value);
        }
        return values;
    }

    /// <summary>
    /// A narrower range centred on <paramref name="center"/>, <paramref name="factor"/> of the current
    /// width (on the log scale for log-uniform), clipped to the current bounds: coarse-to-fine search.
    /// Categorical dimensions are fixed to the centre option when <paramref name="fixCategorical"/>.
    /// </summary>
    public Hyperparameter Narrow(object center, double factor, bool fixCategorical = true)
    {
        ArgumentNullException.ThrowIfNull(center);
        switch (Kind)
        {
            case HyperparameterKind.Categorical:
                return fixCategorical ? Categorical(Name, (string)center) : this;
            case HyperparameterKind.LogUniform:
            {
                double c = Math.Log(Convert.ToDouble(center, CultureInfo.InvariantCulture));
                double half = 0.5 * factor * (Math.Log(High) - Math.Log(Low));
                return LogUniform(Name, Math.Exp(Math.Max(Math.Log(Low), c - half)), Math.Exp(Math.Min(Math.Log(High), c + half)));
            }
            case HyperparameterKind.Integer:
            {
                double c = Convert.ToDouble(center, CultureInfo.InvariantCulture);
                double half = 0.5 * factor * (High - Low);
                return Integer(Name, (int)Math.Max(Low, Math.Floor(c - half)), (int)Math.Min(High, Math.Ceiling(c + half)));
            }
            default:
            {
                double c = Convert.ToDouble(center, CultureInfo.InvariantCulture);
                double half = 0.5 * factor * (High - Low);
                return Uniform(Name, Math.Max(Low, c - half), Math.Min(High, c + half));
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Kind == HyperparameterKind.Categorical
        ? $"{Name} ∈ {{{string.Join(", ", _options)}}}"
        : string.Create(CultureInfo.InvariantCulture, $"{Name} ~ {Kind}[{Low:G4}, {High:G4}]");
}

/// <summary>The hyper-parameters to search over, each with its range or options.</summary>
public sealed class SearchSpace
{
    private readonly List<Hyperparameter> _dimensions = [];

    /// <summary>Creates a space from its dimensions (names must be distinct).</summary>
    public SearchSpace(params IEnumerable<Hyperparameter> dimensions)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        foreach (var d in dimensions) Add(d);
    }

    /// <summary>Adds a dimension; returns this space.</summary>
    public SearchSpace Add(Hyperparameter dimension)
    {
        ArgumentNullException.ThrowIfNull(dimension);
        if (_dimensions.Any(d => d.Name == dimension.Name)) throw new ArgumentException($"SearchSpace: '{dimension.Name}' is defined twice.", nameof(dimension));
        _dimensions.Add(dimension);
        return this;
    }

    /// <summary>The dimensions in order.</summary>
    public IReadOnlyList<Hyperparameter> Dimensions => _dimensions;

    /// <summary><paramref name="count"/> configurations drawn independently from <paramref name="generator"/>.</summary>
    public IReadOnlyList<Configuration> Random(int count, RandomGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var result = new List<Configuration>(count);
        for (int i = 0; i < count; i++)
            result.Add(new Configuration(_dimensions.Select(d => new KeyValuePair<string, object>(d.Name, d.Sample(generator)))));
        return result;
    }

    /// <summary>The full grid: every combination of each dimension's <see cref="Hyperparameter.Grid"/> values (<paramref name="pointsPerDimension"/> each, or per name).</summary>
    public IReadOnlyList<Configuration> Grid(int pointsPerDimension, IReadOnlyDictionary<string, int>? points = null)
    {
        IEnumerable<List<KeyValuePair<string, object>>> combos = [[]];
        foreach (var d in _dimensions)
        {
            int n = points is not null && points.TryGetValue(d.Name, out int own) ? own : pointsPerDimension;
            var values = d.Grid(n);
            combos = combos.SelectMany(c => values.Select(v => new List<KeyValuePair<string, object>>(c) { new(d.Name, v) })).ToList();
        }
        return combos.Select(c => new Configuration(c)).ToList();
    }

    /// <summary>A space narrowed around <paramref name="best"/> (see <see cref="Hyperparameter.Narrow"/>) for a finer second search.</summary>
    public SearchSpace Refine(Configuration best, double factor = 0.3, bool fixCategorical = true)
    {
        ArgumentNullException.ThrowIfNull(best);
        return new SearchSpace(_dimensions.Select(d => d.Narrow(best[d.Name], factor, fixCategorical)));
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join("; ", _dimensions);
}

/// <summary>One point of a search space: a value per hyper-parameter name.</summary>
public sealed class Configuration
{
    private readonly List<KeyValuePair<string, object>> _values;

    /// <summary>Creates a configuration from name-value pairs (doubles, ints or strings).</summary>
    public Configuration(IEnumerable<KeyValuePair<string, object>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = [.. values];
    }

    /// <summary>The value of <paramref name="name"/>.</summary>
    public object this[string name] => _values.FirstOrDefault(v => v.Key == name) is { Key: not null } pair ? pair.Value
        : throw new KeyNotFoundException($"Configuration has no hyper-parameter '{name}'; it has {string.Join(", ", _values.Select(v => v.Key))}.");

    /// <summary>The names and values in order.</summary>
    public IReadOnlyList<KeyValuePair<string, object>> Values => _values;

    /// <summary>A numeric value as double.</summary>
    public double Number(string name) => Convert.ToDouble(this[name], CultureInfo.InvariantCulture);

    /// <summary>A numeric value as float.</summary>
    public float Float(string name) => (float)Number(name);

    /// <summary>A numeric value rounded to an integer.</summary>
    public int Integer(string name) => (int)Math.Round(Number(name));

    /// <summary>A categorical value.</summary>
    public string Choice(string name) => this[name] as string ?? Convert.ToString(this[name], CultureInfo.InvariantCulture)!;

    /// <summary>Formats a value for tables: 4 significant digits for reals.</summary>
    public static string Format(object value) => value switch
    {
        double d => d.ToString("G4", CultureInfo.InvariantCulture),
        float f => f.ToString("G4", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    /// <inheritdoc/>
    public override string ToString() => string.Join(", ", _values.Select(v => $"{v.Key}={Format(v.Value)}"));
}
