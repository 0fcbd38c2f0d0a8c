using Dendrite.Tensors;

namespace Dendrite.Optim;

/// <summary>
/// Annealed Gaussian gradient noise (Neelakantan et al. 2015, "Adding Gradient Noise Improves
/// Learning for Very Deep Networks"): before the update, every gradient element gets
/// N(0, σ_t²) added, with a variance that decays over the steps.
/// </summary>
/// <remarks>σ_t² = η / (1 + t)^γ, t the step count from 0. The paper uses η ∈ {0.01, 0.3, 1} and γ = 0.55.
/// The noise comes from its own seeded generator, whose state the optimiser saves, so a resumed run
/// draws the same noise.</remarks>
public sealed class GradientNoise
{
    /// <summary>Creates the noise schedule.</summary>
    /// <param name="eta">η, the variance at step 0 (≥ 0).</param>
    /// <param name="gamma">γ, the decay exponent (≥ 0).</param>
    /// <param name="seed">Seed of the noise generator.</param>
    public GradientNoise(float eta, float gamma = 0.55f, long seed = 0)
    {
        if (!(eta >= 0f) || !float.IsFinite(eta))
            throw new ArgumentOutOfRangeException(nameof(eta), eta, $"GradientNoise: eta (the variance at step 0) must be finite and non-negative; got {eta}.");
        if (!(gamma >= 0f) || !float.IsFinite(gamma))
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, $"GradientNoise: gamma must be finite and non-negative; got {gamma}.");
        Eta = eta;
        Gamma = gamma;
        Generator = new RandomGenerator(seed);
    }

    /// <summary>η.</summary>
    public float Eta { get; }

    /// <summary>γ.</summary>
    public float Gamma { get; }

    /// <summary>The generator the noise is drawn from.</summary>
    public RandomGenerator Generator { get; }

    /// <summary>σ_t = √(η / (1 + t)^γ) at step <paramref name="step"/> (0-based).</summary>
    public float StandardDeviation(long step) => (float)Math.Sqrt(Eta / Math.Pow(1.0 + step, Gamma));

    /// <summary>Adds N(0, σ²) to every element of <paramref name="gradient"/>.</summary>
    internal void AddTo(Span<float> gradient, float standardDeviation)
    {
        if (standardDeviation == 0f) return;
        for (int i = 0; i < gradient.Length; i++) gradient[i] += standardDeviation * Generator.NextNormal();
    }
}
