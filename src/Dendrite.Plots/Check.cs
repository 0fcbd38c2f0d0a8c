namespace Dendrite.Plots;

/// <summary>
/// Argument checks at the public boundary. Every message starts with the plot function's name, says
/// what was received, and what would be accepted, so that a caller can fix the call without reading
/// this library.
/// </summary>
internal static class Check
{
    public static void Path(string where, string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException($"{where}: the output path is empty; pass a file name such as 'curves.png'.", nameof(path));
    }

    public static void Size(string where, int width, int height)
    {
        // Below this a plot has no room for its axes; above it ScottPlot allocates gigabytes.
        const int Minimum = 50, Maximum = 10_000;
        if (width < Minimum || height < Minimum || width > Maximum || height > Maximum)
            throw new ArgumentOutOfRangeException(nameof(width),
                $"{where}: an image of {width}x{height} pixels was asked for; width and height must lie in {Minimum}..{Maximum}.");
    }

    /// <param name="where">The plot function.</param>
    /// <param name="what">The argument's name.</param>
    /// <param name="count">Its number of items; 0 for null.</param>
    public static void NotEmpty(string where, string what, int count)
    {
        if (count == 0)
            throw new ArgumentException($"{where}: {what} is empty; there is nothing to plot.", what);
    }

    public static void SameLength(string where, string firstName, int firstLength, string secondName, int secondLength)
    {
        if (firstLength != secondLength)
            throw new ArgumentException(
                $"{where}: {firstName} has {firstLength} values but {secondName} has {secondLength}; they must have one value per point.",
                secondName);
    }

    public static void Range(string where, double from, double to)
    {
        if (!double.IsFinite(from) || !double.IsFinite(to) || !(from < to))
            throw new ArgumentOutOfRangeException(nameof(to), $"{where}: the range [{from}, {to}] is empty or not finite; pass from < to.");
    }

    public static void Increasing(string where, string name, IReadOnlyList<double> values)
    {
        for (int i = 0; i < values.Count; i++)
        {
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{where}: {name}[{i}] is {values[i]}; the steps must be finite.", name);
            if (i > 0 && !(values[i] > values[i - 1]))
                throw new ArgumentException($"{where}: {name}[{i}] = {values[i]} does not exceed {name}[{i - 1}] = {values[i - 1]}; pass the steps in increasing order.", name);
        }
    }

    /// <summary>Increasing steps of equal size (within rounding), as a heat map's cells need.</summary>
    public static void EvenlySpaced(string where, string name, IReadOnlyList<double> values)
    {
        Increasing(where, name, values);
        double step = (values[^1] - values[0]) / (values.Count - 1);
        for (int i = 1; i < values.Count; i++)
            if (Math.Abs(values[i] - values[i - 1] - step) > 1e-6 * Math.Abs(step) + 1e-12)
                throw new ArgumentException(
                    $"{where}: {name} are not evenly spaced ({name}[{i}] − {name}[{i - 1}] = {values[i] - values[i - 1]}, but the average step is {step}); the heat map needs equal steps.", name);
    }
}
