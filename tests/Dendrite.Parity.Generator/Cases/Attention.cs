using TorchSharp;
using TorchSharp.Modules;
using static Dendrite.Parity.Generator.Cases.Layers;
using static Dendrite.Parity.Generator.Row;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Dendrite.Parity.Generator.Cases;

/// <summary>
/// MultiheadAttention, scaled_dot_product_attention and the Transformer encoder and decoder layers, all
/// batch_first ([batch, seq, embed]). libtorch's C++ modules are sequence-first, so inputs are transposed in
/// and outputs out, which is what torch's batch_first does. Boolean masks: True = masked (not attended).
/// Self-attention cases take query, key and value as three inputs with the same values, each with its own
/// gradient; the gradient of a shared x is their sum.
/// </summary>
static class Attention
{
    static readonly (string, object?)[] MhaAttributes = A2(
        ("embed_dim", 8), ("num_heads", 2), ("dropout", 0.0), ("bias", true), ("add_bias_kv", false), ("add_zero_attn", false),
        ("batch_first", true), ("need_weights", true), ("average_attn_weights", true));

    public static LayerCase[] Cases =>
    [
        Mha("mha_self", tgt: 5, src: 5, self: true, mask: null,
            "MultiheadAttention(embed_dim = 8, num_heads = 2, batch_first = True)(query[2,5,8], key = value = query (same values, separate inputs), need_weights = True) -> (attn_output[2,5,8], attn_output_weights[2,5,5] averaged over heads)"),
        Mha("mha_self_causal", tgt: 5, src: 5, self: true, mask: "attn_mask",
            "MultiheadAttention(embed_dim = 8, num_heads = 2, batch_first = True)(query[2,5,8], key = value = query, attn_mask = bool[5,5] upper triangle above the diagonal True (causal), need_weights = True) -> (attn_output[2,5,8], attn_output_weights[2,5,5])"),
        Mha("mha_self_key_padding", tgt: 5, src: 5, self: true, mask: "key_padding_mask",
            "MultiheadAttention(embed_dim = 8, num_heads = 2, batch_first = True)(query[2,5,8], key = value = query, key_padding_mask = bool[2,5] (batch 0 none, batch 1 keys 3 and 4 True = ignored), need_weights = True) -> (attn_output[2,5,8], attn_output_weights[2,5,5])"),
        Mha("mha_cross", tgt: 3, src: 6, self: false, mask: null,
            "MultiheadAttention(embed_dim = 8, num_heads = 2, batch_first = True)(query[2,3,8], key[2,6,8], value[2,6,8], need_weights = True) -> (attn_output[2,3,8], attn_output_weights[2,3,6])"),

        new("sdpa_causal", "scaled_dot_product_attention",
            "scaled_dot_product_attention(query[2,2,4,3], key[2,2,4,3], value[2,2,4,3], attn_mask = None, dropout_p = 0, is_causal = True) -> [2,2,4,3]: softmax(q k^T / sqrt(3) with keys after the query masked) v, a function (no parameters)",
            null, [In.Normal(2, 2, 4, 3), In.Normal(2, 2, 4, 3), In.Normal(2, 2, 4, 3)],
            (_, x) => [F.scaled_dot_product_attention(x[0], x[1], x[2], null, 0.0, is_casual: true)])
        { Attributes = A2(("dropout_p", 0.0), ("is_causal", true)), InputNames = ["query", "key", "value"] },

        new("transformer_encoder_post_norm", "TransformerEncoderLayer",
            "TransformerEncoderLayer(d_model = 8, nhead = 2, dim_feedforward = 16, dropout = 0.0, activation = relu, layer_norm_eps = 1e-5, batch_first = True, norm_first = False)(src[2,4,8]) -> [2,4,8]: x = norm1(x + self_attn(x, x, x)); x = norm2(x + linear2(relu(linear1(x))))",
            () => nn.TransformerEncoderLayer(8, 2, 16, 0.0), [In.Normal(2, 4, 8)],
            (m, x) => [((TransformerEncoderLayer)m!).call(x[0].transpose(0, 1), null).transpose(0, 1)])
        { Attributes = EncoderAttributes(normFirst: false), InputNames = ["src"] },
        new("transformer_encoder_pre_norm", "TransformerEncoderLayer",
            "TransformerEncoderLayer(d_model = 8, nhead = 2, dim_feedforward = 16, dropout = 0.0, activation = relu, layer_norm_eps = 1e-5, batch_first = True, norm_first = True)(src[2,4,8]) -> [2,4,8]: x = x + self_attn(norm1(x)); x = x + linear2(relu(linear1(norm2(x))))",
            () => new EncoderLayer(normFirst: true), [In.Normal(2, 4, 8)],
            (m, x) => [((EncoderLayer)m!).call(x[0])])
        { Attributes = EncoderAttributes(normFirst: true), InputNames = ["src"] },
        new("transformer_decoder_causal", "TransformerDecoderLayer",
            "TransformerDecoderLayer(d_model = 8, nhead = 2, dim_feedforward = 16, dropout = 0.0, activation = relu, layer_norm_eps = 1e-5, batch_first = True, norm_first = False)(tgt[2,4,8], memory[2,5,8], tgt_mask = bool[4,4] causal, True above the diagonal) -> [2,4,8]: x = norm1(x + self_attn(x, x, x, tgt_mask)); x = norm2(x + multihead_attn(x, memory, memory)); x = norm3(x + linear2(relu(linear1(x))))",
            () => nn.TransformerDecoderLayer(8, 2, 16, 0.0), [In.Normal(2, 4, 8), In.Normal(2, 5, 8), In.Derived(S(4, 4), _ => Causal(4))],
            (m, x) => [((TransformerDecoderLayer)m!).call(x[0].transpose(0, 1), x[1].transpose(0, 1), Additive(x[2])).transpose(0, 1)])
        {
            Attributes = A2(("d_model", 8), ("nhead", 2), ("dim_feedforward", 16), ("dropout", 0.0), ("activation", "relu"),
                ("layer_norm_eps", 1e-5), ("batch_first", true), ("norm_first", false), ("bias", true)),
            InputNames = ["tgt", "memory", "tgt_mask"],
        },
    ];

    /// <summary>bool[n,n], True strictly above the diagonal: query i may not attend to key j > i.</summary>
    public static Tensor Causal(long n) => ones(n, n, ScalarType.Bool).triu(1);

    /// <summary>
    /// A boolean attn_mask as torch's Python turns it into a float one (_canonical_mask): -inf where True, 0
    /// elsewhere. libtorch's C++ multi_head_attention_forward adds attn_mask to the scores without looking at
    /// its dtype, so a bool mask given to it directly would add 1 where True instead of masking. (The
    /// key_padding_mask it does treat as boolean.) The files record the boolean mask, as a torch user passes it.
    /// </summary>
    public static Tensor Additive(Tensor mask) => zeros(mask.shape).masked_fill(mask, double.NegativeInfinity);

    static LayerCase Mha(string name, long tgt, long src, bool self, string? mask, string description)
    {
        In query = In.Normal(2, tgt, 8);
        In key = self ? In.Derived(S(2, src, 8), x => x[0].clone()) with { RequiresGrad = true } : In.Normal(2, src, 8);
        In value = self ? In.Derived(S(2, src, 8), x => x[0].clone()) with { RequiresGrad = true } : In.Normal(2, src, 8);
        In[] inputs = mask switch
        {
            "attn_mask" => [query, key, value, In.Derived(S(tgt, src), _ => Causal(tgt))],
            "key_padding_mask" => [query, key, value, In.Derived(S(2, src), _ => tensor(new[] { false, false, false, false, false, false, false, false, true, true }).reshape(2, src))],
            _ => [query, key, value],
        };
        return new(name, "MultiheadAttention", description, () => nn.MultiheadAttention(8, 2), inputs,
            (m, x) =>
            {
                var mha = (MultiheadAttention)m!;
                Tensor? attnMask = mask == "attn_mask" ? Additive(x[3]) : null;
                Tensor? keyPadding = mask == "key_padding_mask" ? x[3] : null;
                var (output, weights) = mha.call(x[0].transpose(0, 1), x[1].transpose(0, 1), x[2].transpose(0, 1), keyPadding, true, attnMask);
                return [output.transpose(0, 1), weights];
            })
        {
            Attributes = MhaAttributes,
            InputNames = mask is null ? ["query", "key", "value"] : ["query", "key", "value", mask],
            OutputNames = ["attn_output", "attn_output_weights"],
            // The head-averaged weights are compared forward only: grad_outputs[1] is null.
            ForwardOnlyOutputs = [1],
        };
    }

    static (string, object?)[] EncoderAttributes(bool normFirst) => A2(
        ("d_model", 8), ("nhead", 2), ("dim_feedforward", 16), ("dropout", 0.0), ("activation", "relu"),
        ("layer_norm_eps", 1e-5), ("batch_first", true), ("norm_first", normFirst), ("bias", true));

    /// <summary>
    /// torch.nn.TransformerEncoderLayer (batch_first, dropout 0, relu) as torch's Python writes it, for
    /// norm_first = True, which libtorch's C++ layer lacks. Submodule names and order are torch's, so the
    /// state_dict names match. With norm_first = False it computes what libtorch's layer computes.
    /// </summary>
    internal sealed class EncoderLayer : nn.Module<Tensor, Tensor>
    {
#pragma warning disable IDE1006 // torch's submodule names
        private readonly MultiheadAttention self_attn;
        private readonly Linear linear1;
        private readonly Linear linear2;
        private readonly LayerNorm norm1;
        private readonly LayerNorm norm2;
#pragma warning restore IDE1006
        private readonly bool normFirst;

        public EncoderLayer(bool normFirst, long dModel = 8, long nhead = 2, long dimFeedforward = 16) : base(nameof(EncoderLayer))
        {
            self_attn = nn.MultiheadAttention(dModel, nhead);
            linear1 = nn.Linear(dModel, dimFeedforward);
            linear2 = nn.Linear(dimFeedforward, dModel);
            norm1 = nn.LayerNorm(dModel);
            norm2 = nn.LayerNorm(dModel);
            this.normFirst = normFirst;
            RegisterComponents();
        }

        /// <summary>src [batch, seq, d_model] -> [batch, seq, d_model].</summary>
        public override Tensor forward(Tensor src)
        {
            Tensor x = src;
            if (normFirst)
            {
                x = x + SelfAttention(norm1.call(x));
                x = x + FeedForward(norm2.call(x));
            }
            else
            {
                x = norm1.call(x + SelfAttention(x));
                x = norm2.call(x + FeedForward(x));
            }
            return x;
        }

        private Tensor SelfAttention(Tensor x)
        {
            Tensor s = x.transpose(0, 1);
            return self_attn.call(s, s, s, null, false, null).Item1.transpose(0, 1);
        }

        private Tensor FeedForward(Tensor x) => linear2.call(F.relu(linear1.call(x)));
    }
}
