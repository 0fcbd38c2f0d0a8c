using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.NN.Initializers;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>What <see cref="MultiHeadAttention.Forward(Tensor, Tensor, Tensor, Tensor?, Tensor?, bool, bool, bool)"/> returns.</summary>
/// <param name="Output">[batch, L, E].</param>
/// <param name="Weights">The attention weights when asked for: [batch, L, S] averaged over heads, or [batch, heads, L, S]; else null.</param>
public sealed record AttentionOutput(Tensor Output, Tensor? Weights);

/// <summary>
/// Multi-head attention (Vaswani et al. 2017), as <c>torch.nn.MultiheadAttention</c> with
/// <c>batch_first = True</c>: the query, key and value are projected (one stacked weight), split into
/// heads of E / heads features, attended by scaled dot products, concatenated and projected again.
/// </summary>
/// <remarks>
/// Parameters as torch names them: <c>in_proj_weight</c> [3E, E] (W_q, W_k, W_v stacked by rows),
/// <c>in_proj_bias</c> [3E], <c>out_proj.weight</c> [E, E], <c>out_proj.bias</c> [E]. Initialised as
/// torch: Glorot uniform in-projection, zero biases, uniform ±1/√E out-projection. Masks are boolean
/// (nonzero = not attended): <c>attentionMask</c> [L, S] or [batch·heads, L, S], <c>keyPaddingMask</c>
/// [batch, S]. Dropout applies to the attention weights in training.
/// </remarks>
public sealed class MultiHeadAttention : Module
{
    private readonly RandomGenerator? _generator;

    /// <summary>Creates the layer.</summary>
    /// <param name="embedDimension">E, the model width (features of query, key and value).</param>
    /// <param name="numHeads">Heads; must divide E.</param>
    /// <param name="dropout">Dropout on the attention weights in training.</param>
    /// <param name="bias">Whether the projections have biases.</param>
    /// <param name="generator">Random source for initialisation and dropout (the thread's default when null).</param>
    public MultiHeadAttention(int embedDimension, int numHeads, float dropout = 0f, bool bias = true, RandomGenerator? generator = null)
    {
        if (embedDimension <= 0 || numHeads <= 0 || embedDimension % numHeads != 0)
            throw new ArgumentOutOfRangeException(nameof(numHeads), $"MultiHeadAttention: the embedding dimension {embedDimension} must be a positive multiple of the number of heads {numHeads}.");
        if (!(dropout >= 0f && dropout < 1f))
            throw new ArgumentOutOfRangeException(nameof(dropout), $"MultiHeadAttention: dropout must be in [0, 1); got {dropout}.");
        EmbedDimension = embedDimension;
        NumHeads = numHeads;
        Dropout = dropout;
        _generator = generator;
        InProjectionWeight = AddParameter("in_proj_weight", [3 * embedDimension, embedDimension], Initializer.GlorotUniform(), embedDimension, 3 * embedDimension, generator);
        if (bias) InProjectionBias = AddParameter("in_proj_bias", [3 * embedDimension], Initializer.Zeros, embedDimension, 3 * embedDimension, generator);
        float bound = 1f / MathF.Sqrt(embedDimension);
        OutProjection = AddModule("out_proj", new Dense(embedDimension, embedDimension, bias: bias,
            weightInitializer: Initializer.Uniform(-bound, bound), generator: generator));
    }

    /// <summary>E.</summary>
    public int EmbedDimension { get; }

    /// <summary>Number of heads.</summary>
    public int NumHeads { get; }

    /// <summary>E / heads, the features of one head.</summary>
    public int HeadDimension => EmbedDimension / NumHeads;

    /// <summary>Dropout rate on the attention weights (training).</summary>
    public float Dropout { get; }

    /// <summary>W_q, W_k, W_v stacked [3E, E].</summary>
    public Parameter InProjectionWeight { get; }

    /// <summary>b_q, b_k, b_v stacked [3E], or null.</summary>
    public Parameter? InProjectionBias { get; }

    /// <summary>The output projection (E → E).</summary>
    public Dense OutProjection { get; }

    /// <inheritdoc/>
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"MultiHeadAttention({EmbedDimension}, heads={NumHeads})");

    /// <summary>Self-attention of <paramref name="input"/> [batch, L, E] without masks; returns [batch, L, E].</summary>
    public override Tensor Forward(Tensor input) => Forward(input, input, input).Output;

    /// <summary>
    /// Attends <paramref name="query"/> [batch, L, E] to <paramref name="key"/> [batch, S, E] and
    /// <paramref name="value"/> [batch, S, E].
    /// </summary>
    /// <param name="query">[batch, L, E].</param>
    /// <param name="key">[batch, S, E].</param>
    /// <param name="value">[batch, S, E].</param>
    /// <param name="attentionMask">Boolean [L, S] or [batch·heads, L, S]: nonzero = query i does not attend key j.</param>
    /// <param name="keyPaddingMask">Boolean [batch, S]: nonzero = key j of that sequence is padding.</param>
    /// <param name="needWeights">Also return the attention weights.</param>
    /// <param name="averageWeights">Average the returned weights over heads ([batch, L, S]) instead of [batch, heads, L, S].</param>
    /// <param name="isCausal">Add the causal mask (query i attends keys j ≤ i).</param>
    public AttentionOutput Forward(Tensor query, Tensor key, Tensor value, Tensor? attentionMask = null, Tensor? keyPaddingMask = null,
        bool needWeights = false, bool averageWeights = true, bool isCausal = false)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        int e = EmbedDimension;
        if (query.Rank != 3 || query.Shape[2] != e)
            throw new ShapeMismatchException($"{Describe()} got query {query.Shape}; expected [batch, length, {e}].");
        int batch = query.Shape[0], queries = query.Shape[1];
        if (key.Rank != 3 || key.Shape[0] != batch || key.Shape[2] != e || value.Shape != key.Shape)
            throw new ShapeMismatchException($"{Describe()} got key {key.Shape} and value {value.Shape} for query {query.Shape}; both must be [{batch}, keys, {e}].");
        int keys = key.Shape[1];

        // Projections: one GEMM for self-attention (the same tensor three times), else three.
        // The projections own their storage; q, k and v become views of them (given back below under NoGrad).
        Tensor q, k, v, qProjection, kProjection, vProjection;
        if (ReferenceEquals(query, key) && ReferenceEquals(key, value))
        {
            Tensor all = query.Linear(InProjectionWeight, InProjectionBias);           // [B, L, 3E]
            (qProjection, kProjection, vProjection) = (all, all, all);
            (q, k, v) = (all.Narrow(2, 0, e), all.Narrow(2, e, e), all.Narrow(2, 2 * e, e));
        }
        else
        {
            q = qProjection = query.Linear(InProjectionWeight.Narrow(0, 0, e), InProjectionBias?.Narrow(0, 0, e));
            k = kProjection = key.Linear(InProjectionWeight.Narrow(0, e, e), InProjectionBias?.Narrow(0, e, e));
            v = vProjection = value.Linear(InProjectionWeight.Narrow(0, 2 * e, e), InProjectionBias?.Narrow(0, 2 * e, e));
        }
        q = SplitHeads(q, batch, queries);                                              // [B, h, L, d]
        k = SplitHeads(k, batch, keys);                                                 // [B, h, S, d]
        v = SplitHeads(v, batch, keys);

        Tensor? mask = CombinedMask(attentionMask, keyPaddingMask, batch, queries, keys);
        Func<Tensor, Tensor>? dropout = IsTraining && Dropout > 0f
            ? w => w * (Tensor.Bernoulli(w.Shape, 1f - Dropout, _generator ?? RandomGenerator.Default) * (1f / (1f - Dropout)))
            : null;
        var (attended, weights) = q.ScaledDotProductAttentionWithWeights(k, v, mask, isCausal, dropout: dropout);   // [B, h, L, d], [B, h, L, S]
        Tensor merged = attended.Permute(0, 2, 1, 3).Reshape(batch, queries, e);       // [B, L, E]
        Tensor output = Run(OutProjection, merged);
        Tensor? returned = !needWeights ? null : averageWeights ? weights.Mean(1) : weights;
        // Under NoGrad the projections, the attended values and the merged heads go back to the pool
        // (releasing a tensor twice does nothing); the weights only when the caller did not ask for them.
        ReleaseConsumed(query, output, qProjection, kProjection, vProjection, attended, merged);
        if (!ReferenceEquals(returned, weights)) ReleaseConsumed(query, output, weights);
        return new AttentionOutput(output, returned);
    }

    /// <summary>[B, n, E] → [B, heads, n, d] (a view).</summary>
    private Tensor SplitHeads(Tensor x, int batch, int length) => x.Reshape(batch, length, NumHeads, HeadDimension).Permute(0, 2, 1, 3);

    /// <summary>The two boolean masks as one boolean mask broadcastable to [B, heads, L, S], or null.</summary>
    private Tensor? CombinedMask(Tensor? attentionMask, Tensor? keyPaddingMask, int batch, int queries, int keys)
    {
        Tensor? mask = null;
        if (attentionMask is not null)
        {
            if (attentionMask.Shape == new Shape(queries, keys)) mask = attentionMask;
            else if (attentionMask.Shape == new Shape(batch * NumHeads, queries, keys)) mask = attentionMask.Reshape(batch, NumHeads, queries, keys);
            else
                throw new ShapeMismatchException($"{Describe()} got attention mask {attentionMask.Shape}; expected [{queries}, {keys}] or [{batch * NumHeads}, {queries}, {keys}] (batch·heads, L, S).");
        }
        if (keyPaddingMask is not null)
        {
            if (keyPaddingMask.Shape != new Shape(batch, keys))
                throw new ShapeMismatchException($"{Describe()} got key padding mask {keyPaddingMask.Shape}; expected [batch, keys] = [{batch}, {keys}].");
            Tensor padding = keyPaddingMask.Reshape(batch, 1, 1, keys);
            mask = mask is null ? padding : mask + padding;
        }
        return mask;
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["embedDimension"] = EmbedDimension;
        config["numHeads"] = NumHeads;
        config["dropout"] = Dropout;
        config["bias"] = InProjectionBias is not null;
    }
}
