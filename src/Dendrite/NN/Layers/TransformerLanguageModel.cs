using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.Autograd;
using Dendrite.Data;
using Dendrite.NN.Initializers;
using Dendrite.Ops;
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
        // Under NoGrad each step's input goes back to the pool once the step is done (Consumed).
        Tensor embedded = Run(TokenEmbedding, input);
        Tensor positioned = Consumed(input, embedded, Run(Position, embedded));
        Tensor x = Consumed(input, positioned, Run(EmbeddingDropout, positioned));
        foreach (TransformerEncoderLayer layer in _layers) x = Consumed(input, x, layer.Forward(x, null, isCausal: true));
        Tensor normed = Consumed(input, x, Run(Norm, x));
        return Consumed(input, normed, Run(Head, normed));
    }

    /// <summary>
    /// The model's cross-entropy on token streams [streams, steps] (e.g. <c>Sequences.Streams</c>), in bits
    /// per predicted token: every token but each stream's first is predicted. Windows of
    /// <see cref="ContextLength"/> tokens slide by half a window and score only their second half (the
    /// first window all of it), so every prediction sees at least half a context of history. Evaluation
    /// mode, no graph.
    /// </summary>
    public double CrossEntropyBits(Tensor streams)
    {
        ArgumentNullException.ThrowIfNull(streams);
        var (rows, steps) = streams.Shape.Dims2("TransformerLanguageModel.CrossEntropyBits");
        int window = Math.Min(ContextLength, steps - 1), stride = Math.Max(1, window / 2);
        bool training = IsTraining;
        Eval();
        try
        {
            using var _ = new NoGrad();
            double nats = 0;
            long count = 0;
            int scoredUpTo = 0;   // predictions of positions 1..scoredUpTo are done
            for (int start = 0; scoredUpTo < steps - 1; start = Math.Min(start + stride, steps - 1 - window))
            {
                var (inputs, targets) = Sequences.NextTokenChunk(streams, start, window);
                Tensor losses = Forward(inputs).Reshape(rows * window, VocabularySize).SoftmaxCrossEntropy(targets, Reduction.None);
                float[] values = losses.ToArray();
                // Position start + t predicts token start + t + 1; score only those not scored before.
                for (int t = Math.Max(0, scoredUpTo - start); t < window; t++)
                    for (int r = 0; r < rows; r++) nats += values[r * window + t];
                count += (long)rows * (window - Math.Max(0, scoredUpTo - start));
                scoredUpTo = start + window;
            }
            return nats / count / Math.Log(2);
        }
        finally
        {
            Train(training);
        }
    }

    /// <summary>
    /// Continues <paramref name="prompt"/> (at least one token) by sampling one token at a time from
    /// softmax(logits / <paramref name="temperature"/>), with the last <see cref="ContextLength"/> tokens
    /// as context, until <paramref name="stopToken"/> is drawn or <paramref name="maxTokens"/> are produced.
    /// Returns the new tokens (including a drawn stop token).
    /// </summary>
    public int[] Generate(ReadOnlySpan<int> prompt, int maxTokens, RandomGenerator generator, float temperature = 1f, int? stopToken = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (prompt.IsEmpty) throw new ArgumentException("TransformerLanguageModel.Generate needs a prompt of at least one token.", nameof(prompt));
        if (!(temperature > 0f)) throw new ArgumentOutOfRangeException(nameof(temperature), $"The temperature must be positive; got {temperature}.");
        bool training = IsTraining;
        Eval();
        try
        {
            using var _ = new NoGrad();
            var context = new List<int>(prompt.ToArray());
            var produced = new List<int>();
            while (produced.Count < maxTokens)
            {
                int length = Math.Min(context.Count, ContextLength);
                var tokens = new float[length];
                for (int i = 0; i < length; i++) tokens[i] = context[context.Count - length + i];
                Tensor logits = Forward(Tensor.FromArray(tokens, new Shape(1, length)));
                int next = RecurrentLanguageModel.SampleFromLogits(logits.Select(1, length - 1).Contiguous().ToArray(), temperature, generator);
                produced.Add(next);
                context.Add(next);
                if (next == stopToken) break;
            }
            return [.. produced];
        }
        finally
        {
            Train(training);
        }
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
