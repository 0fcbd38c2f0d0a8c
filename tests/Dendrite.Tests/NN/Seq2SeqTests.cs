using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Optim;

namespace Dendrite.Tests.NN;

public class Seq2SeqTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GradientsFlowThroughEncoderAttentionAndDecoder(bool attention)
    {
        var model = new Seq2Seq(vocabularySize: 6, embeddingDimension: 3, hiddenSize: 4, attention: attention, generator: new RandomGenerator(1));
        var source = Tensor.FromArray([2, 3, 4, 5, 2, 3], new Shape(2, 3));
        var target = Tensor.FromArray([4, 3, 2, 3, 2, 5], new Shape(2, 3));
        var result = GradCheck.Run(() => model.TeacherForced(source, target), model.Parameters().ToArray());
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void AttentionLearnsToReverseShortStringsQuickly()
    {
        var model = new Seq2Seq(vocabularySize: 8, embeddingDimension: 8, hiddenSize: 16, attention: true, generator: new RandomGenerator(2));
        var optimizer = new Adam(model.Parameters(), 0.01f);
        var generator = new RandomGenerator(3);
        (Tensor, Tensor) Batch(int count)
        {
            var s = new float[count * 4];
            var t = new float[count * 4];
            for (int i = 0; i < count; i++)
                for (int j = 0; j < 4; j++)
                {
                    s[i * 4 + j] = 2 + generator.NextInt(6);
                    t[i * 4 + 3 - j] = s[i * 4 + j];
                }
            return (Tensor.Wrap(s, [count, 4]), Tensor.Wrap(t, [count, 4]));
        }
        float first = 0, last = 0;
        for (int step = 0; step < 300; step++)
        {
            var (source, target) = Batch(32);
            optimizer.ZeroGrad();
            var loss = model.TeacherForced(source, target).Reshape(-1, 8).SoftmaxCrossEntropy(target.Reshape(-1));
            if (step == 0) first = loss.Item();
            last = loss.Item();
            loss.Backward();
            optimizer.Step();
        }
        Assert.True(last < first / 4, $"loss {first} -> {last}");
        var (testSource, testTarget) = Batch(100);
        float[] decoded = model.Forward(testSource).ToArray(), expected = testTarget.ToArray();
        int correct = Enumerable.Range(0, 100).Count(i => Enumerable.Range(0, 4).All(t => decoded[i * 4 + t] == expected[i * 4 + t]));
        Assert.True(correct > 80, $"{correct} of 100 reversed exactly");
    }

    [Fact]
    public void SavesAndLoads()
    {
        var model = new Seq2Seq(6, 3, 4, generator: new RandomGenerator(4));
        string directory = Directory.CreateTempSubdirectory("dendrite-seq2seq-").FullName;
        try
        {
            Model.Save(model, Path.Combine(directory, "m"));
            var loaded = (Seq2Seq)Model.Load(Path.Combine(directory, "m"));
            var source = Tensor.FromArray([2, 3, 4, 5], new Shape(2, 2));
            Assert.Equal(model.Decode(source, 3).ToArray(), loaded.Decode(source, 3).ToArray());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
