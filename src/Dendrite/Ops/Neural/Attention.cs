using Dendrite.Tensors;

namespace Dendrite.Ops;

// Scaled dot-product attention (Vaswani et al. 2017), composed from ops that have their own backward
// (MatMul, Softmax, +), so it writes no backward of its own:
//   scores = q·kᵀ · scale + M      q [..., L, E], k [..., S, E]  →  [..., L, S]
//   weights = softmax(scores) along S
//   output  = weights·v            v [..., S, Ev]  →  [..., L, Ev]
// L = queries, S = keys, E = query/key features, Ev = value features; scale = 1/√E by default.
// Masks follow torch's boolean convention: a nonzero (True) entry is NOT attended. They become the
// additive M, −∞ where masked and 0 elsewhere, so a masked key gets weight exactly 0. A query whose keys
// are all masked gets NaN weights, as in torch. The causal mask lets query i see keys j ≤ i.

public static partial class TensorOps
{
    extension(Tensor query)
    {
        /// <summary>
        /// softmax(q·kᵀ·scale + mask)·v, as <c>torch.nn.functional.scaled_dot_product_attention</c>.
        /// <paramref name="query"/> is [..., L, E], <paramref name="key"/> [..., S, E],
        /// <paramref name="value"/> [..., S, Ev]; leading axes broadcast. Returns [..., L, Ev].
        /// </summary>
        /// <param name="key">Keys [..., S, E].</param>
        /// <param name="value">Values [..., S, Ev].</param>
        /// <param name="mask">Optional mask broadcastable to [..., L, S]: nonzero entries are not attended (torch's True). See <see cref="AttentionMask"/> and <see cref="CausalMask"/>.</param>
        /// <param name="isCausal">Also mask every key after its query (query i sees keys j ≤ i).</param>
        /// <param name="scale">The factor on q·kᵀ; 1/√E when null.</param>
        public Tensor ScaledDotProductAttention(Tensor key, Tensor value, Tensor? mask = null, bool isCausal = false, float? scale = null) =>
            query.ScaledDotProductAttentionWithWeights(key, value, mask, isCausal, scale).Output;

        /// <summary>
        /// <see cref="ScaledDotProductAttention"/> that also returns the attention weights [..., L, S]
        /// (each row sums to 1 over the keys).
        /// </summary>
        /// <param name="key">Keys [..., S, E].</param>
        /// <param name="value">Values [..., S, Ev].</param>
        /// <param name="mask">Optional mask broadcastable to [..., L, S]: nonzero entries are not attended.</param>
        /// <param name="isCausal">Also mask every key after its query.</param>
        /// <param name="scale">The factor on q·kᵀ; 1/√E when null.</param>
        /// <param name="dropout">Applied to the weights before they multiply the values (null for none): the caller's dropout, since the op draws no random numbers.</param>
        public (Tensor Output, Tensor Weights) ScaledDotProductAttentionWithWeights(Tensor key, Tensor value, Tensor? mask = null, bool isCausal = false,
            float? scale = null, Func<Tensor, Tensor>? dropout = null)
        {
            if (query.Rank < 2 || key.Rank < 2 || value.Rank < 2)
                throw new ShapeMismatchException($"ScaledDotProductAttention: query {query.Shape}, key {key.Shape} and value {value.Shape} need at least 2 dimensions ([..., length, features]).");
            int queries = query.Shape[-2], features = query.Shape[-1], keys = key.Shape[-2];
            if (key.Shape[-1] != features)
                throw new ShapeMismatchException($"ScaledDotProductAttention: query {query.Shape} and key {key.Shape} must have the same last dimension (features).");
            if (value.Shape[-2] != keys)
                throw new ShapeMismatchException($"ScaledDotProductAttention: key {key.Shape} and value {value.Shape} must have the same number of positions (second-to-last dimension).");
            Tensor scores = query.MatMul(key.Transpose(-2, -1)) * (scale ?? 1f / MathF.Sqrt(features));
            Tensor? additive = mask is null ? null : AttentionMask(mask);
            if (isCausal)
            {
                Tensor causal = AttentionMask(CausalMask(queries, keys));
                additive = additive is null ? causal : additive + causal;
            }
            if (additive is not null)
            {
                if (additive.Rank > scores.Rank || !Broadcasts(additive.Shape, scores.Shape))
                    throw new ShapeMismatchException($"ScaledDotProductAttention: mask {mask?.Shape ?? additive.Shape} does not broadcast to the scores [..., L, S] = {scores.Shape}.");
                scores = scores + additive;
            }
            Tensor weights = scores.Softmax(-1);
            Tensor output = (dropout is null ? weights : dropout(weights)).MatMul(value);
            return (output, weights);
        }
    }

    /// <summary>
    /// Turns a boolean mask (nonzero = not attended, torch's True) into the additive mask the scores
    /// receive: −∞ where masked, 0 elsewhere. A constant (no gradient).
    /// </summary>
    public static Tensor AttentionMask(Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        float[] values = mask.ToArray();
        for (int i = 0; i < values.Length; i++) values[i] = values[i] != 0f ? float.NegativeInfinity : 0f;
        return Tensor.FromArray(values, mask.Shape);
    }

    /// <summary>
    /// The causal mask [queries, keys]: 1 (not attended) where key j comes after query i (j &gt; i),
    /// 0 elsewhere, as torch's <c>is_causal</c> (aligned at the first position).
    /// </summary>
    public static Tensor CausalMask(int queries, int keys)
    {
        var values = new float[queries * keys];
        for (int i = 0; i < queries; i++)
            for (int j = i + 1; j < keys; j++) values[i * keys + j] = 1f;
        return Tensor.FromArray(values, new Shape(queries, keys));
    }

    private static bool Broadcasts(Shape from, Shape to)
    {
        for (int i = 1; i <= from.Rank; i++)
            if (from[from.Rank - i] != 1 && from[from.Rank - i] != to[to.Rank - i]) return false;
        return true;
    }
}
