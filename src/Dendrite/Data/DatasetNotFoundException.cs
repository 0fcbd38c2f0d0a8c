namespace Dendrite.Data;

/// <summary>
/// Thrown when a data set's files are not on this machine. Dendrite never downloads anything: the
/// message says which directory and files were looked for and how to install them (for Fashion-MNIST,
/// <c>sudo apt-get install dataset-fashion-mnist</c>) or how to point at another directory. A
/// <see cref="FileNotFoundException"/>, so a <c>catch</c> for missing files covers it.
/// </summary>
public sealed class DatasetNotFoundException : FileNotFoundException
{
    /// <summary>Creates the exception with a complete message.</summary>
    public DatasetNotFoundException(string message) : base(message) { }

    /// <summary>Creates the exception with a complete message and the exception that caused it.</summary>
    public DatasetNotFoundException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception without a message (prefer the other constructors).</summary>
    public DatasetNotFoundException() : base("The data set's files were not found.") { }

    /// <summary>Creates the exception naming the data set, the directory searched and the files missing there.</summary>
    /// <param name="datasetName">The data set, for example <c>Fashion-MNIST</c>.</param>
    /// <param name="directory">The directory that was searched.</param>
    /// <param name="missingFiles">The file names looked for and not found.</param>
    /// <param name="message">The complete message.</param>
    public DatasetNotFoundException(string datasetName, string directory, IReadOnlyList<string> missingFiles, string message)
        : base(message, missingFiles.Count > 0 ? Path.Combine(directory, missingFiles[0]) : directory)
    {
        DatasetName = datasetName;
        Directory = directory;
        MissingFiles = missingFiles;
    }

    /// <summary>The data set that was asked for; null when not known.</summary>
    public string? DatasetName { get; }

    /// <summary>The directory that was searched; null when not known.</summary>
    public string? Directory { get; }

    /// <summary>The file names that were looked for there and not found.</summary>
    public IReadOnlyList<string> MissingFiles { get; } = [];
}
