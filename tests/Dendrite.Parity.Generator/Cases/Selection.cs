using TorchSharp;
using static Dendrite.Parity.Generator.Row;
using static TorchSharp.torch;

namespace Dendrite.Parity.Generator.Cases;

/// <summary>where, and comparisons (forward only, bool outputs).</summary>
static class Selection
{
    // Inputs are whole numbers in [-2, 2] stored as float32, so that ties occur and ge/le/eq differ from gt/lt.
    static OpCase Compare(string op, string symbol, Func<Tensor, Tensor, Tensor> f) =>
        new($"{op}_broadcast_row", op, $"a[3,4] {symbol} b[4] -> bool[3,4]; a, b whole numbers in [-2, 2] so ties occur; forward only",
            [In.SmallIntegers(3, 4), In.SmallIntegers(4)], x => [f(x[0], x[1])]);

    public static OpCase[] Cases =>
    [
        // Inputs in torch.where's argument order; the mask is derived from a (inputs[1]).
        new("where_mask", "where", "where(cond[3,4], a[3,4], b[3,4]) with cond = a > 0 stored as a bool input, |a| >= 1e-3",
            [In.Derived(S(3, 4), x => x[1].gt(0)), In.Normal(3, 4), In.Normal(3, 4)],
            x => [where(x[0], x[1], x[2])]) { Accept = AwayFrom(1, 0) },

        Compare("gt", ">", (a, b) => a.gt(b)),
        Compare("lt", "<", (a, b) => a.lt(b)),
        Compare("ge", ">=", (a, b) => a.ge(b)),
        Compare("le", "<=", (a, b) => a.le(b)),
        Compare("eq", "==", (a, b) => a.eq(b)),
    ];
}
