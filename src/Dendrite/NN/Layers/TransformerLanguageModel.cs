using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.NN.Initializers;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>
/// A small decoder-only (GPT-style) causal language model: token embedding plus learned positions,
/// a stack of pre-norm <see cref="TransformerEncoderLayer"/> blocks with causal self-attention, a final
/// layer norm and a linear head to one logit per vocabulary entry. Position t sees tokens 0..t only,
/// so the logits at t predict token t + 1.
/// </summary>
/// <remarks>
/// Input: token indices [batch, time] (integral float values), time ≤ <see cref="ContextLength"/>.
/// Output: logits [batch, time, vocabulary]. Children: <c>token_embedding</c>, <c>position</c>,
/// <c>dropout</c>, <c>layers.{i}</c>, <c>norm</c>, <c>head</c>.
/// </remarks>
public sealed class TransformerLanguageModel : Module
{
    private readonly TransformerEncoderLayer[] _layers;

    /// <summary>Creates the model.</summary>
    /// <param name="vocabularySize">V, the number of tokens.</param>
    /// <param name="contextLength">The longest input sequence.</param>
    /// <param name="modelDimension">d.</param>
    /// <param name="numHeads">Attention heads per block.</param>
    /// <param name="numLayers">Blocks.</param>
    /// <param name="feedforwardDimension">Hidden width of each block's feed-forward network (4·d when 0).</param>
    /// <param name="dropout">Dropout on embeddings, attention weights and residual branches (training).</param>
    /// <param name="generator">Random source for initialisation and dropout.</param>
    public TransformerLanguageModel(int vocabularySize, int contextLength, int modelDimension = 128, int numHeads = 4, int numLayers = 2,
        int feedforwardDimension = 0, float dropout = 0.1f, RandomGenerator? generator = null)
    {
        if (vocabularySize <= 0 || contextLength <= 0 || numLayers <= 0)
            throw new ArgumentOutOfRangeException(nameof(vocabularySize), $"TransformerLanguageModel needs a positive vocabulary, context length and layer count; got {vocabularySize}, {contextLength}, {numLayers}.");
        VocabularySize = vocabularySize;
        ContextLength = contextLength;
        ModelDimension = modelDimension;
        NumHeads = numHeads;
        FeedforwardDimension = feedforwardDimension > 0 ? feedforwardDimension : 4 * modelDimension;
        DropoutRate = dropout;
        TokenEmbedding = AddModule("token_embedding", new Embedding(vocabularySize, modelDimension, Initializer.Normal(0f, 0.02f), generator));
        Position = AddModule("position", new LearnedPositionalEncoding(contextLength, modelDimension, generator));
        EmbeddingDropout = AddModule("dropout", new Dropout(dropout, generator: generator));
        _layers = new TransformerEncoderLayer[numLayers];
        var stack = new Sequential();
        for (int i = 0; i < numLayers; i++)
        {
            _layers[i] = new TransformerEncoderLayer(modelDimension, numHeads, FeedforwardDimension, dropout, "gelu", normFirst: true, generator: generator);
            stack.Add(_layers[i]);
        }
        AddModule("layers", stack);
        Norm = AddModule("norm", new LayerNorm(modelDimension));
        Head = AddModule("head", new Dense(modelDimension, vocabularySize, weightInitializer: Initializer.Normal(0f, 0.02f), generator: generator));
    }

    /// <summary>V.</summary>
    public int VocabularySize { get; }

    /// <summary>The longest input sequence.</summary>
    public int ContextLength { get; }

    /// <summary>d.</summary>
    public int ModelDimension { get; }

    /// <summary>Attention heads per block.</summary>
    public int NumHeads { get; }

    /// <summary>Number of blocks.</summary>
    public int NumLayers => _layers.Length;

    /// <summary>Hidden width of the feed-forward networks.</summary>
    public int FeedforwardDimension { get; }

    /// <summary>Dropout rate (training).</summary>
    public float DropoutRate { get; }

    /// <summary>The token embedding [V, d].</summary>
    public Embedding TokenEmbedding { get; }

    /// <summary>The learned positions [context, d].</summary>
    public LearnedPositionalEncoding Position { get; }

    /// <summary>The final layer norm.</summary>
    public LayerNorm Norm { get; }

    /// <summary>d → V logits.</summary>
    public Dense Head { get; }

    private Dropout EmbeddingDropout { get; }

    /// <inheritdoc/>
    public override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"TransformerLanguageModel(V={VocabularySize}, context={ContextLength}, d={ModelDimension}, heads={NumHeads}, layers={NumLayers})");

    /// <summary>Logits [batch, time, V] for token indices [batch, time]; position t sees tokens 0..t.</summary>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 2 || input.Shape[1] > ContextLength || input.Shape[1] == 0)
            throw new ShapeMismatchException($"{Describe()} got input {input.Shape}; expected token indices [batch, time] with 1 ≤ time ≤ {ContextLength}.");
        Tensor x = Run(EmbeddingDropout, Run(Position, Run(TokenEmbedding, input)));
        foreach (TransformerEncoderLayer layer in _layers) x = layer.Forward(x, null, isCausal: true);
        return Run(Head, Run(Norm, x));
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["vocabularySize"] = VocabularySize;
        config["contextLength"] = ContextLength;
        config["modelDimension"] = ModelDimension;
        config["numHeads"] = NumHeads;
        config["numLayers"] = NumLayers;
        config["feedforwardDimension"] = FeedforwardDimension;
        config["dropout"] = DropoutRate;
    }
}
