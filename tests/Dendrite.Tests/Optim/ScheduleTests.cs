using System.Text.Json;
using Dendrite.NN;
using Dendrite.Optim;
using Dendrite.Optim.Schedules;
using Dendrite.Tests.Support;

namespace Dendrite.Tests.Optim;

/// <summary>
/// Learning-rate schedules against libtorch's (tests/reference/schedules: the rate after
/// construction and after each of 30 <c>scheduler.step()</c> calls), plus their own properties:
/// pure <c>LearningRate(step)</c>, stateful <c>Step()</c>, saveable state, checked arguments.
/// </summary>
public class ScheduleTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (string name in ReferenceCase.Names("schedules")) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FollowsLibtorch(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(ReferenceCase.Directory("schedules"), name + ".json")));
        JsonElement root = document.RootElement;
        JsonElement a = root.GetProperty("attributes");
        double[] expected = root.GetProperty("learning_rates").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        float lr = root.GetProperty("optimizer").GetProperty("lr").GetSingle();
        float F(string key) => a.GetProperty(key).GetSingle();
        int I(string key) => a.GetProperty(key).GetInt32();

        ILearningRateSchedule schedule = name switch
        {
            "step_lr" => new StepDecay(lr, I("step_size"), F("gamma")),
            "exponential_lr" => new ExponentialDecay(lr, F("gamma")),
            "cosine_annealing_warm_restarts" => new CosineAnnealingWarmRestarts(lr, I("T_0"), I("T_mult"), F("eta_min")),
            "polynomial_lr" => new PolynomialDecay(lr, I("total_iters"), F("power")),
            "linear_lr" => new LinearWarmup(new ConstantSchedule(lr), I("total_iters"), F("start_factor")),
            "one_cycle_lr" => new OneCycle(F("max_lr"), I("total_steps"), F("pct_start"), F("div_factor"), F("final_div_factor")),
            "reduce_lr_on_plateau" => new ReduceOnPlateau(lr, PlateauMode.Min, F("factor"), I("patience"), F("threshold"), ThresholdMode.Relative,
                I("cooldown"), F("min_lr"), F("eps")),
            _ => throw new InvalidOperationException($"No Dendrite schedule for reference case '{name}'."),
        };
        if (name == "linear_lr") Assert.Equal(1f, F("end_factor"));
        double[]? metrics = root.TryGetProperty("metrics", out JsonElement m) && m.ValueKind == JsonValueKind.Array
            ? m.EnumerateArray().Select(e => e.GetDouble()).ToArray() : null;

        // The schedules compute in double and return float32 rates: agreement to float precision.
        var actual = new List<float> { schedule.CurrentLearningRate };
        for (int k = 1; k < expected.Length; k++)
        {
            if (schedule is ReduceOnPlateau plateau) plateau.Step(metrics![k - 1]);
            else ((LearningRateSchedule)schedule).Step();
            actual.Add(schedule.CurrentLearningRate);
        }
        Assertions.AllClose(expected.Select(v => (float)v).ToArray(), actual.ToArray(), rtol: 1e-6, atol: 1e-9, what: $"{name} learning rates");
    }

    [Fact]
    public void LearningRateIsAPureFunctionOfTheStep()
    {
        var schedule = new CosineAnnealingWarmRestarts(0.1f, t0: 3, tMult: 2, etaMin: 0.01f);
        float[] before = Enumerable.Range(0, 20).Select(t => schedule.LearningRate(t)).ToArray();
        for (int i = 0; i < 7; i++) schedule.Step();
        Assert.Equal(before, Enumerable.Range(0, 20).Select(t => schedule.LearningRate(t)).ToArray());
        Assert.Equal(before[7], schedule.CurrentLearningRate);
        // Restarts after 3 and 3 + 6 steps: the rate is back at the top there.
        Assert.Equal(0.1f, schedule.LearningRate(3));
        Assert.Equal(0.1f, schedule.LearningRate(9));
        Assert.Equal((1L, 12L), schedule.Position(10));   // periods 3, 6, 12: steps 0-2, 3-8, 9-20
    }

    [Fact]
    public void SeedsExponentialDecayIsPoint998PerEpoch()
    {
        var schedule = new ExponentialDecay(0.5f, 0.998f);
        Assert.Equal(0.5 * Math.Pow(0.998, 100), schedule.LearningRate(100), 6);
    }

    [Fact]
    public void FixedThenDecayHoldsThenDecreases()
    {
        var linear = new FixedThenDecay(0.1f, fixedSteps: 10, decaySteps: 10, finalLearningRate: 0.01f);
        Assert.Equal(0.1f, linear.LearningRate(0));
        Assert.Equal(0.1f, linear.LearningRate(10));
        Assert.Equal(0.055f, linear.LearningRate(15), 6);
        Assert.Equal(0.01f, linear.LearningRate(20));
        Assert.Equal(0.01f, linear.LearningRate(1000));

        var inverse = new FixedThenDecay(0.1f, fixedSteps: 10, decaySteps: 5, finalLearningRate: 0.001f, shape: DecayShape.InverseTime);
        Assert.Equal(0.1f, inverse.LearningRate(10));
        Assert.Equal(0.05f, inverse.LearningRate(15), 6);
        Assert.Equal(0.001f, inverse.LearningRate(100_000));
    }

    [Fact]
    public void InverseTimeAndPolynomialFollowTheirFormulas()
    {
        var inverse = new InverseTimeDecay(0.1f, decay: 0.5f, decaySteps: 10);
        Assert.Equal(0.1 / (1 + 0.5 * 2.5), inverse.LearningRate(25), 6);
        var staircase = new InverseTimeDecay(0.1f, decay: 0.5f, decaySteps: 10, staircase: true);
        Assert.Equal(0.1 / (1 + 0.5 * 2), staircase.LearningRate(25), 6);
        var polynomial = new PolynomialDecay(0.1f, totalSteps: 10, power: 1f, endLearningRate: 0.02f);
        Assert.Equal(0.06f, polynomial.LearningRate(5), 6);
        Assert.Equal(0.02f, polynomial.LearningRate(50), 6);
    }

    [Fact]
    public void LinearWarmupHandsOverToTheInnerSchedule()
    {
        var schedule = new LinearWarmup(new StepDecay(0.1f, stepSize: 2, gamma: 0.5f), warmupSteps: 4);
        Assert.Equal(0f, schedule.LearningRate(0));
        Assert.Equal(0.05f, schedule.LearningRate(2), 6);
        Assert.Equal(0.1f, schedule.LearningRate(4));
        Assert.Equal(0.1f, schedule.LearningRate(5));
        Assert.Equal(0.05f, schedule.LearningRate(6));
    }

    [Fact]
    public void MomentumScheduleRisesLinearlyFromHalfTo99Hundredths()
    {
        var schedule = new MomentumSchedule(rampSteps: 500);
        Assert.Equal(0.5f, schedule.CurrentMomentum);
        Assert.Equal(0.745f, schedule.Momentum(250), 6);
        Assert.Equal(0.99f, schedule.Momentum(500));
        Assert.Equal(0.99f, schedule.Momentum(5000));
        var sgd = new Sgd([new Parameter(Tensor.Zeros([2]))], learningRate: 0.1f, momentum: schedule.CurrentMomentum);
        for (int i = 0; i < 250; i++) sgd.Momentum = schedule.Step();
        Assert.Equal(0.745f, sgd.Momentum, 6);
    }

    [Fact]
    public void ReduceOnPlateauInMaxModeWithCooldownAndFloor()
    {
        var schedule = new ReduceOnPlateau(1f, PlateauMode.Max, factor: 0.5f, patience: 1, threshold: 0.1f, thresholdMode: ThresholdMode.Absolute,
            cooldown: 1, minLearningRate: 0.3f);
        float[] rates = new[] { 0.5, 0.55, 0.58, 0.59, 0.65, 0.66, 0.67, 0.68 }.Select(v => schedule.Step(v)).ToArray();
        // 0.5 best; 0.55 and 0.58 are not better by 0.1: 2 bad reports > patience 1, so 0.5 and a
        // cooldown of 1; 0.59 is bad but in cooldown (count reset); 0.65 > 0.6 is the new best;
        // 0.66, 0.67 bad: 0.25, floored at 0.3; 0.68 in cooldown.
        Assert.Equal(new[] { 1f, 1f, 0.5f, 0.5f, 0.5f, 0.5f, 0.3f, 0.3f }, rates);
    }

    [Fact]
    public void StateRoundTripsAndContinuesIdentically()
    {
        var original = new CosineAnnealingWarmRestarts(0.1f, 5, 2);
        for (int i = 0; i < 12; i++) original.Step();
        var restored = new CosineAnnealingWarmRestarts(0.1f, 5, 2);
        restored.LoadState(original.GetState());
        for (int i = 0; i < 10; i++) Assert.Equal(original.Step(), restored.Step());

        var plateau = new ReduceOnPlateau(0.1f, patience: 1);
        foreach (double metric in new[] { 1.0, 1.0, 1.0, 0.9 }) plateau.Step(metric);
        var plateauRestored = new ReduceOnPlateau(0.1f, patience: 1);
        plateauRestored.LoadState(plateau.GetState());
        foreach (double metric in new[] { 0.95, 0.95, 0.95, 0.5 }) Assert.Equal(plateau.Step(metric), plateauRestored.Step(metric));

        Assert.Throws<FormatException>(() => new StepDecay(0.1f, 3).LoadState(original.GetState()));
    }

    [Fact]
    public void AnOptimiserFollowsItsSchedule()
    {
        var p = new Parameter(Tensor.From(1f));
        var schedule = new StepDecay(0.1f, stepSize: 1, gamma: 0.5f);
        var sgd = new Sgd([p], learningRate: 123f) { LearningRateSchedule = schedule };
        var head = new Parameter(Tensor.From(1f));
        sgd.AddParameterGroup(new ParameterGroup([head]) { LearningRate = 12.3f });
        float[] xs = new float[3], heads = new float[3];
        for (int k = 0; k < 3; k++)
        {
            p.ZeroGrad();
            head.ZeroGrad();
            (p.Sum() + head.Sum()).Backward();   // gradient 1 for both
            sgd.Step();
            schedule.Step();
            xs[k] = p.Item();
            heads[k] = head.Item();
        }
        // The schedule replaces the base rate: 0.1, 0.05, 0.025. The group with its own rate (12.3, ratio
        // 123 to the schedule's initial 0.1) follows the schedule's relative change: 12.3, 6.15, 3.075.
        Assertions.AllClose([0.9f, 0.85f, 0.825f], xs, what: "scheduled parameter");
        Assertions.AllClose([1f - 12.3f, 1f - 18.45f, 1f - 21.525f], heads, what: "group with its own rate");
    }

    [Fact]
    public void BadArgumentsNameTheScheduleTheArgumentAndTheValue()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(-0.1f, 3));
        Assert.Contains("StepDecay", error.Message);
        Assert.Contains("initialLearningRate", error.Message);
        Assert.Contains("-0.1", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(0.1f, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialDecay(0.1f, 1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingWarmRestarts(0.1f, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceOnPlateau(0.1f, factor: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MomentumSchedule(10, finalMomentum: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FixedThenDecay(0.1f, 5, 5, finalLearningRate: 0.2f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule(0.1f).LearningRate(-1));
    }
}
