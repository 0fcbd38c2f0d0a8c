using Dendrite.Data;

namespace Dendrite.Tests.Data;

/// <summary>Priority sampling draws the stated share of every batch from the high pool, visits each pool evenly, and is deterministic.</summary>
public class PrioritySamplerTests
{
    /// <summary>100 samples whose feature is their index; samples 0..9 are high priority.</summary>
    private static Dataset Data(int count = 100) =>
        Dataset.ForRegression(Tensor.Arange(count).Reshape(count, 1), Tensor.Zeros([count, 1]));

    [Fact]
    public void EveryBatchTakesTheStatedShareFromTheHighPool()
    {
        // 10 % of the data, a quarter of every batch of 8: exactly 2 high-priority rows per batch.
        var sampler = new PrioritySampler(Data(), Enumerable.Range(0, 10), highShare: 0.25, batchSize: 8, new RandomGenerator(1));
        Assert.Equal(13, sampler.BatchesPerEpoch);
        int batches = 0;
        foreach (Batch batch in sampler)
        {
            float[] rows = batch.Features.ToArray();
            Assert.Equal(8, rows.Length);
            Assert.Equal(2, rows.Count(r => r < 10));
            Assert.Equal(rows, batch.SampleIndices.ToArray().Select(i => (float)i));
            batches++;
        }
        Assert.Equal(13, batches);
    }

    [Fact]
    public void AFractionalShareIsKeptOnAverageAndWithinOneRowPerBatch()
    {
        // h·B = 0.3·10 = 3 exactly; 0.25·10 = 2.5 alternates 3, 2; 0.07·10 = 0.7 over 1000 batches gives 700.
        foreach (var (share, expectedTotal, low, high) in new[] { (0.3, 3000, 3, 3), (0.25, 2500, 2, 3), (0.07, 700, 0, 1) })
        {
            var sampler = new PrioritySampler(Data(), Enumerable.Range(0, 20), share, batchSize: 10, new RandomGenerator(2));
            var indices = new int[10];
            int total = 0;
            for (int b = 0; b < 1000; b++)
            {
                sampler.NextIndices(indices);
                int count = indices.Count(i => i < 20);
                Assert.InRange(count, low, high);
                total += count;
            }
            Assert.Equal(expectedTotal, total);
        }
    }

    [Fact]
    public void EachPoolIsVisitedEvenlyWithoutReplacementWithinAPass()
    {
        var sampler = new PrioritySampler(Data(), Enumerable.Range(0, 10), highShare: 0.5, batchSize: 10, new RandomGenerator(3));
        var counts = new int[100];
        var indices = new int[10];
        for (int b = 0; b < 18; b++)   // 90 high draws (9 passes of 10) and 90 low draws (one pass of 90)
        {
            sampler.NextIndices(indices);
            foreach (int i in indices) counts[i]++;
        }
        Assert.All(counts.Take(10), c => Assert.Equal(9, c));
        Assert.All(counts.Skip(10), c => Assert.Equal(1, c));
    }

    [Fact]
    public void TheSameSeedGivesTheSameBatches()
    {
        int[] Draw(long seed)
        {
            var sampler = new PrioritySampler(Data(), [3, 7, 42], highShare: 0.4, batchSize: 5, new RandomGenerator(seed));
            return [.. sampler.SelectMany(b => b.SampleIndices.ToArray())];
        }
        Assert.Equal(Draw(5), Draw(5));
        Assert.NotEqual(Draw(5), Draw(6));
    }

    [Fact]
    public void UpdateFromErrorsPromotesTheLargestErrors()
    {
        var sampler = new PrioritySampler(Data(10), [], highShare: 0.5, batchSize: 4, new RandomGenerator(4));
        Assert.Empty(sampler.HighPriority);
        float[] errors = [0.1f, 5f, 0.2f, 3f, 0f, 0f, 9f, 0.3f, 0.3f, 0f];
        sampler.UpdateFromErrors(errors, highCount: 3);
        Assert.Equal([1, 3, 6], sampler.HighPriority);
        Assert.Equal(7, sampler.LowPriority.Count);
        var indices = new int[4];
        sampler.NextIndices(indices);
        Assert.Equal(2, indices.Count(i => i is 1 or 3 or 6));
    }

    [Fact]
    public void AnEmptyPoolLeavesTheWholeBatchToTheOther()
    {
        var allLow = new PrioritySampler(Data(), [], highShare: 0.5, batchSize: 6, new RandomGenerator(5));
        Assert.Equal(0, allLow.HighCount(0));
        var allHigh = new PrioritySampler(Data(4), [0, 1, 2, 3], highShare: 0.5, batchSize: 6, new RandomGenerator(5));
        Assert.Equal(6, allHigh.HighCount(0));
        var indices = new int[6];
        allHigh.NextIndices(indices);
        Assert.All(indices, i => Assert.InRange(i, 0, 3));
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PrioritySampler(Data(), [], 1.5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PrioritySampler(Data(), [], 0.5, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PrioritySampler(Data(), [100], 0.5, 4));
        var sampler = new PrioritySampler(Data(), [], 0.5, 4);
        Assert.Throws<ArgumentException>(() => sampler.NextIndices(new int[3]));
        Assert.Throws<ArgumentException>(() => sampler.UpdateFromErrors(new float[5], 1));
    }
}
