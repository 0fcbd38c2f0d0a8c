using Dendrite.Tensors;

namespace Dendrite.Data;

/// <summary>
/// A token-bigram count model: P(next | previous) = (count(previous, next) + k) / (count(previous) + k·V),
/// additive (Lidstone) smoothing with k. The baseline a character-level language model must beat: it
/// knows which letter tends to follow which, and nothing longer.
/// </summary>
public sealed class BigramModel
{
    private readonly long[] _pairs;
    private readonly long[] _totals;

    /// <summary>An empty model over <paramref name="vocabularySize"/> tokens with smoothing <paramref name="smoothing"/> (k &gt; 0).</summary>
    public BigramModel(int vocabularySize, double smoothing = 1.0)
    {
        if (vocabularySize <= 0) throw new ArgumentOutOfRangeException(nameof(vocabularySize), $"BigramModel needs a positive vocabulary size; got {vocabularySize}.");
        if (!(smoothing > 0)) throw new ArgumentOutOfRangeException(nameof(smoothing), $"BigramModel: the smoothing k must be positive; got {smoothing}.");
        VocabularySize = vocabularySize;
        Smoothing = smoothing;
        _pairs = new long[vocabularySize * vocabularySize];
        _totals = new long[vocabularySize];
    }

    /// <summary>V.</summary>
    public int VocabularySize { get; }

    /// <summary>k, added to every pair count.</summary>
    public double Smoothing { get; }

    /// <summary>Counts every pair of consecutive tokens of <paramref name="tokens"/> (call again to add more text).</summary>
    public void Fit(ReadOnlySpan<int> tokens)
    {
        for (int i = 1; i < tokens.Length; i++)
        {
            _pairs[Check(tokens[i - 1]) * VocabularySize + Check(tokens[i])]++;
            _totals[tokens[i - 1]]++;
        }
    }

    /// <summary>P(<paramref name="next"/> | <paramref name="previous"/>).</summary>
    public double Probability(int previous, int next) =>
        (_pairs[Check(previous) * VocabularySize + Check(next)] + Smoothing) / (_totals[previous] + Smoothing * VocabularySize);

    /// <summary>The mean of −log₂ P(t_i | t_{i−1}) over i ≥ 1: bits per predicted token.</summary>
    public double CrossEntropyBits(ReadOnlySpan<int> tokens)
    {
        if (tokens.Length < 2) throw new ArgumentException("BigramModel.CrossEntropyBits needs at least two tokens.", nameof(tokens));
        double sum = 0;
        for (int i = 1; i < tokens.Length; i++) sum -= Math.Log2(Probability(tokens[i - 1], tokens[i]));
        return sum / (tokens.Length - 1);
    }

    /// <summary>A token drawn from P(· | <paramref name="previous"/>).</summary>
    public int Sample(int previous, RandomGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        double u = generator.NextDouble(), cumulative = 0;
        for (int next = 0; next < VocabularySize; next++)
        {
            cumulative += Probability(previous, next);
            if (u < cumulative) return next;
        }
        return VocabularySize - 1;
    }

    private int Check(int token) =>
        (uint)token < (uint)VocabularySize ? token : throw new ArgumentOutOfRangeException(nameof(token), $"BigramModel: token {token} is not in [0, {VocabularySize}).");
}
