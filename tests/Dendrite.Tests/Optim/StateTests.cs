using Dendrite.IO;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Optim;
using Dendrite.Optim.FullBatch;

namespace Dendrite.Tests.Optim;

/// <summary>
/// Saving an optimiser's state mid-training (through safetensors bytes, as a checkpoint does) and
/// loading it into a fresh optimiser over a fresh model continues bit for bit like the
/// uninterrupted run; bad states are refused with clear errors.
/// </summary>
public class StateTests
{
    public sealed record Case(string Name, Func<Parameter[], Optimizer> Create)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> Cases() => new()
    {
        new("SGD momentum", p => new Sgd(p, 0.1f, momentum: 0.9f)),
        new("SGD Nesterov, weight decay, clipped", p => new Sgd(p, 0.1f, momentum: 0.9f, weightDecay: 0.01f, nesterov: true) { ClipNorm = 0.5f }),
        new("SGD with gradient noise", p => new Sgd(p, 0.1f) { GradientNoise = new GradientNoise(0.01f, seed: 3) }),
        new("seeds' dampened momentum", p => Sgd.Dampened(p, 0.1f, 0.5f)),
        new("AdaGrad", p => new AdaGrad(p, 0.1f, learningRateDecay: 0.01f)),
        new("RMSProp centred with momentum", p => new RmsProp(p, 0.01f, centered: true, momentum: 0.9f)),
        new("AdaDelta", p => new AdaDelta(p)),
        new("Adam", p => new Adam(p, 0.01f)),
        new("Adam AMSGrad", p => new Adam(p, 0.01f, amsgrad: true)),
        new("AdamW", p => new AdamW(p, 0.01f)),
        new("NAdam", p => new NAdam(p, 0.01f)),
        new("Rprop", p => new Rprop(p)),
        new("delta-bar-delta", p => new DeltaBarDelta(p, 0.05f, kappa: 0.01f)),
        new("L-BFGS", p => new Lbfgs(p, maxIterations: 3, historySize: 4)),
        new("L-BFGS strong Wolfe", p => new Lbfgs(p, maxIterations: 3, historySize: 4, lineSearch: LbfgsLineSearch.StrongWolfe)),
        new("conjugate gradient", p => new ConjugateGradient(p)),
        new("BFGS", p => new Bfgs(p)),
        new("Newton", p => new Newton(p)),
    };

    private static Sequential Network(long seed) =>
        new(new Dense(3, 4, new Tanh(), generator: new RandomGenerator(seed)), new Dense(4, 2, generator: new RandomGenerator(seed + 1)));

    private static (Tensor X, Tensor Y) Data()
    {
        var generator = new RandomGenerator(21);
        return (Tensor.Randn([8, 3], generator), Tensor.Randn([8, 2], generator));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ContinuesBitIdenticallyAfterSaveAndLoad(Case c)
    {
        var (x, y) = Data();
        Sequential model = Network(1);
        Optimizer optimizer = c.Create([.. model.Parameters()]);
        Func<Tensor> Loss(Sequential m) => () => (m.Forward(x) - y).Square().Mean();
        for (int step = 0; step < 7; step++) OptimProblems.TakeStep(optimizer, Loss(model));

        // The checkpoint: weights and optimiser state in one safetensors file, as bytes.
        var tensors = new Dictionary<string, Tensor>(model.StateDict().ToDictionary(p => p.Key, p => Tensor.FromArray(p.Value.ToArray(), p.Value.Shape)));
        var metadata = new Dictionary<string, string>();
        optimizer.GetState().AddTo(tensors, metadata);
        byte[] checkpoint = Safetensors.Serialize(tensors, metadata);

        var uninterrupted = new List<float[]>();
        for (int step = 0; step < 8; step++)
        {
            OptimProblems.TakeStep(optimizer, Loss(model));
            uninterrupted.Add(model.Parameters().SelectMany(p => p.ToArray()).ToArray());
        }

        SafetensorsFile file = Safetensors.Deserialize(checkpoint);
        Sequential resumed = Network(99);   // different initial weights, replaced by the checkpoint's
        resumed.LoadStateDict(file.Tensors.Where(t => !t.Key.StartsWith("optimizer.", StringComparison.Ordinal)).ToDictionary());
        Optimizer fresh = c.Create([.. resumed.Parameters()]);
        fresh.LoadState(OptimizerState.FromPrefixed(file.Tensors, file.Metadata));
        Assert.Equal(optimizer.StepCount - 8, fresh.StepCount);
        for (int step = 0; step < 8; step++)
        {
            OptimProblems.TakeStep(fresh, Loss(resumed));
            float[] actual = resumed.Parameters().SelectMany(p => p.ToArray()).ToArray();
            Assert.True(uninterrupted[step].AsSpan().SequenceEqual(actual), $"{c.Name}: step {step + 1} after loading differs from the uninterrupted run.");
        }
    }

    [Fact]
    public void StateSurvivesAFileRoundTrip()
    {
        var p = new Parameter(Tensor.From(1f, 2f));
        var adam = new Adam([p], 0.1f);
        p.Square().Sum().Backward();
        adam.Step();
        string path = Path.Combine(Path.GetTempPath(), $"dendrite-optim-{Guid.NewGuid():N}.safetensors");
        try
        {
            adam.GetState().Save(path);
            OptimizerState loaded = OptimizerState.Load(path);
            Assert.Equal("Adam", loaded.OptimizerName);
            Assert.Equal(adam.State(p).Buffer("exp_avg"), loaded.Tensors["state.0.exp_avg"].ToArray());
            Assert.Equal("1", loaded.Metadata["state.0.step"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RefusesAStateOfAnotherOptimizer()
    {
        var p = new Parameter(Tensor.From(1f, 2f));
        var sgd = new Sgd([p], 0.1f, momentum: 0.9f);
        var error = Assert.Throws<FormatException>(() => new Adam([p]).LoadState(sgd.GetState()));
        Assert.Contains("'Sgd'", error.Message);
        Assert.Contains("Adam", error.Message);
    }

    [Fact]
    public void RefusesAStateOfAnotherModel()
    {
        var small = new Parameter(Tensor.From(1f, 2f));
        var adam = new Adam([small]);
        small.Square().Sum().Backward();
        adam.Step();
        var large = new Parameter(Tensor.From(1f, 2f, 3f));
        var error = Assert.Throws<ShapeMismatchException>(() => new Adam([large]).LoadState(adam.GetState()));
        Assert.Contains("state.0.exp_avg", error.Message);

        var twoParameters = new Adam([new Parameter(Tensor.From(1f, 2f)), new Parameter(Tensor.From(1f))]);
        var countError = Assert.Throws<FormatException>(() => twoParameters.LoadState(adam.GetState()));
        Assert.Contains("1 parameter(s)", countError.Message);

        var lbfgs = new Lbfgs([small]);
        lbfgs.Step(OptimProblems.Closure([small], () => small.Square().Sum()));
        var lbfgsError = Assert.Throws<ShapeMismatchException>(() => new Lbfgs([large]).LoadState(lbfgs.GetState()));
        Assert.Contains("Lbfgs.LoadState", lbfgsError.Message);
        Assert.Contains("different model", lbfgsError.Message);
    }

    [Fact]
    public void RefusesUnknownBuffers()
    {
        var p = new Parameter(Tensor.From(1f, 2f));
        var adam = new Adam([p]);
        p.Square().Sum().Backward();
        adam.Step();
        OptimizerState state = adam.GetState();
        var tensors = state.Tensors.ToDictionary();
        tensors["state.0.velocity"] = Tensor.Zeros([2]);
        var error = Assert.Throws<FormatException>(() => new Adam([p]).LoadState(new OptimizerState(tensors, state.Metadata)));
        Assert.Contains("state.0.velocity", error.Message);
        Assert.Contains("exp_avg", error.Message);
    }
}
