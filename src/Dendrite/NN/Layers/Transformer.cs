using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.NN.Initializers;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>
/// What the Transformer blocks share: the position-wise feed-forward network
/// linear2(dropout(f(linear1(x)))) with f = ReLU or GELU, and the options.
/// </summary>
public abstract class TransformerLayer : Module
{
    /// <summary>Creates the feed-forward part; subclasses add attention and norms, registered in torch's order.</summary>
    private protected TransformerLayer(int modelDimension, int numHeads, int feedforwardDimension, float dropout, string activation,
        float layerNormEpsilon, bool normFirst)
    {
        if (modelDimension <= 0 || numHeads <= 0 || modelDimension % numHeads != 0 || feedforwardDimension <= 0)
            throw new ArgumentOutOfRangeException(nameof(modelDimension),
                $"{GetType().Name}: d = {modelDimension} must be a positive multiple of heads = {numHeads}, and the feed-forward width {feedforwardDimension} positive.");
        if (activation is not ("relu" or "gelu"))
            throw new ArgumentException($"{GetType().Name}: the activation must be \"relu\" or \"gelu\"; got \"{activation}\".", nameof(activation));
        ModelDimension = modelDimension;
        NumHeads = numHeads;
        FeedforwardDimension = feedforwardDimension;
        DropoutRate = dropout;
        Activation = activation;
        LayerNormEpsilon = layerNormEpsilon;
        NormFirst = normFirst;
    }

    /// <summary>d, the width of each position.</summary>
    public int ModelDimension { get; }

    /// <summary>Attention heads.</summary>
    public int NumHeads { get; }

    /// <summary>Hidden width of the feed-forward network.</summary>
    public int FeedforwardDimension { get; }

    /// <summary>Dropout rate on attention weights, the feed-forward hidden layer and each residual branch (training).</summary>
    public float DropoutRate { get; }

    /// <summary><c>"relu"</c> or <c>"gelu"</c>.</summary>
    public string Activation { get; }

    /// <summary>ε of the layer norms.</summary>
    public float LayerNormEpsilon { get; }

    /// <summary>Pre-norm (normalise each sublayer's input: x + f(norm(x))) instead of post-norm (norm(x + f(x))).</summary>
    public bool NormFirst { get; }

    /// <summary>Creates linear1 (d → ff), in the caller's registration order.</summary>
    private protected Dense CreateLinear(int inFeatures, int outFeatures, RandomGenerator? generator)
    {
        // torch's Linear default: uniform ±1/√in for the weight and the bias.
        float bound = 1f / MathF.Sqrt(inFeatures);
        return new Dense(inFeatures, outFeatures, weightInitializer: Initializer.Uniform(-bound, bound), biasInitializer: Initializer.Uniform(-bound, bound), generator: generator);
    }

    /// <summary>The feed-forward network on [batch, time, d].</summary>
    private protected Tensor FeedForward(Tensor x, Dense linear1, Module dropout, Dense linear2)
    {
        Tensor hidden = Run(linear1, x);
        Tensor activated = Consumed(x, hidden, Activation == "gelu" ? hidden.Gelu() : hidden.Relu());
        Tensor dropped = Consumed(x, activated, Run(dropout, activated));
        return Consumed(x, dropped, Run(linear2, dropped));
    }

    /// <summary>
    /// x + dropout(sublayer), giving back under NoGrad the sublayer's output, its dropout and x itself
    /// (unless x is the block's <paramref name="input"/>) once the sum exists.
    /// </summary>
    private protected static Tensor AddResidual(Tensor input, Tensor x, Module dropout, Tensor sublayer)
    {
        Tensor dropped = Consumed(input, sublayer, Run(dropout, sublayer));
        Tensor sum = x + dropped;
        ReleaseConsumed(input, sum, dropped, x);
        return sum;
    }

    /// <summary>Throws unless <paramref name="x"/> is [batch, time, d].</summary>
    private protected void CheckInput(Tensor x, string what)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 3 || x.Shape[2] != ModelDimension)
            throw new ShapeMismatchException($"{Describe()} got {what} {x.Shape}; expected [batch, time, {ModelDimension}].");
    }

    /// <inheritdoc/>
    public override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{GetType().Name}(d={ModelDimension}, heads={NumHeads}, ff={FeedforwardDimension}{(NormFirst ? ", pre-norm" : "")})");

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["modelDimension"] = ModelDimension;
        config["numHeads"] = NumHeads;
        config["feedforwardDimension"] = FeedforwardDimension;
        config["dropout"] = DropoutRate;
        config["activation"] = Activation;
        config["layerNormEpsilon"] = LayerNormEpsilon;
        config["normFirst"] = NormFirst;
    }
}

/// <summary>
/// A Transformer encoder block, as <c>torch.nn.TransformerEncoderLayer</c> with <c>batch_first = True</c>:
/// self-attention and a feed-forward network, each with a residual connection, dropout and layer
/// normalisation. Post-norm (the original): x = norm1(x + sa(x)); x = norm2(x + ff(x)). Pre-norm
/// (<c>normFirst</c>, trains more stably in deep stacks): x = x + sa(norm1(x)); x = x + ff(norm2(x)).
/// With a causal mask it is the block of a decoder-only language model.
/// </summary>
/// <remarks>Parameter names as torch: <c>self_attn.*</c>, <c>linear1.*</c>, <c>linear2.*</c>, <c>norm1.*</c>, <c>norm2.*</c>.</remarks>
public sealed class TransformerEncoderLayer : TransformerLayer
{
    /// <summary>Creates the block.</summary>
    /// <param name="modelDimension">d.</param>
    /// <param name="numHeads">Attention heads (must divide d).</param>
    /// <param name="feedforwardDimension">Hidden width of the feed-forward network (torch's default 2048).</param>
    /// <param name="dropout">Dropout rate (torch's default 0.1).</param>
    /// <param name="activation"><c>"relu"</c> or <c>"gelu"</c>.</param>
    /// <param name="layerNormEpsilon">ε of the layer norms.</param>
    /// <param name="normFirst">Pre-norm instead of post-norm.</param>
    /// <param name="generator">Random source for initialisation and dropout.</param>
    public TransformerEncoderLayer(int modelDimension, int numHeads, int feedforwardDimension = 2048, float dropout = 0.1f, string activation = "relu",
        float layerNormEpsilon = 1e-5f, bool normFirst = false, RandomGenerator? generator = null)
        : base(modelDimension, numHeads, feedforwardDimension, dropout, activation, layerNormEpsilon, normFirst)
    {
        SelfAttention = AddModule("self_attn", new MultiHeadAttention(modelDimension, numHeads, dropout, generator: generator));
        Linear1 = AddModule("linear1", CreateLinear(modelDimension, feedforwardDimension, generator));
        FeedforwardDropout = AddModule("dropout", new Dropout(dropout, generator: generator));
        Linear2 = AddModule("linear2", CreateLinear(feedforwardDimension, modelDimension, generator));
        Norm1 = AddModule("norm1", new LayerNorm(modelDimension, layerNormEpsilon));
        Norm2 = AddModule("norm2", new LayerNorm(modelDimension, layerNormEpsilon));
        Dropout1 = AddModule("dropout1", new Dropout(dropout, generator: generator));
        Dropout2 = AddModule("dropout2", new Dropout(dropout, generator: generator));
    }

    /// <summary>The self-attention.</summary>
    public MultiHeadAttention SelfAttention { get; }

    /// <summary>d → ff.</summary>
    public Dense Linear1 { get; }

    /// <summary>ff → d.</summary>
    public Dense Linear2 { get; }

    /// <summary>The norm around the attention.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>The norm around the feed-forward network.</summary>
    public LayerNorm Norm2 { get; }

    private Dropout FeedforwardDropout { get; }

    private Dropout Dropout1 { get; }

    private Dropout Dropout2 { get; }

    /// <summary>The block on <paramref name="input"/> [batch, time, d] without masks.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>The block on <paramref name="input"/> [batch, time, d]; returns [batch, time, d].</summary>
    /// <param name="input">[batch, time, d].</param>
    /// <param name="mask">Boolean attention mask [time, time] (nonzero = not attended), or null.</param>
    /// <param name="keyPaddingMask">Boolean [batch, time]: nonzero marks padding, or null.</param>
    /// <param name="isCausal">Position t attends only positions ≤ t.</param>
    public Tensor Forward(Tensor input, Tensor? mask, Tensor? keyPaddingMask = null, bool isCausal = false)
    {
        CheckInput(input, "input");
        // Each step's intermediates go back to the pool under NoGrad once consumed (Consumed).
        Tensor Attend(Tensor x) => SelfAttention.Forward(x, x, x, mask, keyPaddingMask, isCausal: isCausal).Output;
        if (NormFirst)
        {
            Tensor normed = Run(Norm1, input);
            Tensor attended = Consumed(input, normed, Attend(normed));
            Tensor x = AddResidual(input, input, Dropout1, attended);
            Tensor normed2 = Run(Norm2, x);
            return AddResidual(input, x, Dropout2, Consumed(input, normed2, FeedForward(normed2, Linear1, FeedforwardDropout, Linear2)));
        }
        Tensor sum = AddResidual(input, input, Dropout1, Attend(input));
        Tensor y = Consumed(input, sum, Run(Norm1, sum));
        Tensor sum2 = AddResidual(input, y, Dropout2, FeedForward(y, Linear1, FeedforwardDropout, Linear2));
        return Consumed(input, sum2, Run(Norm2, sum2));
    }
}

/// <summary>
/// A Transformer decoder block, as <c>torch.nn.TransformerDecoderLayer</c> with <c>batch_first = True</c>:
/// causal (or masked) self-attention over the target, attention to the encoder's memory, and a
/// feed-forward network, each with residual, dropout and layer norm. Post-norm:
/// x = norm1(x + sa(x)); x = norm2(x + mha(x, memory)); x = norm3(x + ff(x)); pre-norm normalises each
/// sublayer's input instead.
/// </summary>
/// <remarks>Parameter names as torch: <c>self_attn.*</c>, <c>multihead_attn.*</c>, <c>linear1.*</c>, <c>linear2.*</c>, <c>norm1.*</c>..<c>norm3.*</c>.</remarks>
public sealed class TransformerDecoderLayer : TransformerLayer
{
    /// <summary>Creates the block (arguments as <see cref="TransformerEncoderLayer"/>).</summary>
    /// <param name="modelDimension">d.</param>
    /// <param name="numHeads">Attention heads (must divide d).</param>
    /// <param name="feedforwardDimension">Hidden width of the feed-forward network.</param>
    /// <param name="dropout">Dropout rate.</param>
    /// <param name="activation"><c>"relu"</c> or <c>"gelu"</c>.</param>
    /// <param name="layerNormEpsilon">ε of the layer norms.</param>
    /// <param name="normFirst">Pre-norm instead of post-norm.</param>
    /// <param name="generator">Random source for initialisation and dropout.</param>
    public TransformerDecoderLayer(int modelDimension, int numHeads, int feedforwardDimension = 2048, float dropout = 0.1f, string activation = "relu",
        float layerNormEpsilon = 1e-5f, bool normFirst = false, RandomGenerator? generator = null)
        : base(modelDimension, numHeads, feedforwardDimension, dropout, activation, layerNormEpsilon, normFirst)
    {
        SelfAttention = AddModule("self_attn", new MultiHeadAttention(modelDimension, numHeads, dropout, generator: generator));
        CrossAttention = AddModule("multihead_attn", new MultiHeadAttention(modelDimension, numHeads, dropout, generator: generator));
        Linear1 = AddModule("linear1", CreateLinear(modelDimension, feedforwardDimension, generator));
        FeedforwardDropout = AddModule("dropout", new Dropout(dropout, generator: generator));
        Linear2 = AddModule("linear2", CreateLinear(feedforwardDimension, modelDimension, generator));
        Norm1 = AddModule("norm1", new LayerNorm(modelDimension, layerNormEpsilon));
        Norm2 = AddModule("norm2", new LayerNorm(modelDimension, layerNormEpsilon));
        Norm3 = AddModule("norm3", new LayerNorm(modelDimension, layerNormEpsilon));
        Dropout1 = AddModule("dropout1", new Dropout(dropout, generator: generator));
        Dropout2 = AddModule("dropout2", new Dropout(dropout, generator: generator));
        Dropout3 = AddModule("dropout3", new Dropout(dropout, generator: generator));
    }

    /// <summary>The (causal) self-attention over the target.</summary>
    public MultiHeadAttention SelfAttention { get; }

    /// <summary>The attention from the target to the memory.</summary>
    public MultiHeadAttention CrossAttention { get; }

    /// <summary>d → ff.</summary>
    public Dense Linear1 { get; }

    /// <summary>ff → d.</summary>
    public Dense Linear2 { get; }

    /// <summary>The norm around the self-attention.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>The norm around the cross-attention.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>The norm around the feed-forward network.</summary>
    public LayerNorm Norm3 { get; }

    private Dropout FeedforwardDropout { get; }

    private Dropout Dropout1 { get; }

    private Dropout Dropout2 { get; }

    private Dropout Dropout3 { get; }

    /// <summary>The block with <paramref name="input"/> [batch, time, d] as both target and memory, the target's self-attention causal.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, input, targetIsCausal: true);

    /// <summary>The block on <paramref name="target"/> [batch, L, d] attending to <paramref name="memory"/> [batch, S, d]; returns [batch, L, d].</summary>
    /// <param name="target">[batch, L, d].</param>
    /// <param name="memory">The encoder's output [batch, S, d].</param>
    /// <param name="targetMask">Boolean [L, L] on the self-attention (nonzero = not attended), e.g. <see cref="TensorOps.CausalMask"/>.</param>
    /// <param name="memoryMask">Boolean [L, S] on the cross-attention.</param>
    /// <param name="targetKeyPaddingMask">Boolean [batch, L]: padding of the target.</param>
    /// <param name="memoryKeyPaddingMask">Boolean [batch, S]: padding of the memory.</param>
    /// <param name="targetIsCausal">Add the causal mask to the self-attention.</param>
    public Tensor Forward(Tensor target, Tensor memory, Tensor? targetMask = null, Tensor? memoryMask = null,
        Tensor? targetKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null, bool targetIsCausal = false)
    {
        CheckInput(target, "target");
        CheckInput(memory, "memory");
        if (memory.Shape[0] != target.Shape[0])
            throw new ShapeMismatchException($"{Describe()} got target {target.Shape} and memory {memory.Shape}; their batch sizes must match.");
        // Each step's intermediates go back to the pool under NoGrad once consumed (Consumed); the target
        // and the memory are the caller's.
        Tensor SelfAttend(Tensor x) => SelfAttention.Forward(x, x, x, targetMask, targetKeyPaddingMask, isCausal: targetIsCausal).Output;
        Tensor Attend(Tensor x) => CrossAttention.Forward(x, memory, memory, memoryMask, memoryKeyPaddingMask).Output;
        if (NormFirst)
        {
            Tensor normed = Run(Norm1, target);
            Tensor x = AddResidual(target, target, Dropout1, Consumed(target, normed, SelfAttend(normed)));
            Tensor normed2 = Run(Norm2, x);
            Tensor x2 = AddResidual(target, x, Dropout2, Consumed(target, normed2, Attend(normed2)));
            Tensor normed3 = Run(Norm3, x2);
            return AddResidual(target, x2, Dropout3, Consumed(target, normed3, FeedForward(normed3, Linear1, FeedforwardDropout, Linear2)));
        }
        Tensor sum = AddResidual(target, target, Dropout1, SelfAttend(target));
        Tensor y = Consumed(target, sum, Run(Norm1, sum));
        Tensor sum2 = AddResidual(target, y, Dropout2, Attend(y));
        Tensor y2 = Consumed(target, sum2, Run(Norm2, sum2));
        Tensor sum3 = AddResidual(target, y2, Dropout3, FeedForward(y2, Linear1, FeedforwardDropout, Linear2));
        return Consumed(target, sum3, Run(Norm3, sum3));
    }
}
