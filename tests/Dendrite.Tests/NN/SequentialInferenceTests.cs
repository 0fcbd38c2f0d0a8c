using Dendrite.NN;
using Dendrite.NN.Layers;

namespace Dendrite.Tests.NN;

/// <summary>
/// Sequential gives each intermediate's storage back to the pool once the next layer has consumed it
/// when no graph is recorded, so repeated inference reuses its buffers instead of leaving them to the
/// garbage collector; the outputs must be those of running the layers one by one.
/// </summary>
public sealed class SequentialInferenceTests
{
    private static Sequential Model() => new(
        new Reshape(12), new Dense(12, 30, new Relu(), generator: new RandomGenerator(1)),
        new Dense(30, 30, new Tanh(), generator: new RandomGenerator(2)), new Dropout(0.5f),
        new Flatten(), new Dense(30, 4, generator: new RandomGenerator(3)));

    [Fact]
    public void InferenceOutput_IsTheLayersOneByOne_AndRepeatsExactly()
    {
        Sequential model = Model();
        model.Eval();
        Tensor input = Tensor.Randn([8, 3, 4], new RandomGenerator(4));
        float[] expected;
        using (new NoGrad())
        {
            Tensor x = input;
            foreach (Module layer in model.Layers) x = layer.Forward(x);
            expected = x.ToArray();
        }
        InferenceReleaseTests.AssertInferenceRepeats(model, input, expected);
    }

    [Fact]
    public void RepeatedInference_AllocatesLittleBeyondItsOutput()
    {
        Sequential model = new(new Dense(64, 256, new Relu()), new Dense(256, 256, new Relu()), new Dense(256, 8));
        model.Eval();
        Tensor input = Tensor.Randn([200, 64], new RandomGenerator(5));
        using var _ = new NoGrad();
        for (int i = 0; i < 5; i++) model.Forward(input);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) model.Forward(input);
        long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / 10;
        // The two [200, 256] intermediates (256 KB each) come back from the pool; the [200, 8] output is new.
        Assert.True(perCall < 32 * 1024, $"an inference call allocated {perCall} bytes");
    }

    [Fact]
    public void Training_KeepsIntermediatesForBackward()
    {
        Sequential model = Model();
        Tensor input = Tensor.Randn([8, 3, 4], new RandomGenerator(6));
        Tensor loss = model.Forward(input).Square().Sum();
        loss.Backward();
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));
    }
}
