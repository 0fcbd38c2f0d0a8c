using Dendrite.Techniques.Classic;
using Xunit.Abstractions;

namespace Dendrite.Tests.Techniques.Classic;

/// <summary>A reduced run of the universal-approximation demonstration: the error falls as the hidden layer widens.</summary>
public class UniversalApproximationTests(ITestOutputHelper output)
{
    [Fact]
    public void TheErrorFallsAsTheWidthGrows()
    {
        // The example runs widths 1..64 with 100 points, 20,000 Rprop steps and 5 starts; this is the smoke version.
        var results = UniversalApproximation.Run(UniversalApproximation.SineWithStep, [1, 4, 16], trainingPoints: 50, iterations: 2_000, starts: 2, seed: 1);
        foreach (var r in results)
            output.WriteLine($"width {r.Width,3} ({r.Weights,3} weights): training MSE {r.TrainingMse:E2}, test MSE {r.TestMse:E2}");
        Assert.Equal([1, 4, 16], results.Select(r => r.Width));
        Assert.Equal([4L, 13, 49], results.Select(r => r.Weights));
        for (int i = 1; i < results.Count; i++)
        {
            Assert.True(results[i].TrainingMse < 0.5 * results[i - 1].TrainingMse, $"training MSE at width {results[i].Width} ({results[i].TrainingMse:E2}) is not well below width {results[i - 1].Width}'s ({results[i - 1].TrainingMse:E2}).");
            Assert.True(results[i].TestMse < results[i - 1].TestMse, $"test MSE did not fall from width {results[i - 1].Width} to {results[i].Width}.");
        }
        Assert.True(results[0].TrainingMse > 0.3, "one tanh unit cannot fit a sine with a jump");
        Assert.True(results[^1].TrainingMse < 2e-3);
        Assert.Equal(4 * 49 + 1, results[0].TestFit.Length);
    }

    [Fact]
    public void TheTargetAndTheGrid()
    {
        Assert.Equal(0.0, UniversalApproximation.SineWithStep(0), 12);
        Assert.Equal(1.0 + Math.Sin(2 * Math.PI * 0.2), UniversalApproximation.SineWithStep(0.2), 12);
        Assert.Equal([-1.0, 0.0, 1.0], UniversalApproximation.Grid(-1, 1, 3));
    }
}
