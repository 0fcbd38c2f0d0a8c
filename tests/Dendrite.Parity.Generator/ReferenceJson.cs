using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Dendrite.Parity.Generator;

/// <summary>
/// Writes a <see cref="CaseResult"/> in the format of tests/reference/README.md: one tensor per line,
/// so that a diff after regeneration shows which tensors changed.
/// </summary>
static class ReferenceJson
{
    static readonly JsonSerializerOptions StringOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(CaseResult r)
    {
        var sb = new StringBuilder();
        sb.Append("{\n");
        sb.Append("  \"name\": ").Append(Str(r.Case.Name)).Append(",\n");
        sb.Append("  \"op\": ").Append(Str(r.Case.Op)).Append(",\n");
        sb.Append("  \"description\": ").Append(Str(r.Case.Description)).Append(",\n");
        sb.Append("  \"attributes\": {");
        if (r.Case.Attributes.Length > 0)
            sb.Append(' ').Append(string.Join(", ", r.Case.Attributes.Select(a => $"{Str(a.Key)}: {Value(a.Value)}"))).Append(' ');
        sb.Append("},\n");
        Array(sb, "inputs", r.Inputs, last: false);
        Array(sb, "outputs", r.Outputs, last: false);
        Array(sb, "grad_outputs", r.GradOutputs, last: false);
        Array(sb, "grads", r.Grads, last: true);
        sb.Append("}\n");
        return sb.ToString();
    }

    static void Array(StringBuilder sb, string key, TensorRecord?[] items, bool last)
    {
        sb.Append("  ").Append(Str(key)).Append(": [");
        for (int i = 0; i < items.Length; i++)
            sb.Append(i == 0 ? "\n    " : ",\n    ").Append(items[i] is { } t ? Tensor(t) : "null");
        sb.Append(items.Length > 0 ? "\n  ]" : "]").Append(last ? "\n" : ",\n");
    }

    internal static string Tensor(TensorRecord t)
    {
        var sb = new StringBuilder("{ \"shape\": [");
        sb.Append(string.Join(", ", t.Shape)).Append(']');
        if (t.DType is not null)
            sb.Append(", \"dtype\": ").Append(Str(t.DType));
        if (t.RequiresGrad is { } rg)
            sb.Append(", \"requires_grad\": ").Append(rg ? "true" : "false");
        sb.Append(", \"data\": [").Append(string.Join(", ", t.Values)).Append("] }");
        return sb.ToString();
    }

    internal static string Str(string s) => JsonSerializer.Serialize(s, StringOptions);

    internal static string Value(object? v) => v switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        string s => Str(s),
        int or long => Convert.ToInt64(v, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IEnumerable e => "[" + string.Join(", ", e.Cast<object>().Select(Value)) + "]",
        _ => throw new ArgumentException($"attribute value of type {v.GetType().Name} is not in the format"),
    };
}
