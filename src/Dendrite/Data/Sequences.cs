using Dendrite.Tensors;

namespace Dendrite.Data;

/// <summary>
/// Sequences of different lengths padded to one tensor: the tokens, which positions are real, and
/// each sequence's length.
/// </summary>
/// <param name="Tokens">[batch, time]: each sequence's indices from position 0, then the pad value.</param>
/// <param name="Mask">[batch, time]: 1 at real positions, 0 at padding (multiply a per-position loss by it).</param>
/// <param name="Lengths">The real length of each sequence.</param>
public sealed record PaddedBatch(Tensor Tokens, Tensor Mask, int[] Lengths)
{
    /// <summary>
    /// [batch, time]: 1 at padding, 0 at real positions: the key padding mask of attention layers
    /// (torch's convention, True = not attended).
    /// </summary>
    public Tensor PaddingMask
    {
        get
        {
            float[] values = Mask.ToArray();
            for (int i = 0; i < values.Length; i++) values[i] = 1f - values[i];
            return Tensor.FromArray(values, Mask.Shape);
        }
    }

    /// <summary>The number of real positions (the sum of <see cref="Lengths"/>).</summary>
    public int RealPositions => Lengths.Sum();
}

/// <summary>
/// Preparing sequence data: windows of a time series with a split in time order, padding of
/// variable-length sequences with masks, and a token stream cut into parallel streams for truncated
/// backpropagation through time. Text to indices is <see cref="CharacterVocabulary"/>.
/// </summary>
public static class Sequences
{
    /// <summary>
    /// Cuts a time series into (input window, value to predict) pairs: sample i has inputs
    /// series[i .. i + window) and target series[i + window + horizon − 1].
    /// </summary>
    /// <param name="series">The values in time order.</param>
    /// <param name="window">Steps of history per sample.</param>
    /// <param name="horizon">How far ahead the target lies (1: the next value).</param>
    /// <param name="name">The data set's name.</param>
    /// <returns>A regression data set: features [N, window, 1] (a sequence of one feature, ready for a recurrent layer), targets [N, 1], N = length − window − horizon + 1, in time order.</returns>
    public static Dataset Windows(ReadOnlySpan<float> series, int window, int horizon = 1, string name = "windows")
    {
        if (window <= 0 || horizon <= 0)
            throw new ArgumentOutOfRangeException(nameof(window), $"Sequences.Windows: window and horizon must be positive; got window {window}, horizon {horizon}.");
        int count = series.Length - window - horizon + 1;
        if (count <= 0)
            throw new ArgumentException($"Sequences.Windows: a series of {series.Length} values has no window of {window} with a target {horizon} step(s) ahead.", nameof(series));
        var features = new float[count * window];
        var targets = new float[count];
        for (int i = 0; i < count; i++)
        {
            series.Slice(i, window).CopyTo(features.AsSpan(i * window, window));
            targets[i] = series[i + window + horizon - 1];
        }
        return Dataset.ForRegression(Tensor.FromArray(features, new Shape(count, window, 1)), Tensor.FromArray(targets, new Shape(count, 1)), name);
    }

    /// <summary>
    /// Splits samples that are in time order into three consecutive blocks, never shuffled, so that the
    /// model is validated and tested on a later period than it was trained on.
    /// </summary>
    /// <param name="data">Samples in time order (e.g. from <see cref="Windows"/>).</param>
    /// <param name="train">Fraction of samples for training (the earliest).</param>
    /// <param name="validation">Fraction for validation (the next); the rest, the latest, is the test set.</param>
    public static (Dataset Train, Dataset Validation, Dataset Test) SplitInTimeOrder(Dataset data, double train, double validation)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(train > 0 && validation >= 0 && train + validation < 1))
            throw new ArgumentOutOfRangeException(nameof(train), $"Sequences.SplitInTimeOrder: need train > 0, validation ≥ 0 and train + validation < 1; got {train} and {validation}.");
        int trainCount = (int)Math.Round(data.Count * train), validationCount = (int)Math.Round(data.Count * validation);
        int testCount = data.Count - trainCount - validationCount;
        if (trainCount == 0 || testCount <= 0)
            throw new ArgumentException($"Sequences.SplitInTimeOrder: {data.Count} samples split {train}/{validation}/rest leaves an empty block.", nameof(data));
        int[] Range(int start, int count) => Enumerable.Range(start, count).ToArray();
        return (data.Subset(Range(0, trainCount), data.Name + " train"),
                data.Subset(Range(trainCount, validationCount), data.Name + " validation"),
                data.Subset(Range(trainCount + validationCount, testCount), data.Name + " test"));
    }

    /// <summary>
    /// Pads sequences of token indices to one length (the longest, or <paramref name="length"/>) with
    /// <paramref name="padValue"/>, and marks the real positions.
    /// </summary>
    /// <param name="sequences">The sequences (each at least one token).</param>
    /// <param name="padValue">The index written at padded positions (any valid index: the mask says which positions count).</param>
    /// <param name="length">A fixed length at least the longest sequence's, or null for the longest.</param>
    public static PaddedBatch Pad(IReadOnlyList<int[]> sequences, int padValue = 0, int? length = null)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("Sequences.Pad needs at least one sequence.", nameof(sequences));
        int longest = sequences.Max(s => s.Length);
        int steps = length ?? longest;
        if (steps < longest)
            throw new ArgumentOutOfRangeException(nameof(length), $"Sequences.Pad: length {steps} is shorter than the longest sequence ({longest}).");
        var tokens = new float[sequences.Count * steps];
        var mask = new float[sequences.Count * steps];
        var lengths = new int[sequences.Count];
        for (int b = 0; b < sequences.Count; b++)
        {
            int[] sequence = sequences[b];
            lengths[b] = sequence.Length;
            for (int t = 0; t < steps; t++)
            {
                bool real = t < sequence.Length;
                tokens[b * steps + t] = real ? sequence[t] : padValue;
                mask[b * steps + t] = real ? 1f : 0f;
            }
        }
        var shape = new Shape(sequences.Count, steps);
        return new PaddedBatch(Tensor.FromArray(tokens, shape), Tensor.FromArray(mask, shape), lengths);
    }

    /// <summary>
    /// Groups variable-length sequences into padded batches of <paramref name="batchSize"/> (the last may
    /// be smaller). With <paramref name="bucketByLength"/> the sequences are sorted by length first, so
    /// each batch pads little, and the batches come in a random order (from <paramref name="generator"/>,
    /// or in length order when null); otherwise they keep the given order.
    /// </summary>
    public static IEnumerable<PaddedBatch> PaddedBatches(IReadOnlyList<int[]> sequences, int batchSize, int padValue = 0, bool bucketByLength = true, RandomGenerator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"Sequences.PaddedBatches: the batch size must be positive; got {batchSize}.");
        int[] order = Enumerable.Range(0, sequences.Count).ToArray();
        if (bucketByLength) order = [.. order.OrderBy(i => sequences[i].Length).ThenBy(i => i)];
        int batches = (order.Length + batchSize - 1) / batchSize;
        int[] batchOrder = Enumerable.Range(0, batches).ToArray();
        if (bucketByLength && generator is not null)
            for (int i = batches - 1; i > 0; i--)
            {
                int j = generator.NextInt(i + 1);
                (batchOrder[i], batchOrder[j]) = (batchOrder[j], batchOrder[i]);
            }
        foreach (int batch in batchOrder)
        {
            int start = batch * batchSize, count = Math.Min(batchSize, order.Length - start);
            var members = new int[count][];
            for (int i = 0; i < count; i++) members[i] = sequences[order[start + i]];
            yield return Pad(members, padValue);
        }
    }

    /// <summary>
    /// Lays a token stream out as <paramref name="streams"/> parallel streams, [streams, steps], each a
    /// contiguous stretch of the original (the remainder that does not fill a row is dropped). Consecutive
    /// chunks of columns are then consecutive pieces of every stream, so a recurrent model can carry its
    /// state from one chunk to the next (truncated backpropagation through time).
    /// </summary>
    public static Tensor Streams(ReadOnlySpan<int> tokens, int streams)
    {
        if (streams <= 0) throw new ArgumentOutOfRangeException(nameof(streams), $"Sequences.Streams: need a positive number of streams; got {streams}.");
        int steps = tokens.Length / streams;
        if (steps == 0) throw new ArgumentException($"Sequences.Streams: {tokens.Length} tokens do not fill {streams} streams.", nameof(tokens));
        var values = new float[streams * steps];
        for (int i = 0; i < values.Length; i++) values[i] = tokens[i];
        return Tensor.FromArray(values, new Shape(streams, steps));
    }

    /// <summary>
    /// The chunk of columns [start, start + length) of <paramref name="streams"/> [streams, steps] as
    /// inputs, and the same columns shifted by one as next-token targets (both [streams, length]).
    /// </summary>
    public static (Tensor Inputs, int[] Targets) NextTokenChunk(Tensor streams, int start, int length)
    {
        ArgumentNullException.ThrowIfNull(streams);
        var (rows, steps) = streams.Shape.Dims2("Sequences.NextTokenChunk");
        if (start < 0 || length <= 0 || start + length + 1 > steps)
            throw new ArgumentOutOfRangeException(nameof(start), $"Sequences.NextTokenChunk: columns [{start}, {start + length}] (plus one target) lie outside {streams.Shape}.");
        // Read in place (the stream tensor is large; a chunk is small).
        ReadOnlySpan<float> all = streams.IsContiguous ? streams.Data : streams.ToArray();
        var inputs = new float[rows * length];
        var targets = new int[rows * length];
        for (int r = 0; r < rows; r++)
            for (int t = 0; t < length; t++)
            {
                inputs[r * length + t] = all[r * steps + start + t];
                targets[r * length + t] = (int)all[r * steps + start + t + 1];
            }
        return (Tensor.FromArray(inputs, new Shape(rows, length)), targets);
    }
}
