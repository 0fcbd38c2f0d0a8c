using System.Globalization;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Optim;
using Dendrite.Optim.FullBatch;
using Dendrite.Tests.Support;
using Xunit.Abstractions;

namespace Dendrite.Tests.Optim;

/// <summary>
/// Every optimiser that libtorch has follows libtorch's 20-step trajectory on the same network
/// (Linear(3,4) → Tanh → Linear(4,2), MSE, full batch), from the same initial parameters: the
/// loss before each step and every parameter after it. The files are tests/reference/optim/*.json,
/// written by tests/Dendrite.Parity.Generator (Optim/Trajectories.cs) with libtorch 2.10.
/// </summary>
public class GoldenTrajectoryTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (string name in TrajectoryCase.Names()) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FollowsLibtorch(string name)
    {
        TrajectoryCase reference = TrajectoryCase.Load(name);
        var (model, parameters) = Build(reference);
        Optimizer optimizer = CreateOptimizer(reference, parameters);
        Tensor inputs = reference.Inputs.ToTensor(), targets = reference.Targets.ToTensor();
        Func<Tensor> loss = () => (model.Forward(inputs) - targets).Square().Mean();

        // rtol 1e-4, atol 1e-5 (the brief's bar) for every step of every optimiser except the
        // chaotic L-BFGS runs. With max_iter = 20, one torch step is 20 quasi-Newton iterations
        // along a flat valley; the reference README measured that the same run in float64
        // already differs from libtorch's float32 file by 4e-4 after step 2 and by 1e-2..1 later,
        // so only steps 1-2 are comparable, with a tolerance above that float64 distance.
        // The max_iter = 2 variants stay within 3e-4 of float64 over all 20 steps.
        (int steps, double rtol, double atol) = name switch
        {
            "lbfgs" or "lbfgs_strong_wolfe" => (2, 2e-3, 1e-3),
            "lbfgs_max_iter2" or "lbfgs_strong_wolfe_max_iter2" => (20, 1e-3, 3e-4),
            _ => (20, 1e-4, 1e-5),
        };
        double worst = 0;
        for (int k = 0; k < 20; k++)
        {
            if (k >= steps)
            {
                // Past the comparable steps, the chaotic L-BFGS runs must still end where libtorch's
                // does: the same flat valley (lbfgs, loss 0.15046) or a loss near 0 (strong Wolfe).
                float last = OptimizerStep(optimizer, reference, parameters, loss);
                if (k == 19) Assertions.AllClose([reference.Steps[k].Loss], [last], rtol: 1e-4, atol: 1e-7, what: $"{name}: loss before step 20");
                continue;
            }
            var (expectedLoss, expectedParameters) = reference.Steps[k];
            float actualLoss = OptimizerStep(optimizer, reference, parameters, loss);
            Assertions.AllClose([expectedLoss], [actualLoss], rtol, atol, $"{name}: loss before step {k + 1}");
            worst = Math.Max(worst, Math.Abs(expectedLoss - actualLoss));
            foreach (var (torchName, expected) in expectedParameters)
            {
                float[] actual = model.StateDict()[TrajectoryCase.DendriteName(torchName)].ToArray();
                Assertions.AllClose(expected.Data, actual, rtol, atol, $"{name}: {torchName} after step {k + 1}");
                for (int i = 0; i < actual.Length; i++) worst = Math.Max(worst, Math.Abs(expected.Data[i] - actual[i]));
            }
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {steps} steps, max |Dendrite − libtorch| over losses and parameters = {worst:E2}"));
    }

    [Fact]
    public void ClippingByTheStaticUtilityMatchesTheOptimiserOption()
    {
        TrajectoryCase reference = TrajectoryCase.Load("sgd_clip_grad_norm");
        var (model, parameters) = Build(reference);
        var sgd = new Sgd(parameters, learningRate: reference.Float("lr"));
        Tensor inputs = reference.Inputs.ToTensor(), targets = reference.Targets.ToTensor();
        float maxNorm = reference.GradientClipping!.Value.GetProperty("max_norm").GetSingle();
        for (int k = 0; k < 20; k++)
        {
            sgd.ZeroGrad();
            Tensor loss = (model.Forward(inputs) - targets).Square().Mean();
            loss.Backward();
            float norm = GradientClipping.ClipByNorm(parameters, maxNorm);
            Assert.True(norm > 0f);
            sgd.Step();
            foreach (var (torchName, expected) in reference.Steps[k].Parameters)
                Assertions.AllClose(expected.Data, model.StateDict()[TrajectoryCase.DendriteName(torchName)].ToArray(), what: $"{torchName} after step {k + 1}");
        }
    }

    internal static (Sequential Model, Parameter[] Parameters) Build(TrajectoryCase reference)
    {
        var model = new Sequential(new Dense(3, 4, new Tanh()), new Dense(4, 2));
        var state = reference.InitialParameters.ToDictionary(p => TrajectoryCase.DendriteName(p.Key), p => p.Value.ToTensor());
        model.LoadStateDict(state);
        // torch hands the optimiser 0.weight, 0.bias, 2.weight, 2.bias: the same order as Dendrite's.
        return (model, [.. model.Parameters()]);
    }

    internal static Optimizer CreateOptimizer(TrajectoryCase c, Parameter[] p)
    {
        string name = c.Name;
        if (name.StartsWith("sgd", StringComparison.Ordinal))
        {
            var sgd = new Sgd(p, c.Float("lr"), c.Float("momentum"), c.Float("dampening"), c.Float("weight_decay"), c.Bool("nesterov"));
            if (c.GradientClipping is { } clipping)
            {
                string function = clipping.GetProperty("function").GetString()!;
                if (function == "clip_grad_norm_") sgd.ClipNorm = clipping.GetProperty("max_norm").GetSingle();
                else sgd.ClipValue = clipping.GetProperty("clip_value").GetSingle();
            }
            return sgd;
        }
        if (name.StartsWith("adagrad", StringComparison.Ordinal))
            return new AdaGrad(p, c.Float("lr"), c.Float("lr_decay"), c.Float("weight_decay"), c.Float("initial_accumulator_value"), c.Float("eps"));
        if (name.StartsWith("rmsprop", StringComparison.Ordinal))
            return new RmsProp(p, c.Float("lr"), rho: c.Float("alpha"), epsilon: c.Float("eps"), weightDecay: c.Float("weight_decay"), momentum: c.Float("momentum"), centered: c.Bool("centered"));
        if (name == "adadelta")
            return new AdaDelta(p, c.Float("lr"), c.Float("rho"), c.Float("eps"), c.Float("weight_decay"));
        if (name == "adamw")
            return new AdamW(p, c.Float("lr"), c.Float("betas", 0), c.Float("betas", 1), c.Float("eps"), c.Float("weight_decay"), c.Bool("amsgrad"));
        if (name.StartsWith("adam", StringComparison.Ordinal))
            return new Adam(p, c.Float("lr"), c.Float("betas", 0), c.Float("betas", 1), c.Float("eps"), c.Float("weight_decay"), c.Bool("amsgrad"));
        if (name == "nadam")
            return new NAdam(p, c.Float("lr"), c.Float("betas", 0), c.Float("betas", 1), c.Float("eps"), c.Float("weight_decay"), c.Float("momentum_decay"));
        if (name == "rprop")
            return new Rprop(p, c.Float("lr"), c.Float("etas", 0), c.Float("etas", 1), c.Float("step_sizes", 0), c.Float("step_sizes", 1));
        if (name.StartsWith("lbfgs", StringComparison.Ordinal))
        {
            bool wolfe = c.Attributes.GetProperty("line_search_fn").ValueKind == System.Text.Json.JsonValueKind.String;
            return new Lbfgs(p, c.Float("lr"), c.Int("max_iter"), c.Int("max_eval"), c.Float("tolerance_grad"), c.Float("tolerance_change"),
                c.Int("history_size"), wolfe ? LbfgsLineSearch.StrongWolfe : LbfgsLineSearch.None);
        }
        throw new InvalidOperationException($"No Dendrite optimiser for reference case '{name}'.");
    }

    /// <summary>One torch step: zero_grad, loss, backward, [clipping], step; returns the loss before the step.</summary>
    internal static float OptimizerStep(Optimizer optimizer, TrajectoryCase reference, Parameter[] parameters, Func<Tensor> loss) =>
        OptimProblems.TakeStep(optimizer, loss);
}
