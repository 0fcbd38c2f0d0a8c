using System.Collections;
using Dendrite.Tensors;

namespace Dendrite.Data;

/// <summary>
/// Priority sampling, the seeds' remedy for rare or hard examples: the samples are split into a
/// high-priority and a low-priority pool, and every batch takes a set share of its rows from each,
/// whatever the pools' sizes. A rare class (or the examples the network still gets wrong) is then
/// seen in every batch instead of once in a while.
/// </summary>
/// <remarks>
/// <para><b>Shares.</b> With batch size B and high share h, batch b (counted from the sampler's
/// creation) takes ⌊(b + 1)·h·B⌉ − ⌊b·h·B⌉ rows from the high pool (rounding half up; so every
/// batch has ⌊h·B⌋ or ⌈h·B⌉ and the running share stays within one row of h) and the rest from the
/// low pool. When a pool is empty, the other supplies the whole batch.</para>
/// <para><b>Order within a pool.</b> Each pool is visited in a random order without replacement and
/// reshuffled when used up, so every sample of a pool is drawn equally often (within one pass). A
/// batch may repeat a sample only when its share exceeds the pool's size.</para>
/// <para><b>Epochs.</b> One enumeration yields <see cref="BatchesPerEpoch"/> batches, by default
/// ⌈N/B⌉ (as many samples as the data set holds; high-priority samples are then seen more often than
/// once and low-priority ones less). The pools may be changed between epochs with
/// <see cref="SetHighPriority(IEnumerable{int})"/> or <see cref="UpdateFromErrors"/> (for example to
/// promote the samples with the largest errors).</para>
/// <para><b>Determinism.</b> Every draw comes from <see cref="Generator"/>; the same seed and the same
/// sequence of pool updates give the same batches.</para>
/// </remarks>
public sealed class PrioritySampler : IBatchSource
{
    private readonly Pool _high = new();
    private readonly Pool _low = new();
    private long _batchesDrawn;

    /// <summary>Creates the sampler.</summary>
    /// <param name="data">The samples.</param>
    /// <param name="highPriority">The indices of the high-priority samples (the others are low priority).</param>
    /// <param name="highShare">h in [0, 1]: the share of every batch drawn from the high pool.</param>
    /// <param name="batchSize">B ≥ 1, rows per batch.</param>
    /// <param name="generator">The random source; null takes the calling thread's default.</param>
    /// <param name="batchesPerEpoch">Batches per enumeration; null for ⌈N/B⌉.</param>
    public PrioritySampler(Dataset data, IEnumerable<int> highPriority, double highShare, int batchSize, RandomGenerator? generator = null, int? batchesPerEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(highShare >= 0 && highShare <= 1))
            throw new ArgumentOutOfRangeException(nameof(highShare), highShare, $"PrioritySampler: the high-priority share must be in [0, 1]; got {highShare}.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "PrioritySampler: the batch size must be at least 1.");
        if (data.Count == 0) throw new ArgumentException("PrioritySampler: the data set is empty.", nameof(data));
        if (batchesPerEpoch is < 1) throw new ArgumentOutOfRangeException(nameof(batchesPerEpoch), batchesPerEpoch, "PrioritySampler: an epoch needs at least one batch.");
        Dataset = data;
        HighShare = highShare;
        BatchSize = batchSize;
        Generator = generator ?? RandomGenerator.Default;
        BatchesPerEpoch = batchesPerEpoch ?? (data.Count + batchSize - 1) / batchSize;
        SetHighPriority(highPriority);
    }

    /// <summary>The samples.</summary>
    public Dataset Dataset { get; }

    /// <summary>h, the share of each batch drawn from the high-priority pool.</summary>
    public double HighShare { get; }

    /// <summary>B, the rows per batch.</summary>
    public int BatchSize { get; }

    /// <summary>The random source of every draw.</summary>
    public RandomGenerator Generator { get; }

    /// <summary>Batches per enumeration.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>Samples per enumeration: <see cref="BatchesPerEpoch"/> · <see cref="BatchSize"/> (every batch is full).</summary>
    public int SamplesPerEpoch => BatchesPerEpoch * BatchSize;

    /// <summary>The high-priority sample indices, ascending.</summary>
    public IReadOnlyList<int> HighPriority => _high.Members;

    /// <summary>The low-priority sample indices, ascending.</summary>
    public IReadOnlyList<int> LowPriority => _low.Members;

    /// <summary>Makes <paramref name="highPriority"/> the high pool and every other sample the low pool (both restart their pass).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, N).</exception>
    public void SetHighPriority(IEnumerable<int> highPriority)
    {
        ArgumentNullException.ThrowIfNull(highPriority);
        var isHigh = new bool[Dataset.Count];
        foreach (int i in highPriority)
        {
            if ((uint)i >= (uint)Dataset.Count)
                throw new ArgumentOutOfRangeException(nameof(highPriority), i, $"PrioritySampler: sample index {i} is outside the data set's [0, {Dataset.Count}).");
            isHigh[i] = true;
        }
        var high = new List<int>();
        var low = new List<int>();
        for (int i = 0; i < isHigh.Length; i++) (isHigh[i] ? high : low).Add(i);
        _high.Reset(high);
        _low.Reset(low);
    }

    /// <summary>
    /// Puts the <paramref name="highCount"/> samples with the largest <paramref name="errors"/> in the high
    /// pool and the rest in the low pool (ties go to the lower index): priority to what the network still gets wrong.
    /// </summary>
    /// <param name="errors">One value per sample, [N].</param>
    /// <param name="highCount">How many samples are high priority (0 ≤ count ≤ N).</param>
    public void UpdateFromErrors(ReadOnlySpan<float> errors, int highCount)
    {
        if (errors.Length != Dataset.Count)
            throw new ArgumentException($"PrioritySampler: {errors.Length} errors for {Dataset.Count} samples; give one per sample.", nameof(errors));
        if (highCount < 0 || highCount > Dataset.Count)
            throw new ArgumentOutOfRangeException(nameof(highCount), highCount, $"PrioritySampler: the high pool's size must be in [0, {Dataset.Count}].");
        int[] order = new int[errors.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        float[] keys = errors.ToArray();
        Array.Sort(order, (a, b) =>
        {
            int byError = keys[b].CompareTo(keys[a]);
            return byError != 0 ? byError : a.CompareTo(b);
        });
        SetHighPriority(order.Take(highCount));
    }

    /// <summary>How many rows batch number <paramref name="batch"/> (counted from the sampler's creation) takes from the high pool.</summary>
    public int HighCount(long batch)
    {
        if (_high.Count == 0) return 0;
        if (_low.Count == 0) return BatchSize;
        double perBatch = HighShare * BatchSize;
        return (int)(Math.Floor((batch + 1) * perBatch + 0.5) - Math.Floor(batch * perBatch + 0.5));
    }

    /// <summary>
    /// Draws the next batch's sample indices into <paramref name="indices"/> (length <see cref="BatchSize"/>):
    /// the high-priority rows first, then the low-priority ones.
    /// </summary>
    public void NextIndices(Span<int> indices)
    {
        if (indices.Length != BatchSize)
            throw new ArgumentException($"PrioritySampler: the destination holds {indices.Length} indices; a batch has {BatchSize}.", nameof(indices));
        int high = HighCount(_batchesDrawn++);
        for (int i = 0; i < high; i++) indices[i] = _high.Next(Generator);
        for (int i = high; i < indices.Length; i++) indices[i] = _low.Next(Generator);
    }

    /// <summary>Starts an epoch of <see cref="BatchesPerEpoch"/> batches, each gathered when asked for.</summary>
    public IEnumerator<Batch> GetEnumerator()
    {
        for (int b = 0; b < BatchesPerEpoch; b++)
        {
            var indices = new int[BatchSize];
            NextIndices(indices);
            var (features, targets) = Dataset.GetBatch(indices);
            yield return new Batch(features, targets, b) { SampleIndices = indices };
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>A pool visited in random passes without replacement.</summary>
    private sealed class Pool
    {
        private int[] _members = [];
        private int[] _order = [];
        private int _position;

        public IReadOnlyList<int> Members => _members;

        public int Count => _members.Length;

        public void Reset(List<int> members)
        {
            _members = [.. members];
            _order = [.. members];
            _position = _order.Length; // shuffle on first use
        }

        public int Next(RandomGenerator generator)
        {
            if (_position >= _order.Length)
            {
                generator.Shuffle(_order.AsSpan());
                _position = 0;
            }
            return _order[_position++];
        }
    }
}
