using Dendrite.Data;

namespace Dendrite.Tests.Data;

public class DataLoaderTests
{
    // N samples; sample i has features (i, -i) and label i mod 3, so a batch tells which rows it holds.
    private static Dataset Numbered(int n) => Dataset.ForClassification(
        Tensor.FromArray(Enumerable.Range(0, n).SelectMany(i => new[] { (float)i, -i }).ToArray(), [n, 2]),
        Tensor.FromArray(Enumerable.Range(0, n).Select(i => (float)(i % 3)).ToArray()));

    private static int[] RowsOf(Batch batch)
    {
        float[] features = batch.Features.ToArray();
        return Enumerable.Range(0, batch.Size).Select(j => (int)features[2 * j]).ToArray();
    }

    private static List<int[]> Epoch(DataLoader loader) => loader.Select(RowsOf).ToList();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReusedBuffers_GiveTheSameBatches_InTwoAlternatingSets(bool prefetch)
    {
        var fresh = new DataLoader(Numbered(23), 4, generator: new RandomGenerator(5), prefetch: prefetch);
        var reused = new DataLoader(Numbered(23), 4, generator: new RandomGenerator(5), prefetch: prefetch, reuseBuffers: true);
        Assert.True(reused.ReuseBuffers);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var storage = new List<float[]>();
            using IEnumerator<Batch> expected = fresh.GetEnumerator(), actual = reused.GetEnumerator();
            while (expected.MoveNext())
            {
                Assert.True(actual.MoveNext());
                // Read before the next MoveNext: a reused batch is valid until the one after it is gathered.
                Assert.Equal(RowsOf(expected.Current), RowsOf(actual.Current));
                Assert.Equal(expected.Current.Targets.ToArray(), actual.Current.Targets.ToArray());
                storage.Add(actual.Current.Size == 4 ? Storage(actual.Current) : []);
            }
            Assert.False(actual.MoveNext());
            // Full batches alternate between two sets of storage; the short last batch (3 rows) has its own.
            Assert.Equal(2, storage.Where(s => s.Length > 0).Distinct().Count());
            Assert.Same(storage[0], storage[2]);
            Assert.NotSame(storage[0], storage[1]);
        }
    }

    private static float[] Storage(Batch batch) => batch.Features._buffer;

    [Theory]
    [InlineData(1, false, 10, new[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 })]
    [InlineData(4, false, 3, new[] { 4, 4, 2 })]
    [InlineData(4, true, 2, new[] { 4, 4 })]
    [InlineData(10, false, 1, new[] { 10 })]
    [InlineData(32, false, 1, new[] { 10 })]
    [InlineData(DataLoader.FullBatch, false, 1, new[] { 10 })]
    [InlineData(DataLoader.FullBatch, true, 1, new[] { 10 })]
    public void BatchSizesCoverTheEpoch(int batchSize, bool dropLast, int batches, int[] sizes)
    {
        var loader = new DataLoader(Numbered(10), batchSize, dropLast: dropLast, generator: new RandomGenerator(1));
        Assert.Equal(batches, loader.BatchesPerEpoch);
        var epoch = loader.ToList();
        Assert.Equal(sizes, epoch.Select(b => b.Size));
        Assert.Equal(Enumerable.Range(0, batches), epoch.Select(b => b.Index));
        foreach (var batch in epoch)
        {
            Assert.Equal(new Shape(batch.Size, 2), batch.Features.Shape);
            Assert.Equal(new Shape(batch.Size), batch.Targets.Shape);
            Assert.Equal(RowsOf(batch).Select(i => (float)(i % 3)), batch.Targets.ToArray());
            Assert.Equal(RowsOf(batch), batch.SampleIndices.ToArray());
        }
    }

    [Fact]
    public void EachEpochIsANewPermutation()
    {
        var loader = new DataLoader(Numbered(50), 7, generator: new RandomGenerator(3));
        int[] first = Epoch(loader).SelectMany(rows => rows).ToArray();
        int[] second = Epoch(loader).SelectMany(rows => rows).ToArray();
        Assert.Equal(Enumerable.Range(0, 50), first.Order());
        Assert.Equal(Enumerable.Range(0, 50), second.Order());
        Assert.NotEqual(first, second);
        Assert.NotEqual(Enumerable.Range(0, 50), first);
    }

    [Fact]
    public void WithoutShuffleRowsGoInOrderAndTheGeneratorIsUntouched()
    {
        var generator = new RandomGenerator(5);
        var before = generator.GetState();
        var loader = new DataLoader(Numbered(10), 4, shuffle: false, generator: generator);
        Assert.Equal(Enumerable.Range(0, 10), Epoch(loader).SelectMany(rows => rows));
        Assert.Equal(before, generator.GetState());
    }

    [Fact]
    public void TheSameSeedGivesTheSameEpochs()
    {
        List<List<int[]>> Run(long seed)
        {
            var loader = new DataLoader(Numbered(40), 6, generator: new RandomGenerator(seed));
            return [Epoch(loader), Epoch(loader), Epoch(loader)];
        }
        Assert.Equal(Run(11), Run(11));
        Assert.NotEqual(Run(11), Run(12));
    }

    [Fact]
    public void PrefetchChangesNothingButWhenBatchesAreGathered()
    {
        var withPrefetch = new DataLoader(Numbered(101), 8, generator: new RandomGenerator(7), prefetch: true);
        var without = new DataLoader(Numbered(101), 8, generator: new RandomGenerator(7), prefetch: false);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var a = withPrefetch.ToList();
            var b = without.ToList();
            Assert.Equal(a.Count, b.Count);
            for (int i = 0; i < a.Count; i++)
            {
                Assert.Equal(b[i].Features.ToArray(), a[i].Features.ToArray());
                Assert.Equal(b[i].Targets.ToArray(), a[i].Targets.ToArray());
                Assert.Equal(b[i].Index, a[i].Index);
            }
        }
    }

    [Fact]
    public void ResumingFromTheGeneratorStateAtAnEpochBoundaryRepeatsTheRun()
    {
        var data = Numbered(30);
        var uninterrupted = new DataLoader(data, 4, generator: new RandomGenerator(21));
        var expected = Enumerable.Range(0, 4).Select(_ => Epoch(uninterrupted)).ToList();

        var interrupted = new DataLoader(data, 4, generator: new RandomGenerator(21));
        _ = Epoch(interrupted);
        _ = Epoch(interrupted);
        RandomGeneratorState checkpoint = interrupted.Generator.GetState();

        var resumed = new DataLoader(data, 4, generator: new RandomGenerator(999));
        resumed.Generator.SetState(checkpoint);
        Assert.Equal(expected[2], Epoch(resumed));
        Assert.Equal(expected[3], Epoch(resumed));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AnExceptionWhileGatheringSurfacesInTheConsumerAndEndsTheEpoch(bool prefetch)
    {
        var loader = new DataLoader(Numbered(20), 5, generator: new RandomGenerator(1), prefetch: prefetch,
            transform: batch => batch.Index == 2 ? throw new InvalidOperationException("broken batch 2") : batch);
        using var epoch = loader.GetEnumerator();
        Assert.True(epoch.MoveNext());
        Assert.True(epoch.MoveNext());
        var error = Assert.Throws<InvalidOperationException>(() => epoch.MoveNext());
        Assert.Equal("broken batch 2", error.Message);
        Assert.False(epoch.MoveNext());
    }

    [Fact]
    public void LeavingAnEpochEarlyStopsTheProducer()
    {
        int gathered = 0;
        var loader = new DataLoader(Numbered(100), 1, generator: new RandomGenerator(1), prefetch: true,
            transform: batch => { Interlocked.Increment(ref gathered); return batch; });
        foreach (var batch in loader)
            if (batch.Index == 2) break; // foreach disposes the enumerator
        int afterDispose = Volatile.Read(ref gathered);
        Assert.InRange(afterDispose, 3, 4); // the three handed out, and at most one in flight
        Thread.Sleep(50);
        Assert.Equal(afterDispose, Volatile.Read(ref gathered));
    }

    [Fact]
    public void TheTransformRunsInBatchOrder()
    {
        var seen = new List<int>();
        var loader = new DataLoader(Numbered(40), 3, generator: new RandomGenerator(2), prefetch: true,
            transform: batch => { lock (seen) seen.Add(batch.Index); return batch; });
        Assert.Equal(loader.BatchesPerEpoch, loader.Count());
        Assert.Equal(Enumerable.Range(0, loader.BatchesPerEpoch), seen);
    }

    [Fact]
    public void BatchSizeMustBePositive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Numbered(3), 0));
        var empty = new DataLoader(Numbered(0), 4);
        Assert.Equal(0, empty.BatchesPerEpoch);
        Assert.Empty(empty);
    }
}
