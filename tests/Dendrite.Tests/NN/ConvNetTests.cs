using Dendrite.Autograd;
using Dendrite.NN;

namespace Dendrite.Tests.NN;

/// <summary>Models.ConvNet: its parameter count by hand, shapes, gradients, and dropout only in training.</summary>
public class ConvNetTests
{
    [Fact]
    public void ParameterCountFollowsTheArchitecture()
    {
        Sequential model = Models.ConvNet(10, width: 32, hidden: 256, generator: new RandomGenerator(1));
        long expected = 32 * 9 + 2 * 32            // conv 1->32 (no bias), batch norm
            + 64 * 32 * 9 + 2 * 64                 // conv 32->64, batch norm
            + (64 * 7 * 7 * 256 + 256)             // dense 3136->256
            + (256 * 10 + 10);                     // classifier
        Assert.Equal(expected, model.ParameterCount().Trainable);
        Assert.Equal(824_554, expected);

        // A third stage (64->128 at 7x7, no pooling) feeds 128·7·7 features to the dense layer.
        Sequential deeper = Models.ConvNet(10, generator: new RandomGenerator(1), stages: 3);
        long deeperExpected = expected - (64 * 7 * 7 * 256) + (128 * 64 * 9 + 2 * 128) + 128 * 7 * 7 * 256;
        Assert.Equal(deeperExpected, deeper.ParameterCount().Trainable);
        Assert.Equal(1_701_354, deeperExpected);
        Assert.Throws<ArgumentOutOfRangeException>(() => Models.ConvNet(10, stages: 5));
    }

    [Fact]
    public void ForwardAndBackwardOnABatchOfImages()
    {
        var generator = new RandomGenerator(2);
        Sequential model = Models.ConvNet(5, width: 4, hidden: 16, generator: generator);
        var x = Tensor.Uniform([3, 1, 28, 28], 0f, 1f, generator);
        Tensor logits = model.Forward(x);
        Assert.Equal(new Shape(3, 5), logits.Shape);
        logits.SoftmaxCrossEntropy([0, 4, 2]).Backward();
        Assert.All(model.Parameters(), p => Assert.True(p.Grad is not null && p.Grad.ToArray().All(float.IsFinite) && p.Grad.ToArray().Any(g => g != 0f), $"{p.Name} has no useful gradient"));
    }

    [Fact]
    public void DropoutActsOnlyInTraining()
    {
        var generator = new RandomGenerator(3);
        Sequential model = Models.ConvNet(10, width: 4, hidden: 32, dropout: 0.5f, generator: generator);
        var x = Tensor.Uniform([4, 1, 28, 28], 0f, 1f, generator);
        using (new NoGrad())
        {
            float[] first = model.Forward(x).ToArray(), second = model.Forward(x).ToArray();
            Assert.NotEqual(first, second); // a fresh dropout mask each call in training mode
            model.Eval();
            Assert.Equal(model.Forward(x).ToArray(), model.Forward(x).ToArray());
        }
    }

    [Fact]
    public void BadSizesAreNamed()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Models.ConvNet(10, width: 0));
        Assert.Contains("width", error.Message);
    }
}
