using System.Globalization;
using Dendrite.Tensors;

namespace Dendrite.Data;

/// <summary>
/// A character vocabulary: each distinct character of a text gets an index, in ordinal order, so that
/// text becomes token indices for an embedding and back.
/// </summary>
public sealed class CharacterVocabulary
{
    private readonly string _characters;
    private readonly Dictionary<char, int> _indices;

    /// <summary>A vocabulary of exactly <paramref name="characters"/> (each once); index i is character i.</summary>
    public CharacterVocabulary(string characters)
    {
        ArgumentException.ThrowIfNullOrEmpty(characters);
        _characters = characters;
        _indices = new Dictionary<char, int>(characters.Length);
        for (int i = 0; i < characters.Length; i++)
            if (!_indices.TryAdd(characters[i], i))
                throw new ArgumentException($"CharacterVocabulary: '{Show(characters[i])}' appears twice.", nameof(characters));
    }

    /// <summary>The distinct characters of <paramref name="texts"/>, in ordinal order.</summary>
    public static CharacterVocabulary Build(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var set = new SortedSet<char>(Comparer<char>.Create((a, b) => a.CompareTo(b)));
        foreach (string text in texts) set.UnionWith(text);
        if (set.Count == 0) throw new ArgumentException("CharacterVocabulary.Build: the texts contain no characters.", nameof(texts));
        return new CharacterVocabulary(new string([.. set]));
    }

    /// <summary>Number of characters (the model's vocabulary size V).</summary>
    public int Count => _characters.Length;

    /// <summary>The characters in index order.</summary>
    public string Characters => _characters;

    /// <summary>The character with index <paramref name="index"/>.</summary>
    public char this[int index] => _characters[index];

    /// <summary>Whether <paramref name="character"/> is in the vocabulary.</summary>
    public bool Contains(char character) => _indices.ContainsKey(character);

    /// <summary>The index of <paramref name="character"/>; throws if it is not in the vocabulary.</summary>
    public int IndexOf(char character) =>
        _indices.TryGetValue(character, out int index) ? index
            : throw new ArgumentException($"CharacterVocabulary: '{Show(character)}' is not among its {Count} characters.", nameof(character));

    /// <summary>The indices of the characters of <paramref name="text"/>.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var indices = new int[text.Length];
        for (int i = 0; i < text.Length; i++) indices[i] = IndexOf(text[i]);
        return indices;
    }

    /// <summary>The indices of <paramref name="text"/> as a tensor [length] of integral float values (what <c>Embedding</c> reads).</summary>
    public Tensor EncodeTensor(string text)
    {
        int[] indices = Encode(text);
        var values = new float[indices.Length];
        for (int i = 0; i < values.Length; i++) values[i] = indices[i];
        return Tensor.FromArray(values, new Shape(values.Length));
    }

    /// <summary>The text of <paramref name="indices"/>.</summary>
    public string Decode(ReadOnlySpan<int> indices)
    {
        var characters = new char[indices.Length];
        for (int i = 0; i < indices.Length; i++) characters[i] = _characters[indices[i]];
        return new string(characters);
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"CharacterVocabulary({Count}: {Show(_characters)})");

    private static string Show(string text) => text.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);

    private static string Show(char c) => Show(c.ToString());
}
