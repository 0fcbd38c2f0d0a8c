using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dendrite.Training;

/// <summary>
/// Per-epoch values of the loss and metrics, for training (<c>loss</c>, <c>accuracy</c>) and
/// validation (<c>val_loss</c>, <c>val_accuracy</c>), plus the learning rate (<c>lr</c>), as
/// <c>Fit</c> returns it (Keras' <c>History</c>).
/// </summary>
public sealed class History
{
    private readonly Dictionary<string, List<double>> _values = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>Number of epochs recorded.</summary>
    public int Epochs { get; private set; }

    /// <summary>The keys recorded, in first-seen order.</summary>
    public IReadOnlyList<string> Keys => _order;

    /// <summary>The series for <paramref name="key"/>; a missing epoch value is NaN.</summary>
    public IReadOnlyList<double> this[string key] =>
        _values.TryGetValue(key, out var list) ? list : throw new KeyNotFoundException($"History has no '{key}'; it has {string.Join(", ", _order)}.");

    /// <summary>True when <paramref name="key"/> was recorded.</summary>
    public bool Contains(string key) => _values.ContainsKey(key);

    /// <summary>Appends one epoch's logs.</summary>
    public void Add(IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        foreach (var (key, _) in logs)
            if (!_values.ContainsKey(key))
            {
                _values[key] = Enumerable.Repeat(double.NaN, Epochs).ToList();
                _order.Add(key);
            }
        foreach (var key in _order) _values[key].Add(logs.TryGetValue(key, out double v) ? v : double.NaN);
        Epochs++;
    }

    /// <summary>Drops the epochs after the first <paramref name="epochs"/> (when a run resumes from a checkpoint).</summary>
    public void Truncate(int epochs)
    {
        foreach (var list in _values.Values) if (list.Count > epochs) list.RemoveRange(epochs, list.Count - epochs);
        Epochs = Math.Min(Epochs, epochs);
    }

    /// <summary>The history as CSV: a header <c>epoch,loss,...</c> and one row per epoch (epochs from 1).</summary>
    public string ToCsv()
    {
        var builder = new StringBuilder("epoch");
        foreach (var key in _order) builder.Append(',').Append(key);
        builder.AppendLine();
        for (int e = 0; e < Epochs; e++)
        {
            builder.Append(e + 1);
            foreach (var key in _order) builder.Append(',').Append(_values[key][e].ToString("R", CultureInfo.InvariantCulture));
            builder.AppendLine();
        }
        return builder.ToString();
    }

    /// <summary>The history as a JSON object of arrays (<c>{"loss": [...], ...}</c>); NaN is written as null.</summary>
    public string ToJson()
    {
        var root = new JsonObject();
        foreach (var key in _order)
            root[key] = new JsonArray(_values[key].Select(v => double.IsFinite(v) ? JsonValue.Create(v) : null).ToArray<JsonNode?>());
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads a history written by <see cref="ToJson"/>.</summary>
    public static History FromJson(string json)
    {
        var root = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("A history must be a JSON object of arrays.");
        var history = new History();
        int epochs = root.Select(kv => (kv.Value as JsonArray)?.Count ?? 0).DefaultIfEmpty(0).Max();
        for (int e = 0; e < epochs; e++)
        {
            var logs = new Dictionary<string, double>();
            foreach (var (key, value) in root)
            {
                var array = value as JsonArray ?? throw new FormatException($"History entry '{key}' is not an array.");
                logs[key] = e < array.Count && array[e] is JsonNode node ? node.GetValue<double>() : double.NaN;
            }
            history.Add(logs);
        }
        return history;
    }
}
