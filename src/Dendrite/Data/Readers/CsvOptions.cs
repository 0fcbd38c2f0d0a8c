namespace Dendrite.Data;

/// <summary>How <see cref="CsvReader"/> reads a numeric CSV file. Every option has a default that fits the common case.</summary>
/// <example><c>CsvReader.Read("iris.csv", new CsvOptions { LabelColumnName = "species" })</c></example>
public sealed record CsvOptions
{
    /// <summary>The defaults: header and separator detected, label in the last column, classification.</summary>
    public static CsvOptions Default { get; } = new();

    /// <summary>
    /// Whether the first line names the columns. Null (the default) detects it: the first line is a
    /// header when any of its cells outside the label column is text that is not a number (always,
    /// when <see cref="LabelColumnName"/> is set).
    /// </summary>
    public bool? HasHeader { get; init; }

    /// <summary>The field separator; null (the default) picks the most frequent of comma, semicolon and tab in the first line (comma on a tie or when none occurs).</summary>
    public char? Separator { get; init; }

    /// <summary>The 0-based index of the label (target) column; negative counts from the end. Default -1: the last column. Ignored when <see cref="LabelColumnName"/> is set.</summary>
    public int LabelColumn { get; init; } = -1;

    /// <summary>The header name of the label column (exact match first, then ignoring case); null to use <see cref="LabelColumn"/>.</summary>
    public string? LabelColumnName { get; init; }

    /// <summary>
    /// Classification (the default) maps the label values to class indices 0..k-1 in sorted order
    /// (numeric order when every label is a number, ordinal text order otherwise) and keeps the
    /// original labels as class names; regression reads the label column as a real-valued target [N, 1].
    /// </summary>
    public PredictionTask Task { get; init; } = PredictionTask.Classification;

    /// <summary>The data set's name; null uses the file name without its extension.</summary>
    public string? Name { get; init; }
}
