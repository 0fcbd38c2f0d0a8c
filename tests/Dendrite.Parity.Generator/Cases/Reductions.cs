using TorchSharp;
using static Dendrite.Parity.Generator.Row;
using static TorchSharp.torch;

namespace Dendrite.Parity.Generator.Cases;

/// <summary>
/// Reductions, softmax and log_softmax. Attribute "dim" is a single dimension, "dims" a list;
/// negative dimensions count from the end, as in torch.
/// </summary>
static class Reductions
{
    public static OpCase[] Cases =>
    [
        new("sum_all", "sum", "sum(a[3,4]) over all elements -> []",
            [In.Normal(3, 4)], x => [x[0].sum()]),
        new("sum_dim1", "sum", "sum(a[3,4], dim = 1, keepdim = false) -> [3]",
            [In.Normal(3, 4)], x => [x[0].sum(1, false)]) { Attributes = A(("dim", 1), ("keepdim", false)) },
        new("sum_dims02_keepdim", "sum", "sum(a[2,3,4], dims = [0, 2], keepdim = true) -> [1,3,1]",
            [In.Normal(2, 3, 4)], x => [x[0].sum([0L, 2L], true)]) { Attributes = A(("dims", new[] { 0, 2 }), ("keepdim", true)) },
        new("mean_all", "mean", "mean(a[3,4]) over all elements -> []",
            [In.Normal(3, 4)], x => [x[0].mean()]),
        new("mean_last_keepdim", "mean", "mean(a[2,3,4], dim = -1, keepdim = true) -> [2,3,1]",
            [In.Normal(2, 3, 4)], x => [x[0].mean([-1L], true)]) { Attributes = A(("dim", -1), ("keepdim", true)) },

        new("max_dim1", "max", "max(a[3,5], dim = 1, keepdim = false) -> (values[3], indices int64[3]); top two of each row >= 1e-3 apart",
            [In.Normal(3, 5)], x => { var (v, i) = x[0].max(1, false); return [v, i]; })
        { Attributes = A(("dim", 1), ("keepdim", false)), Accept = NoTieAlong(0, 1) },
        new("min_dim0", "min", "min(a[4,3], dim = 0, keepdim = false) -> (values[3], indices int64[3]); bottom two of each column >= 1e-3 apart",
            [In.Normal(4, 3)], x => { var (v, i) = x[0].min(0, false); return [v, i]; })
        { Attributes = A(("dim", 0), ("keepdim", false)), Accept = NoTieAlong(0, 0, largest: false) },
        new("argmax_dim1", "argmax", "argmax(a[3,5], dim = 1, keepdim = false) -> int64[3]; top two >= 1e-3 apart; forward only",
            [In.Normal(3, 5).NoGrad()], x => [x[0].argmax(1, false)])
        { Attributes = A(("dim", 1), ("keepdim", false)), Accept = NoTieAlong(0, 1) },

        new("var_dim1_unbiased", "var", "var(a[3,5], dim = 1, correction = 1, keepdim = false) -> [3]",
            [In.Normal(3, 5)], x => [x[0].var(1, true, false)]) { Attributes = A(("dim", 1), ("correction", 1), ("keepdim", false)) },
        new("var_all_unbiased", "var", "var(a[3,4], correction = 1) over all elements -> []",
            [In.Normal(3, 4)], x => [x[0].var(true)]) { Attributes = A(("correction", 1)) },
        new("logsumexp_dim1", "logsumexp", "logsumexp(a[3,5], dim = 1, keepdim = false) -> [3]",
            [In.Normal(3, 5)], x => [x[0].logsumexp(1, false)]) { Attributes = A(("dim", 1), ("keepdim", false)) },

        new("softmax_dim1_2d", "softmax", "softmax(a[4,5], dim = 1)",
            [In.Normal(4, 5)], x => [x[0].softmax(1)]) { Attributes = A(("dim", 1)) },
        new("softmax_last_3d", "softmax", "softmax(a[2,3,4], dim = -1)",
            [In.Normal(2, 3, 4)], x => [x[0].softmax(-1)]) { Attributes = A(("dim", -1)) },
        new("softmax_dim1_3d", "softmax", "softmax(a[2,3,4], dim = 1) (a middle dimension)",
            [In.Normal(2, 3, 4)], x => [x[0].softmax(1)]) { Attributes = A(("dim", 1)) },
        new("log_softmax_dim1_2d", "log_softmax", "log_softmax(a[4,5], dim = 1)",
            [In.Normal(4, 5)], x => [x[0].log_softmax(1)]) { Attributes = A(("dim", 1)) },
        new("log_softmax_last_3d", "log_softmax", "log_softmax(a[2,3,4], dim = -1)",
            [In.Normal(2, 3, 4)], x => [x[0].log_softmax(-1)]) { Attributes = A(("dim", -1)) },
    ];
}
