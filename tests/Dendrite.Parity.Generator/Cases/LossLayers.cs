using TorchSharp;
using static Dendrite.Parity.Generator.Cases.Layers;
using static Dendrite.Parity.Generator.Row;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Dendrite.Parity.Generator.Cases;

/// <summary>
/// Loss modules in the layers format (no parameters). They run as torch's functional form, which the
/// modules call; class weights are fixed numbers in the table, written to "weight" as a list (torch keeps
/// them as a buffer named weight). Targets of MSE, L1, Huber and SmoothL1 carry a gradient.
/// </summary>
static class LossLayers
{
    /// <summary>Class weights for 5 classes (exact in binary).</summary>
    static readonly float[] ClassWeights = [0.5f, 1.25f, 2f, 0.75f, 1.5f];

    public static LayerCase[] Cases =>
    [
        new("mseloss_mean", "MSELoss", "MSELoss(reduction = 'mean')(input[3,4], target[3,4]) -> []; both inputs carry a gradient",
            null, [In.Normal(3, 4), In.Normal(3, 4)], (_, x) => [F.mse_loss(x[0], x[1], nn.Reduction.Mean)])
        { Attributes = A2(("reduction", "mean")), InputNames = ["input", "target"] },
        new("mseloss_sum", "MSELoss", "MSELoss(reduction = 'sum')(input[3,4], target[3,4]) -> []; both inputs carry a gradient",
            null, [In.Normal(3, 4), In.Normal(3, 4)], (_, x) => [F.mse_loss(x[0], x[1], nn.Reduction.Sum)])
        { Attributes = A2(("reduction", "sum")), InputNames = ["input", "target"] },
        new("mseloss_none", "MSELoss", "MSELoss(reduction = 'none')(input[3,4], target[3,4]) -> [3,4]; both inputs carry a gradient",
            null, [In.Normal(3, 4), In.Normal(3, 4)], (_, x) => [F.mse_loss(x[0], x[1], nn.Reduction.None)])
        { Attributes = A2(("reduction", "none")), InputNames = ["input", "target"] },
        new("l1loss_mean", "L1Loss", "L1Loss(reduction = 'mean')(input[3,4], target[3,4]) -> []; |input - target| >= 1e-3 everywhere; both inputs carry a gradient",
            null, [In.Normal(3, 4), In.Normal(3, 4)], (_, x) => [F.l1_loss(x[0], x[1], nn.Reduction.Mean)])
        { Attributes = A2(("reduction", "mean")), InputNames = ["input", "target"], Accept = Apart(0, 1) },
        new("huberloss_delta1", "HuberLoss",
            "HuberLoss(reduction = 'mean', delta = 1.0)(input[4,5], target[4,5]) -> []; at least 4 residuals on each side of delta, none within 1e-3 of it; both inputs carry a gradient",
            null, [In.Normal(4, 5), In.Normal(4, 5)], (_, x) => [F.huber_loss(x[0], x[1], 1.0, nn.Reduction.Mean)])
        { Attributes = A2(("reduction", "mean"), ("delta", 1.0)), InputNames = ["input", "target"], Accept = ResidualsAround(1.0) },
        new("huberloss_delta0p5", "HuberLoss",
            "HuberLoss(reduction = 'mean', delta = 0.5)(input[4,5], target[4,5]) -> []; at least 4 residuals on each side of delta, none within 1e-3 of it; both inputs carry a gradient",
            null, [In.Normal(4, 5), In.Normal(4, 5)], (_, x) => [F.huber_loss(x[0], x[1], 0.5, nn.Reduction.Mean)])
        { Attributes = A2(("reduction", "mean"), ("delta", 0.5)), InputNames = ["input", "target"], Accept = ResidualsAround(0.5) },
        new("smoothl1loss_beta1", "SmoothL1Loss",
            "SmoothL1Loss(reduction = 'mean', beta = 1.0)(input[4,5], target[4,5]) -> []; at least 4 residuals on each side of beta, none within 1e-3 of it; both inputs carry a gradient",
            null, [In.Normal(4, 5), In.Normal(4, 5)], (_, x) => [F.smooth_l1_loss(x[0], x[1], nn.Reduction.Mean, 1.0)])
        { Attributes = A2(("reduction", "mean"), ("beta", 1.0)), InputNames = ["input", "target"], Accept = ResidualsAround(1.0) },
        new("bceloss_mean", "BCELoss",
            "BCELoss(weight = None, reduction = 'mean')(input[4,3] in uniform(0.05, 0.95) (probabilities), target[4,3] in uniform(0, 1)) -> []; target has no gradient",
            null, [In.Uniform(0.05, 0.95, 4, 3), In.Uniform(0, 1, 4, 3).NoGrad()], (_, x) => [F.binary_cross_entropy(x[0], x[1], null, nn.Reduction.Mean)])
        { Attributes = A2(("weight", null), ("reduction", "mean")), InputNames = ["input", "target"] },
        new("bcewithlogitsloss_mean", "BCEWithLogitsLoss",
            "BCEWithLogitsLoss(weight = None, reduction = 'mean', pos_weight = None)(input[4,3] logits, target[4,3] in uniform(0, 1)) -> []; target has no gradient",
            null, [In.Normal(4, 3), In.Uniform(0, 1, 4, 3).NoGrad()], (_, x) => [F.binary_cross_entropy_with_logits(x[0], x[1], null, nn.Reduction.Mean)])
        { Attributes = A2(("weight", null), ("reduction", "mean"), ("pos_weight", null)), InputNames = ["input", "target"] },

        CrossEntropy("crossentropyloss_label_smoothing", weight: false, smoothing: 0.1, "mean"),
        CrossEntropy("crossentropyloss_weight", weight: true, smoothing: 0.0, "mean"),
        CrossEntropy("crossentropyloss_weight_label_smoothing", weight: true, smoothing: 0.1, "mean"),
        CrossEntropy("crossentropyloss_none", weight: false, smoothing: 0.0, "none"),
        CrossEntropy("crossentropyloss_weight_label_smoothing_none", weight: true, smoothing: 0.1, "none"),
        new("nllloss_weight", "NLLLoss",
            "NLLLoss(weight = [0.5, 1.25, 2, 0.75, 1.5], ignore_index = -100, reduction = 'mean')(input[6,5] = log_softmax(normal, dim 1), target int64[6] in [0,5)) -> []: -sum_i w[t_i] input[i, t_i] / sum_i w[t_i]",
            null, [In.Custom(S(6, 5), s => randn(s).log_softmax(1)), In.RandInt(5, 6)],
            (_, x) => [F.nll_loss(x[0], x[1], tensor(ClassWeights), nn.Reduction.Mean)])
        { Attributes = A2(("weight", ClassWeights), ("ignore_index", -100), ("reduction", "mean")), InputNames = ["input", "target"] },
    ];

    static LayerCase CrossEntropy(string name, bool weight, double smoothing, string reduction)
    {
        var r = reduction == "mean" ? nn.Reduction.Mean : nn.Reduction.None;
        string w = weight ? "[0.5, 1.25, 2, 0.75, 1.5]" : "None";
        string shape = reduction == "none" ? "[6]" : "[]";
        return new(name, "CrossEntropyLoss",
            $"CrossEntropyLoss(weight = {w}, ignore_index = -100, reduction = '{reduction}', label_smoothing = {smoothing.ToString("0.0#", System.Globalization.CultureInfo.InvariantCulture)})(input[6,5] logits, target int64[6] class indices in [0,5)) -> {shape}",
            null, [In.Normal(6, 5), In.RandInt(5, 6)],
            (_, x) => [F.cross_entropy(x[0], x[1], weight ? tensor(ClassWeights) : null, -100, r, smoothing)])
        {
            Attributes = A2(("weight", weight ? ClassWeights : null), ("ignore_index", -100), ("reduction", reduction), ("label_smoothing", smoothing)),
            InputNames = ["input", "target"],
        };
    }

    /// <summary>
    /// Residuals input - target: none within 1e-3 of +-<paramref name="kink"/> (where the loss changes form)
    /// and at least 4 on each side of it, so that both branches are exercised.
    /// </summary>
    static Func<Tensor[], bool> ResidualsAround(double kink) => x =>
    {
        var r = (x[0] - x[1]).abs();
        return (r - kink).abs().min().item<float>() >= Margin
            && r.lt(kink).sum().item<long>() >= 4
            && r.gt(kink).sum().item<long>() >= 4;
    };
}
