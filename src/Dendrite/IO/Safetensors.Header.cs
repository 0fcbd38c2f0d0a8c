using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Dendrite.Tensors;

namespace Dendrite.IO;

// The header of a file being read: parsed and checked against the file before any tensor is allocated.
public static partial class Safetensors
{
    /// <summary>One tensor's header entry, checked: its data is [Begin, End) of the data buffer.</summary>
    private sealed record Entry(string Name, SafetensorsDType DType, int[] Dimensions, int Count, long Begin, long End);

    /// <summary>
    /// Parses and checks the header; returns the entries sorted by offset (they then tile the data
    /// buffer exactly) and the metadata.
    /// </summary>
    /// <remarks>
    /// A streaming reader rather than a JsonDocument: a document's token table costs about 12 bytes
    /// per token, so a hostile 100 MB header of <c>[0,0,0,...]</c> would cost 600 MB before any check.
    /// Streaming, a tenth dimension or a third offset is rejected the moment it is read, and memory
    /// stays proportional to the number of tensors.
    /// </remarks>
    private static (List<Entry> Entries, Dictionary<string, string> Metadata) ParseHeader(byte[] header, long dataLength, long fileLength, string source)
    {
        if (!Utf8.IsValid(header))
            throw Failure(source, $"the {header.Length}-byte header is not valid UTF-8; it is corrupt or not a safetensors file.");
        // The real structure is 3 deep (object, entry, shape); anything much deeper is hostile.
        // Comments and trailing commas are refused (the reader's defaults), as in the Python library.
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 16 });
        try
        {
            return ParseRoot(ref reader, dataLength, fileLength, source);
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException(source, $"the {header.Length}-byte header is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // GetString throws this for escapes that decode to invalid UTF-16 (a lone \uD800).
            throw new SafetensorsFormatException(source, $"the header holds a string that is not valid text: {e.Message}", e);
        }
    }

    private static (List<Entry> Entries, Dictionary<string, string> Metadata) ParseRoot(ref Utf8JsonReader reader, long dataLength, long fileLength, string source)
    {
        Next(ref reader);
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Failure(source, $"the header must be a JSON object {{\"name\": {{\"dtype\", \"shape\", \"data_offsets\"}}, ...}} but is {Describe(ref reader)}.");

        var entries = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject) break;
            string name = reader.GetString()!;
            Next(ref reader);
            if (name == MetadataKey)
            {
                if (metadata is not null) throw Failure(source, $"the header has \"{MetadataKey}\" twice.");
                metadata = ParseMetadata(ref reader, source);
                continue;
            }
            if (!names.Add(name))
                throw Failure(source, $"tensor {Quote(name)} appears twice in the header; tensor names must be unique.");
            entries.Add(ParseEntry(ref reader, name, dataLength, fileLength, source));
        }
        // Whitespace (the padding) may follow the object; anything else makes Read throw.
        if (reader.Read())
            throw Failure(source, $"the header has {Describe(ref reader)} after its JSON object.");

        CheckLayout(entries, dataLength, source);
        return (entries, metadata ?? new Dictionary<string, string>(StringComparer.Ordinal));
    }

    /// <summary>The value of <c>"__metadata__"</c>: an object of strings, or null (which the Python library reads as none).</summary>
    private static Dictionary<string, string> ParseMetadata(ref Utf8JsonReader reader, string source)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (reader.TokenType == JsonTokenType.Null) return metadata;
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Failure(source, $"\"{MetadataKey}\" must be a JSON object of string values, but is {Describe(ref reader)}.");
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject) return metadata;
            string key = reader.GetString()!;
            Next(ref reader);
            if (reader.TokenType != JsonTokenType.String)
                throw Failure(source, $"\"{MetadataKey}\" value for key {Quote(key)} must be a string, but is {Describe(ref reader)}.");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw Failure(source, $"\"{MetadataKey}\" has key {Quote(key)} twice.");
        }
    }

    private static Entry ParseEntry(ref Utf8JsonReader reader, string name, long dataLength, long fileLength, string source)
    {
        string tensor = $"tensor {Quote(name)}";
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Failure(source, $"the entry of {tensor} must be a JSON object with \"dtype\", \"shape\" and \"data_offsets\", but is {Describe(ref reader)}.");

        string? dtypeName = null;
        int[]? dimensions = null;
        (ulong Begin, ulong End)? offsets = null;
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject) break;
            if (reader.ValueTextEquals("dtype"u8))
            {
                if (dtypeName is not null) throw Failure(source, $"{tensor} has \"dtype\" twice.");
                Next(ref reader);
                if (reader.TokenType != JsonTokenType.String)
                    throw Failure(source, $"the \"dtype\" of {tensor} must be a string such as \"F32\", but is {Describe(ref reader)}.");
                dtypeName = reader.GetString()!;
            }
            else if (reader.ValueTextEquals("shape"u8))
            {
                if (dimensions is not null) throw Failure(source, $"{tensor} has \"shape\" twice.");
                Next(ref reader);
                dimensions = ParseShape(ref reader, tensor, source);
            }
            else if (reader.ValueTextEquals("data_offsets"u8))
            {
                if (offsets is not null) throw Failure(source, $"{tensor} has \"data_offsets\" twice.");
                Next(ref reader);
                offsets = ParseOffsets(ref reader, tensor, source);
            }
            else
            {
                // Other fields are ignored, as the Python library does.
                Next(ref reader);
                reader.Skip();
            }
        }
        if (dtypeName is null) throw Failure(source, $"{tensor} has no \"dtype\".");
        if (dimensions is null) throw Failure(source, $"{tensor} has no \"shape\".");
        if (offsets is not { } range) throw Failure(source, $"{tensor} has no \"data_offsets\".");
        var (begin, end) = range;

        if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype))
            throw Failure(source, $"{tensor} has dtype {Quote(dtypeName)}, which Dendrite does not read; known dtypes are {SafetensorsDTypes.SupportedNames}.");

        // Element count, checked for overflow (a zero dimension makes the product 0 whatever the others).
        string shapeText = FormatShape(dimensions);
        ulong count = 1;
        if (dimensions.Contains(0)) count = 0;
        else
        {
            foreach (int dimension in dimensions)
            {
                if (count > ulong.MaxValue / (ulong)dimension)
                    throw Failure(source, $"the shape {shapeText} of {tensor} has more elements than a 64-bit count can hold (the product of its dimensions overflows).");
                count *= (ulong)dimension;
            }
        }
        if (count > (ulong)Array.MaxLength)
            throw Failure(source, $"{tensor} has shape {shapeText}, {count} elements; a Dendrite tensor holds at most {Array.MaxLength}.");
        int size = SafetensorsDTypes.Size(dtype);
        long byteSize = (long)count * size;

        if (begin > end)
            throw Failure(source, $"{tensor} has data_offsets [{begin}, {end}]: begin is after end.");
        if (end > (ulong)dataLength)
            throw Failure(source, $"{tensor} has data_offsets [{begin}, {end}], but the data buffer is only {dataLength} bytes (file {fileLength} bytes); the file is truncated or its offsets are wrong.");
        if (end - begin != (ulong)byteSize)
            throw Failure(source, $"{tensor} has data_offsets [{begin}, {end}] ({end - begin} bytes), but dtype {dtypeName} and shape {shapeText} need {count} × {size} = {byteSize} bytes.");

        return new Entry(name, dtype, dimensions, (int)count, (long)begin, (long)end);
    }

    /// <summary>An array of at most <see cref="Shape.MaxRank"/> integers in [0, int.MaxValue].</summary>
    private static int[] ParseShape(ref Utf8JsonReader reader, string tensor, string source)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Failure(source, $"the \"shape\" of {tensor} must be an array of non-negative integers, but is {Describe(ref reader)}.");
        Span<int> dimensions = stackalloc int[Shape.MaxRank];
        int rank = 0;
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndArray) return dimensions[..rank].ToArray();
            if (rank == Shape.MaxRank)
            {
                // Count the rest for the message, without keeping any of it.
                int total = rank;
                do
                {
                    total++;
                    reader.Skip();
                    Next(ref reader);
                }
                while (reader.TokenType != JsonTokenType.EndArray);
                throw Failure(source, $"{tensor} has {total} dimensions; Dendrite tensors have at most {Shape.MaxRank}.");
            }
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long dimension))
                throw Failure(source, $"the \"shape\" of {tensor} has {Describe(ref reader)} at position {rank}; dimensions must be non-negative integers.");
            if (dimension < 0)
                throw Failure(source, $"{tensor} has a negative dimension {dimension} at position {rank} of its shape.");
            if (dimension > int.MaxValue)
                throw Failure(source, $"{tensor} has dimension {dimension} at position {rank} of its shape; Dendrite dimensions are at most {int.MaxValue}.");
            dimensions[rank++] = (int)dimension;
        }
    }

    /// <summary>An array of exactly two non-negative integers [begin, end].</summary>
    private static (ulong Begin, ulong End) ParseOffsets(ref Utf8JsonReader reader, string tensor, string source)
    {
        string expectation = $"the \"data_offsets\" of {tensor} must be two non-negative integers [begin, end]";
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Failure(source, $"{expectation}, but are {Describe(ref reader)}.");
        Span<ulong> values = stackalloc ulong[2];
        for (int i = 0; i < 2; i++)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndArray)
                throw Failure(source, $"{expectation}, but there {(i == 1 ? "is 1 value" : "are none")}.");
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt64(out values[i]))
                throw Failure(source, $"{expectation}, but {(i == 0 ? "begin" : "end")} is {Describe(ref reader)}.");
        }
        Next(ref reader);
        if (reader.TokenType != JsonTokenType.EndArray)
            throw Failure(source, $"{expectation}, but there are more than 2 values.");
        return (values[0], values[1]);
    }

    /// <summary>Sorted by begin, tensors must tile the data buffer exactly: first at 0, each where the previous ended, the last at its end.</summary>
    private static void CheckLayout(List<Entry> entries, long dataLength, string source)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        Entry? previous = null;
        foreach (var entry in entries)
        {
            if (entry.Begin < expected)
                throw Failure(source, $"tensors {Quote(previous!.Name)} (data_offsets [{previous.Begin}, {previous.End}]) and {Quote(entry.Name)} (data_offsets [{entry.Begin}, {entry.End}]) overlap.");
            if (entry.Begin > expected)
            {
                if (previous is null)
                    throw Failure(source, $"the first tensor in the data buffer, {Quote(entry.Name)}, begins at byte {entry.Begin}, not 0: a gap of {entry.Begin} bytes belongs to no tensor.");
                throw Failure(source, $"a gap of {entry.Begin - expected} bytes lies between tensor {Quote(previous.Name)} (data_offsets [{previous.Begin}, {previous.End}]) and tensor {Quote(entry.Name)} (data_offsets [{entry.Begin}, {entry.End}]); tensors must follow each other without gaps.");
            }
            expected = entry.End;
            previous = entry;
        }
        if (expected != dataLength)
            throw Failure(source, $"the data buffer is {dataLength} bytes but the tensors end at byte {expected}; the last {dataLength - expected} bytes belong to no tensor (a gap at the end, or a file with extra bytes).");
    }

    /// <summary>Advances to the next token. Inside the root object a complete document always has one; the reader throws on a truncated one.</summary>
    private static void Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read()) throw new JsonException("The header ends in the middle of its JSON object.");
    }

    private static SafetensorsFormatException Failure(string source, string problem) => new(source, problem, innerException: null);

    private static string Quote(string text) => text.Length <= 120 ? $"'{text}'" : $"'{text[..120]}...' ({text.Length} characters)";

    /// <summary>The current token for a message: numbers and strings as written (cut short when long), others by kind.</summary>
    private static string Describe(ref Utf8JsonReader reader)
    {
        const int Longest = 80;
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                ReadOnlySpan<byte> raw = reader.ValueSpan;
                return raw.Length <= Longest ? Encoding.UTF8.GetString(raw) : Encoding.UTF8.GetString(raw[..Longest]) + "...";
            case JsonTokenType.String:
                string text = reader.GetString()!;
                return text.Length <= Longest ? $"the string \"{text}\"" : $"the string \"{text[..Longest]}...\"";
            case JsonTokenType.StartObject: return "a JSON object";
            case JsonTokenType.StartArray: return "a JSON array";
            case JsonTokenType.True or JsonTokenType.False: return "a JSON boolean";
            case JsonTokenType.Null: return "JSON null";
            default: return $"a JSON {reader.TokenType}";
        }
    }

    private static string FormatShape(int[] dimensions) =>
        "[" + string.Join(", ", dimensions.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
}
