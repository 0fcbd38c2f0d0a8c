using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>
/// A recurrent language model (char-rnn): token embedding, an <see cref="Lstm"/> (stacked, with dropout
/// between layers), dropout, and a linear head to one logit per vocabulary entry. The logits at step t
/// predict token t + 1. Carry <see cref="RecurrentOutput.State"/> between chunks of a long stream for
/// truncated backpropagation through time, and feed one token at a time to sample.
/// </summary>
/// <remarks>
/// Input: token indices [batch, time] (integral float values). Output: logits [batch, time, V].
/// Children: <c>embedding</c> [V, e], <c>lstm</c> (torch's LSTM names), <c>dropout</c>, <c>head</c>.
/// </remarks>
public sealed class RecurrentLanguageModel : Module
{
    /// <summary>Creates the model.</summary>
    /// <param name="vocabularySize">V.</param>
    /// <param name="embeddingDimension">e, the width of each token's vector.</param>
    /// <param name="hiddenSize">LSTM units per layer.</param>
    /// <param name="numLayers">Stacked LSTM layers.</param>
    /// <param name="dropout">Dropout between LSTM layers and before the head (training).</param>
    /// <param name="generator">Random source for initialisation and dropout.</param>
    public RecurrentLanguageModel(int vocabularySize, int embeddingDimension = 64, int hiddenSize = 256, int numLayers = 1, float dropout = 0f, RandomGenerator? generator = null)
    {
        if (vocabularySize <= 0)
            throw new ArgumentOutOfRangeException(nameof(vocabularySize), $"RecurrentLanguageModel needs a positive vocabulary size; got {vocabularySize}.");
        VocabularySize = vocabularySize;
        Embedding = AddModule("embedding", new Embedding(vocabularySize, embeddingDimension, generator: generator));
        Lstm = AddModule("lstm", new Lstm(embeddingDimension, hiddenSize, numLayers, dropout: dropout, generator: generator));
        OutputDropout = AddModule("dropout", new Dropout(dropout, generator: generator));
        Head = AddModule("head", new Dense(hiddenSize, vocabularySize, generator: generator));
    }

    /// <summary>V.</summary>
    public int VocabularySize { get; }

    /// <summary>The token embedding.</summary>
    public Embedding Embedding { get; }

    /// <summary>The recurrent core.</summary>
    public Lstm Lstm { get; }

    /// <summary>hidden → V logits.</summary>
    public Dense Head { get; }

    private Dropout OutputDropout { get; }

    /// <inheritdoc/>
    public override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"RecurrentLanguageModel(V={VocabularySize}, {Lstm.Describe()})");

    /// <summary>Logits [batch, time, V] for token indices [batch, time], from a zero state.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null).Output;

    /// <summary>
    /// Logits [batch, time, V] for token indices [batch, time] from <paramref name="state"/> (zeros when
    /// null), and the state after the last token.
    /// </summary>
    public RecurrentOutput Forward(Tensor input, RecurrentState? state)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 2)
            throw new ShapeMismatchException($"{Describe()} got input {input.Shape}; expected token indices [batch, time].");
        RecurrentOutput recurrent = Lstm.Forward(Run(Embedding, input), state);
        Tensor logits = Run(Head, Run(OutputDropout, recurrent.Output));
        return new RecurrentOutput(logits, recurrent.State);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["vocabularySize"] = VocabularySize;
        config["embeddingDimension"] = Embedding.EmbeddingDimension;
        config["hiddenSize"] = Lstm.HiddenSize;
        config["numLayers"] = Lstm.NumLayers;
        config["dropout"] = Lstm.Dropout;
    }
}
