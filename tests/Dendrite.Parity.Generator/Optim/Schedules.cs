using System.Globalization;
using System.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dendrite.Parity.Generator.Optim;

/// <summary>
/// One learning-rate schedule: SGD(lr = 0.1) on a dummy parameter, the scheduler stepped 30 times.
/// Written to tests/reference/schedules/&lt;name&gt;.json.
/// </summary>
/// <param name="Make">Builds the scheduler on the optimiser and returns its step (given the step's metric, used by ReduceLROnPlateau only).</param>
sealed record ScheduleCase(string Name, string Scheduler, string Description, (string, object?)[] Attributes,
    Func<optim.Optimizer, Action<double>> Make)
{
    /// <summary>The metric passed to step k (k = 1..30), for ReduceLROnPlateau; null otherwise.</summary>
    public double[]? Metrics { get; init; }
}

/// <summary>
/// The schedules. learning_rates[0] is the lr after the scheduler is constructed (before any step),
/// learning_rates[k] the lr after the k-th scheduler.step(). Schedulers are TorchSharp's (C# ports of
/// torch's Python ones, which use torch's recursive forms), except CosineAnnealingWarmRestarts, which
/// TorchSharp lacks: <see cref="CosineAnnealingWarmRestarts"/> transcribes torch's Python class.
/// </summary>
static class Schedules
{
    public const int Steps = 30;
    const double BaseLr = 0.1;

    /// <summary>A validation loss that improves, stalls (within and beyond patience), improves by less than the 1e-4 relative threshold, and improves again.</summary>
    static readonly double[] PlateauMetrics =
    [
        1.0, 0.9, 0.8, 0.8, 0.85, 0.8, 0.7, 0.75, 0.7, 0.7,
        0.69995, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.55, 0.5,
        0.5, 0.5, 0.5, 0.5, 0.4, 0.45, 0.45, 0.45, 0.45, 0.45,
    ];

    public static ScheduleCase[] Cases =>
    [
        new("step_lr", "StepLR", "StepLR(SGD(lr = 0.1), step_size = 5, gamma = 0.5): lr * gamma every 5 steps",
            [("step_size", 5), ("gamma", 0.5), ("last_epoch", -1)],
            o => Step(optim.lr_scheduler.StepLR(o, 5, 0.5))),
        new("exponential_lr", "ExponentialLR", "ExponentialLR(SGD(lr = 0.1), gamma = 0.9): lr * gamma every step",
            [("gamma", 0.9), ("last_epoch", -1)],
            o => Step(optim.lr_scheduler.ExponentialLR(o, 0.9))),
        new("cosine_annealing_warm_restarts", "CosineAnnealingWarmRestarts",
            "CosineAnnealingWarmRestarts(SGD(lr = 0.1), T_0 = 10, T_mult = 2, eta_min = 0.001): lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2, T_cur += 1 per step, restart (T_cur -= T_i, T_i *= T_mult) when T_cur reaches T_i: restarts after steps 10 and 30",
            [("T_0", 10), ("T_mult", 2), ("eta_min", 0.001), ("last_epoch", -1)],
            o =>
            {
                var s = new CosineAnnealingWarmRestarts(o, 10, 2, 0.001);
                return _ => s.Step();
            }),
        new("polynomial_lr", "PolynomialLR", "PolynomialLR(SGD(lr = 0.1), total_iters = 20, power = 2): lr = base_lr * (1 - min(k, 20) / 20)^2, computed recursively; 0 from step 20 on",
            [("total_iters", 20), ("power", 2.0), ("last_epoch", -1)],
            o => Step(optim.lr_scheduler.PolynomialLR(o, 20, 2.0))),
        new("linear_lr", "LinearLR", "LinearLR(SGD(lr = 0.1), start_factor = 0.1, end_factor = 1.0, total_iters = 5): factor goes linearly from 0.1 to 1 over 5 steps, then stays",
            [("start_factor", 0.1), ("end_factor", 1.0), ("total_iters", 5), ("last_epoch", -1)],
            o => Step(optim.lr_scheduler.LinearLR(o, 0.1, 1.0, 5))),
        new("one_cycle_lr", "OneCycleLR",
            "OneCycleLR(SGD(lr = 0.1), max_lr = 0.1, total_steps = 31, pct_start = 0.3, anneal_strategy = 'cos', cycle_momentum = False, div_factor = 25, final_div_factor = 1e4, three_phase = False): from max_lr / 25 up to max_lr at step 8.3, cosine down to max_lr / 25 / 1e4 at step 30",
            [("max_lr", 0.1), ("total_steps", 31), ("pct_start", 0.3), ("anneal_strategy", "cos"), ("cycle_momentum", false),
             ("div_factor", 25.0), ("final_div_factor", 10000.0), ("three_phase", false), ("last_epoch", -1)],
            o => Step(optim.lr_scheduler.OneCycleLR(o, 0.1, total_steps: 31, pct_start: 0.3, anneal_strategy: optim.lr_scheduler.impl.OneCycleLR.AnnealStrategy.Cos,
                cycle_momentum: false, div_factor: 25, final_div_factor: 1e4, three_phase: false))),
        new("reduce_lr_on_plateau", "ReduceLROnPlateau",
            "ReduceLROnPlateau(SGD(lr = 0.1), mode = 'min', factor = 0.5, patience = 2, threshold = 1e-4, threshold_mode = 'rel', cooldown = 0, min_lr = 0, eps = 1e-8), step k given metrics[k-1]: a metric is better when < best * (1 - threshold); after more than patience steps without improvement lr *= factor and the count restarts",
            [("mode", "min"), ("factor", 0.5), ("patience", 2), ("threshold", 1e-4), ("threshold_mode", "rel"), ("cooldown", 0), ("min_lr", 0.0), ("eps", 1e-8)],
            o =>
            {
                var s = optim.lr_scheduler.ReduceLROnPlateau(o, "min", 0.5, 2, 1e-4, "rel", 0, [0.0], 1e-8);
                return metric => s.step(metric);
            })
        { Metrics = PlateauMetrics },
    ];

    static Action<double> Step(optim.lr_scheduler.LRScheduler scheduler) => _ => scheduler.step();

    public static string Run(ScheduleCase c)
    {
        using var scope = NewDisposeScope();
        manual_seed(CaseRunner.SeedOf(c.Name));
        var parameter = new Parameter(zeros(1));
        var optimizer = optim.SGD([parameter], BaseLr);
        var step = c.Make(optimizer);
        if (c.Metrics is { Length: not Steps })
            throw new InvalidOperationException($"{c.Name}: {c.Metrics.Length} metrics for {Steps} steps");

        var rates = new List<double> { Lr(optimizer) };
        for (int k = 0; k < Steps; k++)
        {
            optimizer.step();
            step(c.Metrics?[k] ?? double.NaN);
            rates.Add(Lr(optimizer));
        }

        var sb = new StringBuilder();
        sb.Append("{\n");
        sb.Append("  \"name\": ").Append(ReferenceJson.Str(c.Name)).Append(",\n");
        sb.Append("  \"scheduler\": ").Append(ReferenceJson.Str(c.Scheduler)).Append(",\n");
        sb.Append("  \"description\": ").Append(ReferenceJson.Str(c.Description)).Append(",\n");
        sb.Append("  \"optimizer\": { \"name\": \"SGD\", \"lr\": ").Append(ReferenceJson.Value(BaseLr)).Append(" },\n");
        LayerJson.Attributes(sb, c.Attributes);
        if (c.Metrics is not null)
            sb.Append("  \"metrics\": [").Append(string.Join(", ", c.Metrics.Select(m => m.ToString("R", CultureInfo.InvariantCulture)))).Append("],\n");
        sb.Append("  \"learning_rates\": [").Append(string.Join(", ", rates.Select(r => r.ToString("R", CultureInfo.InvariantCulture)))).Append("]\n");
        sb.Append("}\n");
        return sb.ToString();
    }

    static double Lr(optim.Optimizer optimizer) => optimizer.ParamGroups.Single().LearningRate;
}

/// <summary>
/// torch.optim.lr_scheduler.CosineAnnealingWarmRestarts transcribed from torch's Python (stepping without
/// an epoch argument), since TorchSharp 0.107 has no such scheduler.
/// </summary>
sealed class CosineAnnealingWarmRestarts
{
    readonly optim.Optimizer optimizer;
    readonly double baseLr, etaMin;
    readonly int t0, tMult;
    int tI, lastEpoch;
    int tCur;

    public CosineAnnealingWarmRestarts(optim.Optimizer optimizer, int t0, int tMult, double etaMin)
    {
        this.optimizer = optimizer;
        this.t0 = t0;
        this.tMult = tMult;
        this.etaMin = etaMin;
        baseLr = optimizer.ParamGroups.Single().LearningRate;
        // LRScheduler.__init__ calls step() once with last_epoch = -1: epoch 0, T_i = T_0, T_cur = 0.
        tI = t0;
        tCur = 0;
        lastEpoch = 0;
        Apply();
    }

    public void Step()
    {
        lastEpoch += 1;
        tCur += 1;
        if (tCur >= tI)
        {
            tCur -= tI;
            tI *= tMult;
        }
        Apply();
    }

    void Apply() => optimizer.ParamGroups.Single().LearningRate = etaMin + (baseLr - etaMin) * (1 + Math.Cos(Math.PI * tCur / tI)) / 2;
}
