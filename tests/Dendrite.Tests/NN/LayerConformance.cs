using Dendrite.NN;
using Dendrite.Tests.Support;

namespace Dendrite.Tests.NN;

/// <summary>
/// The checks every layer passes (Keras' run_layer_test): output shape, parameter names, gradient
/// of the input and of every parameter against finite differences, save → load → identical output,
/// and a wrong-shaped input rejected with a message naming the layer.
/// </summary>
public static class LayerConformance
{
    public static void Check(Func<Module> create, int[] inputShape, int[] expectedOutputShape, string[] expectedParameters,
        int[]? wrongInputShape = null, string? nameInError = null, Func<RandomGenerator, Tensor>? input = null,
        bool checkInputGradient = true, double tolerance = 1e-2)
    {
        RandomGenerator.SetDefaultSeed(1);
        Module layer = create();
        var generator = new RandomGenerator(42);
        Tensor x = input?.Invoke(generator) ?? Tensor.Uniform(inputShape, -1.5f, 1.5f, generator);

        // Output shape and parameter names.
        Tensor y = layer.Forward(x);
        Assert.Equal(expectedOutputShape, y.Shape.ToArray());
        Assert.Equal(expectedParameters, layer.NamedParameters().Select(p => p.Name).ToArray());

        // Gradients of the input and every parameter (evaluation mode: deterministic).
        layer.Eval();
        Tensor[] wrt = [.. checkInputGradient ? [x] : Array.Empty<Tensor>(), .. layer.Parameters()];
        if (wrt.Length > 0)
        {
            var result = GradCheck.Run(() => layer.Forward(x), wrt, relativeTolerance: tolerance, absoluteTolerance: tolerance / 10);
            Assert.True(result.Passed, $"{layer.Describe()}: {result}");
        }
        x.RequiresGrad = false;

        // Save → load → identical output.
        Tensor expected;
        using (new NoGrad()) expected = layer.Forward(x);
        string directory = Directory.CreateTempSubdirectory("dendrite-layer-").FullName;
        try
        {
            string path = Path.Combine(directory, "layer");
            Model.Save(layer, path);
            Module loaded = Model.Load(path);
            Assert.Equal(layer.GetType(), loaded.GetType());
            Tensor actual;
            using (new NoGrad()) actual = loaded.Forward(x);
            Assert.Equal(expected.ToArray(), actual.ToArray());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        // A wrong-shaped input is rejected with a message naming the layer and the shape.
        if (wrongInputShape is not null)
        {
            var error = Assert.ThrowsAny<ArgumentException>(() => layer.Forward(Tensor.Zeros(wrongInputShape)));
            Assert.Contains(nameInError ?? layer.GetType().Name, error.Message);
            Assert.Contains(new Shape(wrongInputShape).ToString(), error.Message);
        }
    }
}
