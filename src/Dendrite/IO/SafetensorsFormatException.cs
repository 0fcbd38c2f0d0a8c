namespace Dendrite.IO;

/// <summary>
/// Thrown when a file (or stream) is not a well-formed safetensors file: a truncated file, a header
/// that is not a JSON object, offsets that overlap or leave gaps, sizes that do not match the dtype
/// and shape, an unknown dtype, and so on. The message names the file, what is wrong and the values
/// involved. Nothing of the file is returned when this is thrown. An <see cref="IOException"/>, so
/// one <c>catch (IOException)</c> covers both unreadable and malformed files.
/// </summary>
public sealed class SafetensorsFormatException : IOException
{
    /// <summary>Creates the exception with a complete message.</summary>
    public SafetensorsFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a complete message and the exception that caused it.</summary>
    public SafetensorsFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception without a message (prefer the other constructors).</summary>
    public SafetensorsFormatException() : base("The data is not a well-formed safetensors file.") { }

    internal SafetensorsFormatException(string sourceName, string problem, Exception? innerException)
        : base($"Cannot read safetensors file '{sourceName}': {problem}", innerException)
    {
        SourceName = sourceName;
    }

    /// <summary>The path of the file (or the name given for a stream) that was being read; null when not known.</summary>
    public string? SourceName { get; }
}
