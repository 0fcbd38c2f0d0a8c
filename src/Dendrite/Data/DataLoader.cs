using System.Collections;
using Dendrite.Tensors;

namespace Dendrite.Data;

/// <summary>
/// Hands out a <see cref="Dataset"/> in batches, one epoch per enumeration: <c>foreach (Batch batch in
/// loader)</c> visits every sample once (or all but the last partial batch with <c>dropLast</c>), in a
/// new random order each epoch when shuffling. Batch size 1 is online SGD, <see cref="FullBatch"/> (or
/// any size ≥ N) is full-batch training, anything between is mini-batch.
/// </summary>
/// <remarks>
/// <para><b>Determinism.</b> Starting an enumeration (<see cref="GetEnumerator"/>) draws that epoch's
/// order from the generator at once, on the calling thread: one <see cref="RandomGenerator.Permutation"/>
/// of N when shuffling, nothing otherwise. Nothing else in the loader draws from it (a
/// <c>transform</c> with randomness should use a generator of its own). So the sequence of epochs is
/// fixed by the generator's seed, and prefetching changes only when a batch is gathered, never which.</para>
/// <para><b>Resuming.</b> The loader's only state is its generator's: save
/// <c>Generator.GetState()</c> between epochs (before the next enumeration starts) and restore it with
/// <c>SetState</c> in a new loader over the same data, and the following epochs are the same batches
/// as in an uninterrupted run. Give the loader a generator of its own (not one that weight
/// initialisation or dropout also draws from) so that its state means one thing.</para>
/// <para><b>Prefetch.</b> With <c>prefetch</c> on, a thread-pool task gathers batch i+1 while the
/// consumer works on batch i: one batch in flight at most, started only after the previous one was
/// handed over. An exception thrown while gathering (or in <c>transform</c>) is rethrown, unchanged,
/// by the <c>MoveNext</c> that would have returned that batch, and ends the epoch. Disposing the
/// enumerator (leaving a <c>foreach</c> early does) waits for the batch in flight and starts no more;
/// an enumerator abandoned without disposal finishes at most that one batch.</para>
/// <para>Each batch is a new pair of tensors, so a consumer may keep batches (for example to compare
/// epochs), unless the loader was made with <c>reuseBuffers</c>: then batches are gathered into two
/// sets of tensors used in turn (one handed out, one being gathered), so a batch is valid only until
/// the <c>MoveNext</c> after the one that returned it, and an epoch allocates no batch storage (for
/// Fashion-MNIST at batch 128, 400 KB per batch that the garbage collector would otherwise take back,
/// with page faults on fresh memory). <c>Trainer</c> uses it. Use
/// <see cref="Dataset.GetBatch(ReadOnlySpan{int}, Tensor, Tensor)"/> to gather into buffers of your own.</para>
/// </remarks>
public sealed class DataLoader : IBatchSource
{
    /// <summary>A batch size meaning "the whole data set in one batch" (full-batch training).</summary>
    public const int FullBatch = int.MaxValue;

    private readonly Func<Batch, Batch>? _transform;

    // With ReuseBuffers: two sets of full-size batch tensors, used in turn (see remarks), and which is next.
    private readonly (Tensor Features, Tensor Targets)?[] _buffers = new (Tensor, Tensor)?[2];
    private int _nextBuffer;

    /// <summary>Creates a loader over <paramref name="data"/>.</summary>
    /// <param name="data">The samples.</param>
    /// <param name="batchSize">Samples per batch, at least 1; sizes ≥ N (such as <see cref="FullBatch"/>) give one batch of all samples.</param>
    /// <param name="shuffle">Draw a new random order each epoch (otherwise rows go in data set order).</param>
    /// <param name="dropLast">Skip the last batch of an epoch when it would be smaller than <paramref name="batchSize"/>.</param>
    /// <param name="generator">Where the epochs' orders come from; null takes the calling thread's <see cref="RandomGenerator.Default"/> (seed it with <see cref="RandomGenerator.SetDefaultSeed"/>).</param>
    /// <param name="prefetch">Gather the next batch on a background task while the consumer works on the current one.</param>
    /// <param name="transform">Applied to each batch after gathering (on the background task when prefetching), in batch order, for example augmentation; null for none.</param>
    /// <param name="reuseBuffers">Gather into two sets of tensors used in turn instead of new ones, so a batch is valid only until the next <c>MoveNext</c> but one (see remarks).</param>
    public DataLoader(Dataset data, int batchSize, bool shuffle = true, bool dropLast = false, RandomGenerator? generator = null, bool prefetch = true, Func<Batch, Batch>? transform = null,
        bool reuseBuffers = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"DataLoader needs a batch size of at least 1 (1 = online SGD, DataLoader.FullBatch = the whole data set); got {batchSize}.");
        Dataset = data;
        BatchSize = Math.Min(batchSize, Math.Max(data.Count, 1));
        Shuffle = shuffle;
        DropLast = dropLast;
        Generator = generator ?? RandomGenerator.Default;
        Prefetch = prefetch;
        ReuseBuffers = reuseBuffers;
        _transform = transform;
        BatchesPerEpoch = dropLast ? data.Count / BatchSize : (data.Count + BatchSize - 1) / BatchSize;
    }

    /// <summary>The samples the loader hands out.</summary>
    public Dataset Dataset { get; }

    /// <summary>Samples per batch: the size asked for, capped at N (so <see cref="FullBatch"/> reads as N).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the rows in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last, smaller batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>Whether the next batch is gathered in the background.</summary>
    public bool Prefetch { get; }

    /// <summary>Whether batches are gathered into two reused sets of tensors (valid until the next <c>MoveNext</c> but one) instead of new ones.</summary>
    public bool ReuseBuffers { get; }

    /// <summary>The generator each epoch's order is drawn from; its state is the loader's checkpoint state (see remarks).</summary>
    public RandomGenerator Generator { get; }

    /// <summary>Number of batches one enumeration yields: ⌈N / batch size⌉, or ⌊N / batch size⌋ with drop-last.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>Number of samples one epoch visits (N, or fewer with drop-last).</summary>
    public int SamplesPerEpoch => DropLast ? BatchesPerEpoch * BatchSize : Dataset.Count;

    /// <summary>Starts an epoch: draws its order now (see remarks) and returns the enumerator of its batches.</summary>
    public IEnumerator<Batch> GetEnumerator()
    {
        int[] order = Shuffle ? Generator.Permutation(Dataset.Count) : Identity(Dataset.Count);
        return new EpochEnumerator(this, order);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static int[] Identity(int count)
    {
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        return order;
    }

    private Batch Build(int[] order, int index)
    {
        int start = index * BatchSize;
        int size = Math.Min(BatchSize, order.Length - start);
        var indices = new ReadOnlyMemory<int>(order, start, size);
        Tensor features, targets;
        if (ReuseBuffers && size == BatchSize)
        {
            // Batches are built one at a time and in order, so the sets simply alternate: the one
            // filled now was handed out two batches ago, and its consumer has moved past it.
            int set = _nextBuffer;
            _nextBuffer = 1 - set;
            (features, targets) = _buffers[set] ??= Dataset.GetBatch(indices.Span);
            Dataset.GetBatch(indices.Span, features, targets);
        }
        else
        {
            (features, targets) = Dataset.GetBatch(indices.Span);
        }
        var batch = new Batch(features, targets, index) { SampleIndices = indices };
        return _transform is null ? batch : _transform(batch);
    }

    /// <summary>One epoch: hands out batches 0..B-1, with at most one more gathered ahead on the thread pool.</summary>
    private sealed class EpochEnumerator : IEnumerator<Batch>
    {
        private readonly DataLoader _loader;
        private readonly int[] _order;
        private int _next;
        private Task<Batch>? _inFlight;
        private volatile bool _stopped;
        private Batch? _current;

        public EpochEnumerator(DataLoader loader, int[] order)
        {
            _loader = loader;
            _order = order;
            // Start gathering batch 0 at once, so it is ready by the first MoveNext.
            if (loader.Prefetch && loader.BatchesPerEpoch > 0) _inFlight = StartGathering(0);
        }

        public Batch Current => _current ?? throw new InvalidOperationException("Current is valid only after MoveNext returned true.");

        object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            if (_stopped || _next >= _loader.BatchesPerEpoch)
            {
                _current = null;
                return false;
            }
            int index = _next++;
            try
            {
                if (_loader.Prefetch)
                {
                    Task<Batch> task = _inFlight ?? StartGathering(index);
                    _inFlight = null;
                    _current = task.GetAwaiter().GetResult(); // rethrows the producer's exception unchanged
                    if (_next < _loader.BatchesPerEpoch) _inFlight = StartGathering(_next);
                }
                else
                {
                    _current = _loader.Build(_order, index);
                }
            }
            catch
            {
                // A failed batch ends the epoch: later MoveNext calls return false.
                _stopped = true;
                _current = null;
                throw;
            }
            return true;
        }

        private Task<Batch> StartGathering(int index) => Task.Run(() =>
        {
            if (_stopped) throw new OperationCanceledException("The epoch's enumerator was disposed.");
            return _loader.Build(_order, index);
        });

        public void Reset() => throw new NotSupportedException("A DataLoader epoch cannot be restarted; enumerate the loader again for a new epoch.");

        public void Dispose()
        {
            _stopped = true;
            Task<Batch>? inFlight = _inFlight;
            _inFlight = null;
            _current = null;
            if (inFlight is null) return;
            // Wait so that no gathering outlives the epoch; its result or failure no longer matters.
            try { inFlight.Wait(); }
            catch (AggregateException) { }
        }
    }
}
