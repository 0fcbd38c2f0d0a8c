namespace Dendrite.Data;

/// <summary>
/// Thrown when a data file (CSV, IDX) is malformed: a missing value, a non-numeric cell, a ragged row,
/// a header that does not match the file's size. The message is one sentence that names the file and,
/// where they apply, the line and the field, for example
/// <c>iris.csv line 17, column 'petal_length' (3): missing value</c>. An <see cref="IOException"/>, so
/// one <c>catch (IOException)</c> covers unreadable, missing and malformed files alike.
/// </summary>
public sealed class DataFormatException : IOException
{
    /// <summary>Creates the exception with a complete message.</summary>
    public DataFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a complete message and the exception that caused it.</summary>
    public DataFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception without a message (prefer the other constructors).</summary>
    public DataFormatException() : base("The data file is malformed.") { }

    /// <summary>Creates the exception for a problem in <paramref name="filePath"/>, at a line and field when known.</summary>
    /// <param name="filePath">The file as the caller named it (or a stream's name).</param>
    /// <param name="message">The complete message (it should already name the file, line and field).</param>
    /// <param name="line">The 1-based line number, or null when the problem is not on one line.</param>
    /// <param name="field">The field (column name or number), or null.</param>
    public DataFormatException(string filePath, string message, long? line, string? field) : base(message)
    {
        FilePath = filePath;
        Line = line;
        Field = field;
    }

    /// <summary>The file that was being read, as the caller named it; null when not known.</summary>
    public string? FilePath { get; }

    /// <summary>The 1-based line the problem is on (text formats); null when it is not on one line.</summary>
    public long? Line { get; }

    /// <summary>The field the problem is in, for example <c>'petal_length' (3)</c>; null when not one field.</summary>
    public string? Field { get; }
}
