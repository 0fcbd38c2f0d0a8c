using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.Autograd;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>
/// An encoder-decoder (sequence to sequence) network of GRUs over token sequences, with optional
/// attention (Luong et al. 2015, "general" scores): the encoder reads the source into one state per
/// position; the decoder writes the target one token at a time from the previous token and, with
/// attention, a context vector — the encoder states weighted by softmax(e_t · W_a h) at every step —
/// so it can look back at any source position instead of squeezing the whole source into one
/// vector (Bahdanau et al. 2014's point). Without attention the decoder sees only the encoder's final state.
/// </summary>
/// <remarks>
/// Tokens are integral floats in [0, vocabulary). <see cref="BeginToken"/> starts every decoded
/// sequence; training uses teacher forcing (the true previous token as the decoder's input).
/// Shapes: source [B, S], target [B, T], logits [B, T, vocabulary].
/// </remarks>
public sealed class Seq2Seq : Module
{
    /// <summary>Creates the network.</summary>
    /// <param name="vocabularySize">Tokens of both source and target.</param>
    /// <param name="embeddingDimension">Length of each token's vector.</param>
    /// <param name="hiddenSize">Units of the encoder and decoder GRUs.</param>
    /// <param name="attention">Whether the decoder attends to the encoder states.</param>
    /// <param name="beginToken">The token that starts decoding.</param>
    /// <param name="generator">Random source for initialisation.</param>
    public Seq2Seq(int vocabularySize, int embeddingDimension = 32, int hiddenSize = 64, bool attention = true, int beginToken = 1, RandomGenerator? generator = null)
    {
        if ((uint)beginToken >= (uint)vocabularySize)
            throw new ArgumentOutOfRangeException(nameof(beginToken), $"Seq2Seq: the begin token {beginToken} is not in the vocabulary [0, {vocabularySize}).");
        VocabularySize = vocabularySize;
        HiddenSize = hiddenSize;
        Attention = attention;
        BeginToken = beginToken;
        Embedding = AddModule("embedding", new Embedding(vocabularySize, embeddingDimension, generator: generator));
        Encoder = AddModule("encoder", new Gru(embeddingDimension, hiddenSize, generator: generator));
        Decoder = AddModule("decoder", new GruCell(embeddingDimension + (attention ? hiddenSize : 0), hiddenSize, generator: generator));
        if (attention) Score = AddModule("attention", new Dense(hiddenSize, hiddenSize, bias: false, generator: generator));
        Output = AddModule("output", new Dense(attention ? 2 * hiddenSize : hiddenSize, vocabularySize, generator: generator));
    }

    /// <summary>Tokens in the vocabulary.</summary>
    public int VocabularySize { get; }
    /// <summary>Units of the GRUs.</summary>
    public int HiddenSize { get; }
    /// <summary>Whether the decoder attends.</summary>
    public bool Attention { get; }
    /// <summary>The token that starts decoding.</summary>
    public int BeginToken { get; }
    /// <summary>Shared token embedding.</summary>
    public Embedding Embedding { get; }
    /// <summary>Reads the source.</summary>
    public Gru Encoder { get; }
    /// <summary>Writes the target one step at a time.</summary>
    public GruCell Decoder { get; }
    /// <summary>W_a of the attention scores, or null.</summary>
    public Dense? Score { get; }
    /// <summary>Maps the decoder state (and context) to token logits.</summary>
    public Dense Output { get; }

    /// <inheritdoc/>
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"Seq2Seq(vocabulary {VocabularySize}, hidden {HiddenSize}{(Attention ? ", attention" : "")})");

    /// <summary>Greedy translation of <paramref name="input"/> [B, S] into as many tokens as the source has: [B, S] (see <see cref="Decode"/> for other lengths).</summary>
    public override Tensor Forward(Tensor input) => Decode(input, input.Shape.Dims2("Seq2Seq source").Item2);

    /// <summary>
    /// Training pass with teacher forcing: logits [B, T, vocabulary] for <paramref name="target"/> [B, T]
    /// given <paramref name="source"/> [B, S]; the decoder's input at step t is the begin token (t = 0) or target[t − 1].
    /// </summary>
    public Tensor TeacherForced(Tensor source, Tensor target)
    {
        var (batch, steps) = target.Shape.Dims2("Seq2Seq target");
        var (encoded, state) = Encode(source);
        Tensor previous = Tensor.Full([batch], BeginToken);
        var logits = new Tensor[steps];
        for (int t = 0; t < steps; t++)
        {
            (logits[t], state) = Step(previous, state, encoded);
            previous = target.Select(1, t);
        }
        return TensorOps.Stack(logits, 1);
    }

    /// <summary>Greedy decoding of <paramref name="length"/> tokens for each source sequence: [B, S] → [B, length].</summary>
    public Tensor Decode(Tensor source, int length)
    {
        using var _ = new NoGrad();
        int batch = source.Shape[0];
        var (encoded, state) = Encode(source);
        Tensor previous = Tensor.Full([batch], BeginToken);
        var tokens = new Tensor[length];
        for (int t = 0; t < length; t++)
        {
            Tensor logits;
            (logits, state) = Step(previous, state, encoded);
            previous = logits.ArgMax(1);
            tokens[t] = previous;
        }
        return TensorOps.Stack(tokens, 1);
    }

    private (Tensor Encoded, Tensor State) Encode(Tensor source)
    {
        source.Shape.Dims2("Seq2Seq source");
        RecurrentOutput encoded = Encoder.Forward(Run(Embedding, source), null);
        // The decoder starts from the encoder's final state.
        return (encoded.Output, encoded.State.Hidden.Select(0, 0));
    }

    private (Tensor Logits, Tensor State) Step(Tensor previousTokens, Tensor state, Tensor encoded)
    {
        Tensor embedded = Embedding.Forward(previousTokens);
        if (Score is null)
        {
            Tensor plain = Decoder.Forward(embedded, state);
            return (Output.Forward(plain), plain);
        }
        // Input feeding: the decoder sees the context computed from its previous state.
        Tensor context = Context(state, encoded);
        Tensor next = Decoder.Forward(TensorOps.Concat([embedded, context], 1), state);
        Tensor attended = Context(next, encoded);
        return (Output.Forward(TensorOps.Concat([next, attended], 1)), next);
    }

    /// <summary>Σ_s α_s e_s with α = softmax_s(e_s · W_a h): [B, H] and [B, S, H] → [B, H].</summary>
    private Tensor Context(Tensor hidden, Tensor encoded)
    {
        Tensor query = Score!.Forward(hidden).Unsqueeze(-1);          // [B, H, 1]
        Tensor weights = encoded.MatMul(query).Squeeze(-1).Softmax(1); // [B, S]
        return weights.Unsqueeze(1).MatMul(encoded).Squeeze(1);        // [B, H]
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["vocabularySize"] = VocabularySize;
        config["embeddingDimension"] = Embedding.EmbeddingDimension;
        config["hiddenSize"] = HiddenSize;
        config["attention"] = Attention;
        config["beginToken"] = BeginToken;
    }
}
