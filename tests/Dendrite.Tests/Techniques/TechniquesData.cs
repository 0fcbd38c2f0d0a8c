using Dendrite.Data;

namespace Dendrite.Tests.Techniques;

/// <summary>Small data for the techniques' tests: the digits scaled to [0, 1], and a smooth 2-input regression.</summary>
internal static class TechniquesData
{
    private static readonly Lazy<Dataset> ScaledDigits = new(() =>
    {
        Dataset digits = Datasets.Digits();
        return digits.WithFeatures(digits.Features * (1f / 16f));
    });

    /// <summary>The UCI digits with pixels scaled to [0, 1] (shared; do not write into it).</summary>
    public static Dataset Digits => ScaledDigits.Value;

    /// <summary>Stratified train/test split of the scaled digits.</summary>
    public static (Dataset Train, Dataset Test) DigitsSplit(long seed = 1, double test = 0.3) =>
        Splits.TrainValidation(Digits, test, new RandomGenerator(seed), stratified: true);

    /// <summary>t = sin(2x₁) + 0.5·x₂² + noise, x ~ U[−1, 1]², as inputs [N, 2] and targets [N, 1].</summary>
    public static (Tensor Inputs, Tensor Targets) SmoothRegression(int n, long seed, float noise = 0.02f)
    {
        var generator = new RandomGenerator(seed);
        Tensor x = Tensor.Uniform([n, 2], -1f, 1f, generator);
        var t = new float[n];
        for (int i = 0; i < n; i++) t[i] = MathF.Sin(2 * x[i, 0]) + 0.5f * x[i, 1] * x[i, 1] + noise * generator.NextNormal();
        return (x, Tensor.Wrap(t, new Shape(n, 1)));
    }
}
