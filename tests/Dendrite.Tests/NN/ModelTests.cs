using Dendrite.NN;
using Dendrite.NN.Initializers;
using Dendrite.NN.Layers;
using Dendrite.NN.Regularizers;

namespace Dendrite.Tests.NN;

public class ModelTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void TheSeeds784_500_500_10NetworkBuildsInOneExpressionSavesAndLoadsBitIdentically()
    {
        RandomGenerator.SetDefaultSeed(2026);
        var model = new Sequential(new Dense(784, 500, new Relu()), new Dense(500, 500, new Relu()), new Dense(500, 10));

        ModelSummary summary = ModelSummary.Create(model, [784]);
        output.WriteLine(summary.ToString());
        Assert.Equal(648_010, summary.TotalParameters);
        Assert.Equal(648_010, summary.TrainableParameters);
        Assert.Contains("Total params: 648,010", summary.ToString());
        Assert.Equal([-1, 500], summary.Rows[0].OutputShape!);
        Assert.Equal([-1, 10], summary.Rows[^1].OutputShape!);
        Assert.Equal("he_uniform", summary.Rows[0].Initializer);
        Assert.Equal("glorot_uniform", summary.Rows[^1].Initializer);

        var x = Tensor.Uniform([16, 784], 0f, 1f, new RandomGenerator(1));
        model.Eval();
        float[] expected;
        using (new NoGrad()) expected = model.Forward(x).ToArray();

        string directory = Directory.CreateTempSubdirectory("dendrite-model-").FullName;
        try
        {
            string path = Path.Combine(directory, "mlp");
            Model.Save(model, path);
            Assert.True(File.Exists(path + ".safetensors"));
            Assert.True(File.Exists(path + ".json"));
            Module loaded = Model.Load(path + ".safetensors");
            Assert.IsType<Sequential>(loaded);
            Assert.False(loaded.IsTraining);
            float[] actual;
            using (new NoGrad()) actual = loaded.Forward(x).ToArray();
            Assert.Equal(expected, actual);
            Assert.Equal(648_010, ModelSummary.Create(loaded).TotalParameters);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ParametersAreNamedWithDotsAndStateDictsLoadPartiallyByName()
    {
        var encoder = new Sequential(new Dense(4, 3, new Tanh()), new Dense(3, 2));
        var model = new Sequential(encoder, new Dense(2, 5));
        Assert.Equal(["0.0.weight", "0.0.bias", "0.1.weight", "0.1.bias", "1.weight", "1.bias"], model.NamedParameters().Select(p => p.Name));

        // Transfer: a new model with the same encoder names and a different head.
        var other = new Sequential(new Sequential(new Dense(4, 3, new Tanh()), new Dense(3, 2)), new Dense(2, 7));
        var error = Assert.Throws<Dendrite.Tensors.ShapeMismatchException>(() => other.LoadStateDict(model.StateDict(), strict: false));
        Assert.Contains("1.weight", error.Message);
        var state = model.StateDict().Where(kv => kv.Key.StartsWith("0.", StringComparison.Ordinal)).ToDictionary();
        var report = other.LoadStateDict(state, strict: false);
        Assert.Equal(4, report.Loaded.Count);
        Assert.Equal(["1.weight", "1.bias"], report.Missing);
        Assert.Equal(model.StateDict()["0.1.weight"].ToArray(), other.StateDict()["0.1.weight"].ToArray());
        Assert.Throws<InvalidOperationException>(() => other.LoadStateDict(state, strict: true));
    }

    [Fact]
    public void FreezingStopsGradientsAndShowsInTheSummary()
    {
        var model = new Sequential(new Dense(3, 4, new Relu()), new Dense(4, 2));
        ((Module)model[0]).Freeze();
        var (trainable, frozen) = model.ParameterCount();
        Assert.Equal(10, trainable);
        Assert.Equal(16, frozen);
        Assert.Contains("Frozen params: 16", ModelSummary.Create(model).ToString());
        var loss = model.Forward(Tensor.Randn([5, 3])).Square().Mean();
        loss.Backward();
        Assert.All(model[0].Parameters(), p => Assert.Null(p.Grad));
        Assert.All(model[1].Parameters(), p => Assert.NotNull(p.Grad));
        model.Unfreeze();
        Assert.Equal(26, model.ParameterCount().Trainable);
    }

    [Fact]
    public void TrainAndEvalPropagateToChildren()
    {
        var model = new Sequential(new Dense(3, 3), new Dropout(0.5f), new Sequential(new BatchNorm(3)));
        model.Eval();
        Assert.All(model.NamedModules(), m => Assert.False(m.Module.IsTraining));
        model.Train();
        Assert.All(model.NamedModules(), m => Assert.True(m.Module.IsTraining));
    }

    [Fact]
    public void TheSameSeedGivesTheSameWeightsBitForBit()
    {
        static float[] Build(int seed)
        {
            var generator = new RandomGenerator(seed);
            var model = new Sequential(new Dense(20, 30, new Relu(), generator: generator), new Dense(30, 5, generator: generator));
            return model.Parameters().SelectMany(p => p.ToArray()).ToArray();
        }
        Assert.Equal(Build(3), Build(3));
        Assert.NotEqual(Build(3), Build(4));
    }

    [Fact]
    public void LoadingAModelWithAnUnknownLayerTypeSaysHowToRegisterIt()
    {
        string directory = Directory.CreateTempSubdirectory("dendrite-model-").FullName;
        try
        {
            string path = Path.Combine(directory, "m");
            Model.Save(new Sequential(new Dense(2, 2)), path);
            File.WriteAllText(path + ".json", File.ReadAllText(path + ".json").Replace("\"Dense\"", "\"MyLayer\""));
            var error = Assert.Throws<FormatException>(() => Model.Load(path));
            Assert.Contains("MyLayer", error.Message);
            Assert.Contains("ModuleRegistry.Register", error.Message);
            Assert.Throws<FileNotFoundException>(() => Model.Load(Path.Combine(directory, "absent")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void RegularizersAndConstraintsRoundTripThroughTheArchitectureFile()
    {
        var model = new Sequential(new Dense(3, 2, weightRegularizer: Regularizer.L2(0.01f, 100), weightConstraint: Constraint.MaxNorm(2f)));
        string directory = Directory.CreateTempSubdirectory("dendrite-model-").FullName;
        try
        {
            Model.Save(model, Path.Combine(directory, "m"));
            var loaded = (Sequential)Model.Load(Path.Combine(directory, "m"));
            var dense = (Dense)loaded[0];
            Assert.Equal("l2(0.01,m=100)", dense.Weight.Regularizer!.Name);
            Assert.Equal("max_norm(2)", dense.Weight.Constraint!.Name);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

public class InitializerTests
{
    private static float[] Sample(Initializer initializer, int fanIn, int fanOut, int seed = 1)
    {
        var t = Tensor.Zeros([fanOut, fanIn]);
        initializer.Initialize(t, fanIn, fanOut, new RandomGenerator(seed));
        return t.ToArray();
    }

    private static double Variance(float[] values)
    {
        double mean = values.Average();
        return values.Select(v => (v - mean) * (v - mean)).Average();
    }

    public static TheoryData<string, double> VarianceCases() => new()
    {
        // name, expected variance for fanIn = 200, fanOut = 100
        { "standard_normal", 1.0 },
        { "scaled_normal", 1.0 / 200 },
        { "lecun_normal", 1.0 / 200 },
        { "lecun_uniform", 1.0 / 200 },
        { "glorot_uniform", 2.0 / 300 },
        { "glorot_normal", 2.0 / 300 },
        { "glorot_uniform(gain=4)", 16 * 2.0 / 300 },
        { "he_uniform", 2.0 / 200 },
        { "he_normal", 2.0 / 200 },
        { "uniform_2.4/n_in", (2.4 / 200) * (2.4 / 200) / 3 },
    };

    [Theory]
    [MemberData(nameof(VarianceCases))]
    public void InitialisersHaveTheirFormulasVariance(string name, double expected)
    {
        Initializer initializer = Initializer.FromName(name);
        float[] values = Sample(initializer, 200, 100);
        Assert.InRange(Variance(values) / expected, 0.93, 1.07);
        Assert.InRange(Math.Abs(values.Average()), 0, 3 * Math.Sqrt(expected / values.Length));
    }

    [Fact]
    public void UniformInitialisersStayWithinTheirBounds()
    {
        Assert.All(Sample(Initializer.HeUniform, 50, 10), v => Assert.InRange(v, -MathF.Sqrt(6f / 50), MathF.Sqrt(6f / 50)));
        Assert.All(Sample(Initializer.GlorotUniform(4f), 50, 10), v => Assert.InRange(v, -4 * MathF.Sqrt(6f / 60), 4 * MathF.Sqrt(6f / 60)));
        Assert.All(Sample(Initializer.Uniform2Point4, 24, 10), v => Assert.InRange(v, -0.1f, 0.1f));
    }

    [Fact]
    public void OrthogonalRowsAreOrthonormal()
    {
        foreach (var (rows, columns) in new[] { (4, 6), (6, 4), (5, 5) })
        {
            var t = Tensor.Zeros([rows, columns]);
            Initializer.Orthogonal().Initialize(t, columns, rows, new RandomGenerator(2));
            Tensor product = rows <= columns ? t.MatMul(t.T) : t.T.MatMul(t);
            int n = Math.Min(rows, columns);
            float[] p = product.ToArray();
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    Assert.Equal(i == j ? 1f : 0f, p[i * n + j], 1e-5f);
        }
    }

    [Fact]
    public void DefaultsFollowTheActivation()
    {
        Assert.Equal("he_uniform", new Dense(3, 3, new Relu()).Weight.Initializer);
        Assert.Equal("he_uniform", new Dense(3, 3, new Elu()).Weight.Initializer);
        Assert.Equal("glorot_uniform", new Dense(3, 3, new Tanh()).Weight.Initializer);
        Assert.Equal("glorot_uniform(gain=4)", new Dense(3, 3, new Sigmoid()).Weight.Initializer);
        Assert.Equal("glorot_uniform", new Dense(3, 3).Weight.Initializer);
        Assert.Equal("zeros", new Dense(3, 3).Bias!.Initializer);
        Assert.Equal("lecun_normal", new Dense(3, 3, weightInitializer: Initializer.LecunNormal).Weight.Initializer);
        Assert.Throws<ArgumentException>(() => Initializer.FromName("magic"));
    }
}

public class RegularizerTests
{
    [Fact]
    public void PenaltiesFollowTheirFormulas()
    {
        var w = Tensor.From(1f, -2f, 0.5f);
        Assert.Equal(0.1f * 3.5f, Regularizer.L1(0.1f).Penalty(w).Item(), 6);
        Assert.Equal(0.2f / (2 * 10) * 5.25f, Regularizer.L2(0.2f, 10).Penalty(w).Item(), 6);
        Assert.Equal(0.1f * 3.5f + 0.2f / 2 * 5.25f, Regularizer.L1L2(0.1f, 0.2f).Penalty(w).Item(), 5);
        float expected = 0.3f * (1f / 2f + 4f / 5f + 0.25f / 1.25f);
        Assert.Equal(expected, Regularizer.WeightElimination(0.3f, 1f).Penalty(w).Item(), 6);
    }

    [Fact]
    public void PenaltyGradientsMatchFiniteDifferences()
    {
        foreach (Regularizer regularizer in new[] { Regularizer.L1(0.1f), Regularizer.L2(0.3f, 4), Regularizer.L1L2(0.1f, 0.2f), Regularizer.WeightElimination(0.5f, 0.7f) })
        {
            var w = Tensor.FromArray([0.3f, -1.2f, 2f, -0.4f], new Shape(2, 2));
            var result = GradCheck.Run(() => regularizer.Penalty(w), [w]);
            Assert.True(result.Passed, $"{regularizer}: {result}");
        }
    }

    [Fact]
    public void ModelRegularizationLossSumsOverRegularizedParameters()
    {
        var model = new Sequential(new Dense(2, 2, weightRegularizer: Regularizer.L1(1f)), new Dense(2, 1));
        var dense = (Dense)model[0];
        float expected = dense.Weight.ToArray().Sum(MathF.Abs);
        Assert.Equal(expected, model.RegularizationLoss()!.Item(), 5);
        Assert.Null(new Sequential(new Dense(2, 2)).RegularizationLoss());
    }

    [Fact]
    public void ConstraintsProjectInPlace()
    {
        var w = Tensor.FromArray([3, 4, 0.3f, 0.4f], new Shape(2, 2));
        Constraint.MaxNorm(2f).Apply(w);
        Assert.Equal([1.2f, 1.6f, 0.3f, 0.4f], w.ToArray());
        var u = Tensor.FromArray([3, 4, -1, 0], new Shape(2, 2));
        Constraint.UnitNorm.Apply(u);
        Assert.Equal([0.6f, 0.8f, -1f, 0f], u.ToArray());
        Constraint.NonNegative.Apply(u);
        Assert.Equal([0.6f, 0.8f, 0f, 0f], u.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => Constraint.MaxNorm(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => Regularizer.L2(-1f));
    }
}
