using System.Globalization;
using System.IO.Compression;
using System.Text;
using Dendrite.Tensors;

namespace Dendrite.Data;

/// <summary>
/// Reads numeric CSV files into a <see cref="Dataset"/>: every column a number (invariant culture:
/// <c>.</c> as the decimal point), one of them the label. The file is streamed line by line, so its
/// size is bounded by memory for the numbers, not for the text. Gzip-compressed files are recognised
/// by their magic bytes and read the same way.
/// </summary>
/// <remarks>
/// Any problem is one <see cref="DataFormatException"/> naming the file, the line and the field:
/// <list type="bullet">
/// <item><c>iris.csv line 17, column 'petal_length' (3): missing value</c> (an empty cell, or NaN);</item>
/// <item><c>iris.csv line 17, column 'petal_length' (3): 'abc' is not a number</c>;</item>
/// <item><c>iris.csv line 9 has 4 fields but the header has 5</c>.</item>
/// </list>
/// Lines are numbered from 1 as a text editor does, header included; columns from 1. Blank lines are
/// skipped. Fields may be quoted (<c>"1.5"</c>, with <c>""</c> for a quote inside); a quoted field
/// cannot span lines.
/// </remarks>
public static class CsvReader
{
    private const int MaxQuotedCellLength = 40;

    /// <summary>Reads the CSV file at <paramref name="path"/> (plain or gzip) into a data set.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">How to read it; null for <see cref="CsvOptions.Default"/>.</param>
    /// <returns>Features [N, d] (every column but the label) and targets [N] (classification) or [N, 1] (regression), with the header's names when there is one.</returns>
    /// <exception cref="DataFormatException">A missing value, a non-numeric cell, a ragged row, a label column that does not exist, or no data rows.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static Dataset Read(string path, CsvOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= CsvOptions.Default;
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        Span<byte> magic = stackalloc byte[2];
        int got = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        bool gzip = got == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        try
        {
            return Read(reader, options, path, DefaultName(path));
        }
        catch (InvalidDataException error) when (gzip)
        {
            throw new DataFormatException(path, $"{path} starts like a gzip file but cannot be decompressed ({error.Message}); the file is damaged or truncated.", null, null);
        }
    }

    /// <summary>Reads CSV text from <paramref name="reader"/> to its end into a data set (see <see cref="Read(string, CsvOptions?)"/>).</summary>
    /// <param name="reader">The text.</param>
    /// <param name="options">How to read it; null for <see cref="CsvOptions.Default"/>.</param>
    /// <param name="sourceName">What to call the text in error messages.</param>
    public static Dataset Read(TextReader reader, CsvOptions? options = null, string sourceName = "stream")
    {
        ArgumentNullException.ThrowIfNull(reader);
        return Read(reader, options ?? CsvOptions.Default, sourceName, sourceName);
    }

    private static string DefaultName(string path)
    {
        string name = Path.GetFileName(path);
        if (name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) name = name[..^3];
        return Path.GetFileNameWithoutExtension(name);
    }

    private static Dataset Read(TextReader reader, CsvOptions options, string source, string defaultName)
    {
        var table = ReadTable(reader, options, source, linesBefore: 0);
        return table.ToDataset(options.Name ?? defaultName, source);
    }

    /// <summary>
    /// Parses the lines of <paramref name="reader"/> into numbers. <paramref name="linesBefore"/> is how
    /// many lines the caller has read already, so that messages give the line numbers of the file.
    /// </summary>
    internal static CsvTable ReadTable(TextReader reader, CsvOptions options, string source, int linesBefore)
    {
        long lineNumber = linesBefore;
        string? line;
        // First non-blank line: separator, field count, header.
        do
        {
            line = reader.ReadLine();
            lineNumber++;
        } while (line is not null && string.IsNullOrWhiteSpace(line));
        if (line is null)
            throw new DataFormatException(source, $"{source} is empty: it has no data rows.", null, null);

        char separator = options.Separator ?? DetectSeparator(line);
        var fields = new Range[16];
        int fieldCount = Split(line, separator, ref fields);
        long firstLine = lineNumber;
        if (fieldCount < 2)
            throw new DataFormatException(source, string.Create(CultureInfo.InvariantCulture,
                $"{source} line {lineNumber} has 1 field (separator '{Describe(separator)}'); a data set needs at least one feature column and a label column. Set CsvOptions.Separator if the file uses another separator."), lineNumber, null);

        bool hasHeader = options.HasHeader ?? (options.LabelColumnName is not null || LooksLikeHeader(line, fields.AsSpan(0, fieldCount), ResolveIndex(options.LabelColumn, fieldCount)));
        string[]? columnNames = null;
        if (hasHeader)
        {
            columnNames = new string[fieldCount];
            for (int i = 0; i < fieldCount; i++) columnNames[i] = Cell(line, fields[i]).ToString();
        }

        int labelColumn = ResolveLabelColumn(options, columnNames, fieldCount, source, firstLine);
        var table = new CsvTable(options.Task, columnNames, labelColumn, fieldCount, source);
        if (!hasHeader) table.AddRow(line, fields, lineNumber);

        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            int count = Split(line, separator, ref fields);
            if (count != fieldCount)
            {
                string reference = hasHeader ? $"the header has {fieldCount}" : $"line {firstLine} has {fieldCount}";
                throw new DataFormatException(source, string.Create(CultureInfo.InvariantCulture,
                    $"{source} line {lineNumber} has {count} field{(count == 1 ? "" : "s")} but {reference}."), lineNumber, null);
            }
            table.AddRow(line, fields, lineNumber);
        }
        if (table.Rows == 0)
            throw new DataFormatException(source, $"{source} has a header but no data rows.", null, null);
        return table;
    }

    private static int ResolveIndex(int column, int fieldCount) => column < 0 ? column + fieldCount : column;

    private static int ResolveLabelColumn(CsvOptions options, string[]? columnNames, int fieldCount, string source, long headerLine)
    {
        if (options.LabelColumnName is string wanted)
        {
            if (columnNames is null)
                throw new DataFormatException(source, $"{source}: the label column is named '{wanted}', but the file has no header (CsvOptions.HasHeader is false); give the column's index in CsvOptions.LabelColumn instead.", null, null);
            int index = Array.IndexOf(columnNames, wanted);
            if (index < 0) index = Array.FindIndex(columnNames, name => string.Equals(name, wanted, StringComparison.OrdinalIgnoreCase));
            if (index < 0)
                throw new DataFormatException(source, $"{source} line {headerLine}: there is no column named '{wanted}'; the header has {string.Join(", ", columnNames.Select(name => $"'{name}'"))}.", headerLine, wanted);
            return index;
        }
        int resolved = ResolveIndex(options.LabelColumn, fieldCount);
        if ((uint)resolved >= (uint)fieldCount)
            throw new DataFormatException(source, string.Create(CultureInfo.InvariantCulture,
                $"{source} has {fieldCount} columns, so label column {options.LabelColumn} does not exist; use 0..{fieldCount - 1}, or -1..-{fieldCount} to count from the end."), null, null);
        return resolved;
    }

    private static bool LooksLikeHeader(string line, ReadOnlySpan<Range> fields, int labelColumn)
    {
        for (int i = 0; i < fields.Length; i++)
        {
            if (i == labelColumn) continue;
            ReadOnlySpan<char> cell = Cell(line, fields[i]);
            if (cell.Length > 0 && !double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) return true;
        }
        return false;
    }

    private static char DetectSeparator(string line)
    {
        int commas = 0, semicolons = 0, tabs = 0;
        bool quoted = false;
        foreach (char c in line)
        {
            if (c == '"') quoted = !quoted;
            else if (!quoted)
            {
                if (c == ',') commas++;
                else if (c == ';') semicolons++;
                else if (c == '\t') tabs++;
            }
        }
        if (semicolons > commas && semicolons >= tabs) return ';';
        if (tabs > commas && tabs > semicolons) return '\t';
        return ',';
    }

    internal static string Describe(char separator) => separator == '\t' ? "\\t" : separator.ToString();

    /// <summary>Splits <paramref name="line"/> at <paramref name="separator"/> outside quotes; returns the number of fields.</summary>
    internal static int Split(string line, char separator, ref Range[] fields)
    {
        int count = 0;
        int position = 0;
        while (true)
        {
            int start = position;
            // Skip leading blanks to see whether the field is quoted.
            int probe = start;
            while (probe < line.Length && line[probe] == ' ') probe++;
            if (probe < line.Length && line[probe] == '"')
            {
                int i = probe + 1;
                while (i < line.Length)
                {
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"') i += 2;
                        else break;
                    }
                    else i++;
                }
                position = i < line.Length ? i + 1 : line.Length;
            }
            int end = line.IndexOf(separator, position);
            if (count == fields.Length) Array.Resize(ref fields, count * 2);
            if (end < 0)
            {
                fields[count++] = new Range(start, line.Length);
                return count;
            }
            fields[count++] = new Range(start, end);
            position = end + 1;
        }
    }

    /// <summary>A field's text: trimmed, and without its quotes when quoted (doubled quotes inside become one).</summary>
    internal static ReadOnlySpan<char> Cell(string line, Range field)
    {
        ReadOnlySpan<char> cell = line.AsSpan()[field].Trim();
        if (cell.Length >= 2 && cell[0] == '"' && cell[^1] == '"')
        {
            cell = cell[1..^1];
            if (cell.Contains("\"\"", StringComparison.Ordinal)) return cell.ToString().Replace("\"\"", "\"", StringComparison.Ordinal);
        }
        return cell;
    }

    internal static string Quote(ReadOnlySpan<char> cell) =>
        cell.Length <= MaxQuotedCellLength ? $"'{cell}'" : $"'{cell[..MaxQuotedCellLength]}...'";
}

/// <summary>The numbers of a CSV file as they are read: features row by row, labels as text ids or values.</summary>
internal sealed class CsvTable
{
    private readonly PredictionTask _task;
    private readonly string[]? _columnNames;
    private readonly int _labelColumn;
    private readonly int _fieldCount;
    private readonly string _source;
    private float[] _features = new float[1024];
    private int _featureCount;
    private float[] _targets = new float[256];
    // Classification: each distinct label text gets an id in order of first appearance.
    private readonly Dictionary<string, int> _labelIds = new(StringComparer.Ordinal);
    private readonly List<string> _labelTexts = [];
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _labelLookup;

    public CsvTable(PredictionTask task, string[]? columnNames, int labelColumn, int fieldCount, string source)
    {
        _task = task;
        _columnNames = columnNames;
        _labelColumn = labelColumn;
        _fieldCount = fieldCount;
        _source = source;
        _labelLookup = _labelIds.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Rows { get; private set; }

    public void AddRow(string line, Range[] fields, long lineNumber)
    {
        int featuresPerRow = _fieldCount - 1;
        if (_featureCount + featuresPerRow > _features.Length) Grow(ref _features, _featureCount + featuresPerRow);
        if (Rows == _targets.Length) Grow(ref _targets, Rows + 1);
        for (int column = 0; column < _fieldCount; column++)
        {
            ReadOnlySpan<char> cell = CsvReader.Cell(line, fields[column]);
            if (column == _labelColumn && _task == PredictionTask.Classification)
            {
                if (IsMissing(cell)) throw Missing(lineNumber, column);
                _targets[Rows] = LabelId(cell);
                continue;
            }
            if (IsMissing(cell)) throw Missing(lineNumber, column);
            if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value) || Math.Abs(value) > float.MaxValue)
                throw NotANumber(lineNumber, column, cell);
            if (column == _labelColumn) _targets[Rows] = (float)value;
            else _features[_featureCount++] = (float)value;
        }
        Rows++;
    }

    private int LabelId(ReadOnlySpan<char> cell)
    {
        if (_labelLookup.TryGetValue(cell, out int id)) return id;
        string text = cell.ToString();
        id = _labelTexts.Count;
        _labelIds.Add(text, id);
        _labelTexts.Add(text);
        return id;
    }

    private static bool IsMissing(ReadOnlySpan<char> cell) =>
        cell.IsEmpty || cell.Equals("nan", StringComparison.OrdinalIgnoreCase);

    private string FieldName(int column) => _columnNames is null
        ? string.Create(CultureInfo.InvariantCulture, $"column {column + 1}")
        : string.Create(CultureInfo.InvariantCulture, $"column '{_columnNames[column]}' ({column + 1})");

    private DataFormatException Missing(long lineNumber, int column)
    {
        string field = FieldName(column);
        return new DataFormatException(_source, string.Create(CultureInfo.InvariantCulture, $"{_source} line {lineNumber}, {field}: missing value"), lineNumber, field);
    }

    private DataFormatException NotANumber(long lineNumber, int column, ReadOnlySpan<char> cell)
    {
        string field = FieldName(column);
        string hint = "";
        if (column == _labelColumn) hint = "; regression targets must be numbers (use PredictionTask.Classification for class labels)";
        else if (cell.IndexOfAny(",;\t") >= 0) hint = "; if it is a list of numbers, the file may use another separator (set CsvOptions.Separator)";
        else if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            hint = double.IsInfinity(value) ? "; infinite values are not allowed" : "; it is beyond the range of float32";
        return new DataFormatException(_source, string.Create(CultureInfo.InvariantCulture,
            $"{_source} line {lineNumber}, {field}: {CsvReader.Quote(cell)} is not a number{hint}"), lineNumber, field);
    }

    private static void Grow(ref float[] array, int needed)
    {
        long size = Math.Max((long)array.Length * 2, needed);
        Array.Resize(ref array, (int)Math.Min(size, Array.MaxLength));
    }

    /// <summary>The names of the feature columns (all but the label), or null without a header.</summary>
    public string[]? FeatureNames => _columnNames?.Where((_, i) => i != _labelColumn).ToArray();

    /// <summary>Builds the data set; <paramref name="classNames"/> replaces the names read from the labels when given.</summary>
    public Dataset ToDataset(string name, string source, IReadOnlyList<string>? classNames = null, IReadOnlyList<string>? featureNames = null)
    {
        int featuresPerRow = _fieldCount - 1;
        var features = Tensor.Wrap(Exact(_features, Rows * featuresPerRow), new Shape(Rows, featuresPerRow));
        float[] targets = Exact(_targets, Rows);
        featureNames ??= FeatureNames;
        if (_task == PredictionTask.Regression)
            return Dataset.ForRegression(features, Tensor.Wrap(targets, new Shape(Rows, 1)), name, featureNames);

        string[] names = SortClasses(targets);
        if (classNames is not null)
        {
            if (classNames.Count < names.Length)
                throw new DataFormatException(source, $"{source} has {names.Length} distinct labels but {classNames.Count} class names.", null, null);
            return Dataset.ForClassification(features, Tensor.Wrap(targets, new Shape(Rows)), classNames, name, featureNames);
        }
        return Dataset.ForClassification(features, Tensor.Wrap(targets, new Shape(Rows)), names, name, featureNames);
    }

    /// <summary>
    /// Renumbers the label ids (order of first appearance) as sorted class indices, in place, and
    /// returns the class names: numbers in numeric order when every label is a number, else texts in
    /// ordinal order.
    /// </summary>
    private string[] SortClasses(Span<float> targets)
    {
        int distinct = _labelTexts.Count;
        var numeric = new double[distinct];
        bool allNumeric = true;
        for (int i = 0; i < distinct && allNumeric; i++)
            allNumeric = double.TryParse(_labelTexts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out numeric[i]) && double.IsFinite(numeric[i]);

        var classOfId = new int[distinct];
        string[] names;
        if (allNumeric)
        {
            // "1" and "1.0" are the same class.
            double[] values = numeric.Distinct().Order().ToArray();
            for (int i = 0; i < distinct; i++) classOfId[i] = Array.BinarySearch(values, numeric[i]);
            names = values.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray();
        }
        else
        {
            names = _labelTexts.Order(StringComparer.Ordinal).ToArray();
            for (int i = 0; i < distinct; i++) classOfId[i] = Array.BinarySearch(names, _labelTexts[i], StringComparer.Ordinal);
        }
        for (int i = 0; i < targets.Length; i++) targets[i] = classOfId[(int)targets[i]];
        return names;
    }

    private static float[] Exact(float[] array, int length)
    {
        if (array.Length == length) return array;
        Array.Resize(ref array, length);
        return array;
    }
}
