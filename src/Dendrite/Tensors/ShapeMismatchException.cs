using System.Diagnostics.CodeAnalysis;

namespace Dendrite.Tensors;

/// <summary>
/// Thrown when an operation or layer receives tensors whose shapes do not fit it. The message names
/// the operation, the shapes involved and, where there is one, a way out.
/// </summary>
public sealed class ShapeMismatchException : ArgumentException
{
    /// <summary>Creates the exception with a complete message.</summary>
    public ShapeMismatchException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public ShapeMismatchException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception without a message (prefer the other constructors).</summary>
    public ShapeMismatchException() : base("Tensor shapes do not fit the operation.") { }
}

/// <summary>Throw sites kept out of hot methods so the JIT can inline the callers.</summary>
internal static class Throw
{
    [DoesNotReturn]
    public static void ShapeMismatch(string message) => throw new ShapeMismatchException(message);

    [DoesNotReturn]
    public static void Argument(string message, string parameterName) => throw new ArgumentException(message, parameterName);

    [DoesNotReturn]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);
}
