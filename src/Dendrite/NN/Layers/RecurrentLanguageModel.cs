using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.Autograd;
using Dendrite.Data;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>
/// A recurrent language model (char-rnn): token embedding, an <see cref="Lstm"/> (stacked, with dropout
/// between layers), dropout, and a linear head to one logit per vocabulary entry. The logits at step t
/// predict token t + 1. Carry <see cref="RecurrentOutput.State"/> between chunks of a long stream for
/// truncated backpropagation through time, and feed one token at a time to sample. When the vocabulary
/// is at most half the tokens of a batch, the first LSTM layer projects the embedding table instead of
/// every embedded token (the same function, fewer operations).
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
        // A small vocabulary (a character model) is cheaper projected once per table row than once per token:
        // the same function, see Lstm.Forward(Embedding, ...).
        RecurrentOutput recurrent = Lstm.ReadsTokensFasterThanEmbedded(Embedding, input)
            ? Lstm.Forward(Embedding, input, state)
            : Lstm.Forward(Run(Embedding, input), state);
        Tensor logits = Run(Head, Run(OutputDropout, recurrent.Output));
        return new RecurrentOutput(logits, recurrent.State);
    }

    /// <summary>
    /// The model's cross-entropy on token streams [streams, steps] (e.g. <c>Sequences.Streams</c>), in bits
    /// per predicted token: every token but each stream's first is predicted from all before it in its
    /// stream, read in chunks of <paramref name="chunkLength"/> with the state carried over. Evaluation
    /// mode, no graph.
    /// </summary>
    public double CrossEntropyBits(Tensor streams, int chunkLength = 64)
    {
        ArgumentNullException.ThrowIfNull(streams);
        var (rows, steps) = streams.Shape.Dims2("RecurrentLanguageModel.CrossEntropyBits");
        bool training = IsTraining;
        Eval();
        try
        {
            using var _ = new NoGrad();
            RecurrentState? state = null;
            double nats = 0;
            long count = 0;
            for (int start = 0; start + 1 < steps; start += chunkLength)
            {
                int length = Math.Min(chunkLength, steps - 1 - start);
                var (inputs, targets) = Sequences.NextTokenChunk(streams, start, length);
                RecurrentOutput output = Forward(inputs, state);
                nats += output.Output.Reshape(rows * length, VocabularySize).SoftmaxCrossEntropy(targets, Reduction.Sum).Item();
                count += rows * length;
                state = output.State;
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
    /// softmax(logits / <paramref name="temperature"/>), until <paramref name="stopToken"/> is drawn or
    /// <paramref name="maxTokens"/> are produced. Returns the new tokens (including a drawn stop token).
    /// </summary>
    public int[] Generate(ReadOnlySpan<int> prompt, int maxTokens, RandomGenerator generator, float temperature = 1f, int? stopToken = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (prompt.IsEmpty) throw new ArgumentException("RecurrentLanguageModel.Generate needs a prompt of at least one token.", nameof(prompt));
        if (!(temperature > 0f)) throw new ArgumentOutOfRangeException(nameof(temperature), $"The temperature must be positive; got {temperature}.");
        bool training = IsTraining;
        Eval();
        try
        {
            using var _ = new NoGrad();
            var tokens = new float[prompt.Length];
            for (int i = 0; i < prompt.Length; i++) tokens[i] = prompt[i];
            RecurrentOutput output = Forward(Tensor.FromArray(tokens, new Shape(1, prompt.Length)), null);
            var produced = new List<int>();
            while (produced.Count < maxTokens)
            {
                float[] logits = output.Output.Select(1, output.Output.Shape[1] - 1).Contiguous().ToArray();
                int next = SampleFromLogits(logits, temperature, generator);
                produced.Add(next);
                if (next == stopToken) break;
                output = Forward(Tensor.FromArray([next], new Shape(1, 1)), output.State);
            }
            return [.. produced];
        }
        finally
        {
            Train(training);
        }
    }

    /// <summary>A draw from softmax(<paramref name="logits"/> / temperature).</summary>
    internal static int SampleFromLogits(float[] logits, float temperature, RandomGenerator generator)
    {
        double max = logits.Max(), total = 0;
        var weights = new double[logits.Length];
        for (int i = 0; i < logits.Length; i++) total += weights[i] = Math.Exp((logits[i] - max) / temperature);
        double u = generator.NextDouble() * total;
        for (int i = 0; i < weights.Length; i++)
        {
            u -= weights[i];
            if (u < 0) return i;
        }
        return weights.Length - 1;
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
