using TorchSharp;
using static Dendrite.Parity.Generator.Row;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Dendrite.Parity.Generator.Cases;

/// <summary>Losses with torch's defaults (no class weights, no ignore_index in use). Targets carry no gradient.</summary>
static class Losses
{
    public static OpCase[] Cases =>
    [
        new("cross_entropy_mean", "cross_entropy", "cross_entropy(logits[4,5], target int64[4] in [0,5), reduction = mean) -> []",
            [In.Normal(4, 5), In.RandInt(5, 4)], x => [F.cross_entropy(x[0], x[1], reduction: nn.Reduction.Mean)])
        { Attributes = A(("reduction", "mean")) },
        new("cross_entropy_sum", "cross_entropy", "cross_entropy(logits[4,5], target int64[4] in [0,5), reduction = sum) -> []",
            [In.Normal(4, 5), In.RandInt(5, 4)], x => [F.cross_entropy(x[0], x[1], reduction: nn.Reduction.Sum)])
        { Attributes = A(("reduction", "sum")) },
        new("nll_loss_mean", "nll_loss", "nll_loss(logp[4,5], target int64[4] in [0,5), reduction = mean) -> []; logp drawn as log_softmax(normal) and given as the input",
            [In.Custom(S(4, 5), s => randn(s).log_softmax(1)), In.RandInt(5, 4)], x => [F.nll_loss(x[0], x[1], reduction: nn.Reduction.Mean)])
        { Attributes = A(("reduction", "mean")) },
        new("bce_with_logits_mean", "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits(logits[4,3], target[4,3] in [0,1), reduction = mean) -> []",
            [In.Normal(4, 3), In.Uniform(0, 1, 4, 3).NoGrad()], x => [F.binary_cross_entropy_with_logits(x[0], x[1], reduction: nn.Reduction.Mean)])
        { Attributes = A(("reduction", "mean")) },
        new("mse_loss_mean", "mse_loss", "mse_loss(input[3,4], target[3,4], reduction = mean) -> []",
            [In.Normal(3, 4), In.Normal(3, 4).NoGrad()], x => [F.mse_loss(x[0], x[1], reduction: nn.Reduction.Mean)])
        { Attributes = A(("reduction", "mean")) },
    ];
}
