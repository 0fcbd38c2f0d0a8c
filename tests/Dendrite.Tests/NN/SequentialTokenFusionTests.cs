using Dendrite.NN;
using Dendrite.NN.Layers;

namespace Dendrite.Tests.NN;

/// <summary>
/// Sequential runs an Embedding followed by an Lstm as the LSTM reading the table's rows when the
/// vocabulary is small against the batch's tokens. That is an optimisation only: outputs and every
/// gradient must be those of the layers run one by one, and the graph must show which path ran.
/// </summary>
public sealed class SequentialTokenFusionTests
{
    private const int Vocabulary = 12, Width = 5, Hidden = 7, Outputs = 3;

    private static Sequential Model(int vocabulary = Vocabulary, bool bidirectional = false, int numLayers = 1) => new(
        new Embedding(vocabulary, Width, generator: new RandomGenerator(1)),
        new Lstm(Width, Hidden, numLayers: numLayers, bidirectional: bidirectional, generator: new RandomGenerator(2)),
        new Dense((bidirectional ? 2 : 1) * Hidden, Outputs, generator: new RandomGenerator(3)));

    private static Tensor Tokens(int batch, int steps, int vocabulary)
    {
        var random = new RandomGenerator(4);
        var values = new float[batch * steps];
        for (int i = 0; i < values.Length; i++) values[i] = random.NextInt(vocabulary);
        return Tensor.FromArray(values, new Shape(batch, steps));
    }

    /// <summary>Output and parameter gradients of a forward-backward of sum(output · weights).</summary>
    private static (float[] Output, Dictionary<string, float[]> Gradients, HashSet<string> Operations) Run(Sequential model, Tensor tokens, bool oneByOne)
    {
        foreach (Parameter p in model.Parameters()) p.ZeroGrad();
        Tensor x = tokens;
        if (oneByOne) foreach (Module layer in model.Layers) x = layer.Forward(x);
        else x = model.Forward(tokens);
        Tensor weights = Tensor.Randn(x.Shape, new RandomGenerator(5));
        var operations = new HashSet<string>();
        CollectOperations(x, operations, []);
        float[] output = x.ToArray();
        (x * weights).Sum().Backward();
        var gradients = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToArray());
        return (output, gradients, operations);
    }

    private static void CollectOperations(Tensor tensor, HashSet<string> operations, HashSet<Tensor> seen)
    {
        if (!seen.Add(tensor) || tensor._node is not { } node) return;
        operations.Add(node.OperationName);
        for (int i = 0; i < node.InputCount; i++) CollectOperations(node.GetInput(i), operations, seen);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(false, 2)]
    public void EmbeddingThenLstm_ReadsTheTable_WithTheGradientsOfTheLayersOneByOne(bool bidirectional, int numLayers)
    {
        Sequential model = Model(bidirectional: bidirectional, numLayers: numLayers);
        Tensor tokens = Tokens(batch: 4, steps: 6, Vocabulary);                  // 24 tokens ≥ 2·12 rows

        var (expected, expectedGradients, layerOperations) = Run(model, tokens, oneByOne: true);
        var (actual, actualGradients, fusedOperations) = Run(model, tokens, oneByOne: false);

        Assert.Contains("IndexSelect", layerOperations);
        Assert.DoesNotContain("IndexSelect", fusedOperations);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 5e-6f);
        Assert.Equal(expectedGradients.Keys.Order(), actualGradients.Keys.Order());
        foreach (var (name, gradient) in expectedGradients)
        {
            float scale = gradient.Max(MathF.Abs);
            Assert.True(scale > 0, $"{name} got no gradient");
            for (int i = 0; i < gradient.Length; i++)
                Assert.True(MathF.Abs(gradient[i] - actualGradients[name][i]) <= 1e-5f * Math.Max(1f, scale),
                    $"{name}[{i}]: layers one by one {gradient[i]}, Sequential {actualGradients[name][i]}");
        }
    }

    [Fact]
    public void ALargeVocabulary_IsEmbeddedTokenByToken()
    {
        Sequential model = Model(vocabulary: 40);
        Tensor tokens = Tokens(batch: 4, steps: 6, 40);                         // 24 tokens < 2·40 rows

        var (expected, _, _) = Run(model, tokens, oneByOne: true);
        var (actual, _, operations) = Run(model, tokens, oneByOne: false);

        Assert.Contains("IndexSelect", operations);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void TheSummary_StillShowsTheEmbeddingsOutput_AndBadTokensStillNameTheEmbedding()
    {
        Sequential model = Model();
        ModelSummary summary = ModelSummary.Create(model, new Shape(30));
        Assert.Equal([-1, 30, Width], summary.Rows.Single(r => r.Name == "0").OutputShape!);
        Assert.Equal([-1, 30, Hidden], summary.Rows.Single(r => r.Name == "1").OutputShape!);

        Tensor tokens = Tokens(batch: 4, steps: 6, Vocabulary);
        tokens.Data[5] = Vocabulary;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(tokens));
        Assert.Contains($"Embedding({Vocabulary}, {Width})", error.Message);
        Assert.Contains("position 5", error.Message);
    }
}
