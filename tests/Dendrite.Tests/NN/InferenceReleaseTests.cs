using Dendrite.NN;
using Dendrite.NN.Layers;

namespace Dendrite.Tests.NN;

/// <summary>
/// Under NoGrad, blocks with inner intermediates (residual blocks, residual connections, parallel
/// branches) give those intermediates' storage back once consumed, and users can give back an output
/// with <see cref="Tensor.Release"/>. Reusing storage must never change a result: outputs equal the
/// same forward pass with gradients on, call after call, and released tensors refuse to be read.
/// </summary>
public sealed class InferenceReleaseTests
{
    public static TheoryData<string> Blocks() => ["resnet", "residual", "concatenate", "inception", "transformer-lm", "encoder-post-norm", "decoder-pre-norm", "decoder-post-norm"];

    private static (Module Model, Shape Input) Build(string name) => name switch
    {
        "resnet" => (Models.ResNetSmall(width: 4, generator: new RandomGenerator(1)), new Shape(3, 1, 12, 12)),
        "residual" => (new Sequential(new Dense(6, 8, new Relu(), generator: new RandomGenerator(2)),
            new Residual(new Sequential(new Dense(8, 8, new Tanh(), generator: new RandomGenerator(3)), new Dense(8, 8, generator: new RandomGenerator(4))))), new Shape(5, 6)),
        "concatenate" => (new Concatenate(1, new Dense(6, 3, new Relu(), generator: new RandomGenerator(5)),
            new Sequential(new Dense(6, 4, new Tanh(), generator: new RandomGenerator(6)), new Dense(4, 2, generator: new RandomGenerator(7)))), new Shape(5, 6)),
        "inception" => (new InceptionBlock(3, 2, 2, 3, 1, 2, 2, generator: new RandomGenerator(8)), new Shape(2, 3, 7, 7)),
        "transformer-lm" => (Models.CausalTransformer(11, 6, modelDimension: 8, numHeads: 2, numLayers: 2, dropout: 0f, generator: new RandomGenerator(12)), new Shape(3, 6)),
        "encoder-post-norm" => (new TransformerEncoderLayer(8, 2, 16, dropout: 0f, generator: new RandomGenerator(13)), new Shape(2, 5, 8)),
        "decoder-pre-norm" => (new TransformerDecoderLayer(8, 2, 16, dropout: 0f, activation: "gelu", normFirst: true, generator: new RandomGenerator(14)), new Shape(2, 5, 8)),
        _ => (new TransformerDecoderLayer(8, 2, 16, dropout: 0f, generator: new RandomGenerator(15)), new Shape(2, 5, 8)),
    };

    private static Tensor Input(string name, Shape shape)
    {
        Tensor random = Tensor.Randn(shape, new RandomGenerator(9));
        if (name != "transformer-lm") return random;
        float[] tokens = random.ToArray().Select(v => (float)Math.Min(10, (int)(Math.Abs(v) * 4))).ToArray();
        return Tensor.FromArray(tokens, shape);                                  // token indices in [0, 11)
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void InferenceUnderNoGrad_EqualsTheForwardWithGradients_CallAfterCall(string name)
    {
        var (model, shape) = Build(name);
        model.Eval();
        Tensor input = Input(name, shape);
        float[] expected = model.Forward(input).ToArray();                     // gradients on: nothing is released
        AssertInferenceRepeats(model, input, expected);
    }

    /// <summary>
    /// Two forward passes under NoGrad and one with gradients all give <paramref name="expected"/>, and
    /// neither the input nor the first output was given back to the pool along the way.
    /// </summary>
    internal static void AssertInferenceRepeats(Module model, Tensor input, float[] expected)
    {
        using (new NoGrad())
        {
            Tensor first = model.Forward(input);
            Tensor second = model.Forward(input);
            Assert.Equal(expected, first.ToArray());
            Assert.Equal(expected, second.ToArray());
            Assert.False(first.IsReleased);
        }
        Assert.False(input.IsReleased);
        Assert.Equal(expected, model.Forward(input).ToArray());
    }

    [Fact]
    public void Release_GivesAnOutputBack_AndAReleasedTensorOrItsViewsCannotBeRead()
    {
        Tensor x = Tensor.Randn([4, 6], new RandomGenerator(10));
        Tensor y, view;
        using (new NoGrad())
        {
            y = x.Relu();
            view = y.Reshape(24);
        }
        float[] values = y.ToArray();
        y.Release();
        y.Release();                                                           // twice: nothing more happens
        Assert.True(y.IsReleased);
        Assert.True(view.IsReleased);
        Assert.Throws<InvalidOperationException>(() => y.ToArray());
        Assert.Throws<InvalidOperationException>(() => view.ToArray());
        using (new NoGrad()) Assert.Equal(values, x.Relu().ToArray());          // what comes next is computed afresh
        Assert.False(x.IsReleased);
    }

    [Fact]
    public void Release_RefusesGraphTensorsViewsAndStorageItDoesNotOwn()
    {
        var parameter = new Parameter(Tensor.Randn([3, 4], new RandomGenerator(11)));
        Tensor inGraph = (parameter * 2f).Sum();
        var graphError = Assert.Throws<InvalidOperationException>(() => inGraph.Release());
        Assert.Contains("recorded graph", graphError.Message);
        Assert.Contains("[]", graphError.Message);

        var ownError = Assert.Throws<InvalidOperationException>(() => parameter.Release());
        Assert.Contains("[3, 4]", ownError.Message);
        Assert.False(parameter.IsReleased);

        Tensor output;
        using (new NoGrad()) output = parameter.Relu();
        var viewError = Assert.Throws<InvalidOperationException>(() => output.Reshape(12).Release());
        Assert.Contains("view", viewError.Message);
        Assert.False(output.IsReleased);
    }
}
