using static Dendrite.Parity.Generator.Row;

namespace Dendrite.Parity.Generator.Cases;

/// <summary>Element-wise binary ops with torch broadcasting, and their tensor-scalar forms.</summary>
static class Elementwise
{
    public static OpCase[] Cases =>
    [
        new("add_broadcast_row", "add", "a[3,4] + b[4]",
            [In.Normal(3, 4), In.Normal(4)], x => [x[0] + x[1]]),
        new("add_broadcast_outer", "add", "a[2,3,1] + b[1,4] -> [2,3,4]",
            [In.Normal(2, 3, 1), In.Normal(1, 4)], x => [x[0] + x[1]]),
        new("sub_broadcast_col", "sub", "a[3,4] - b[3,1]",
            [In.Normal(3, 4), In.Normal(3, 1)], x => [x[0] - x[1]]),
        new("mul_broadcast_batch", "mul", "a[2,3,4] * b[3,4]",
            [In.Normal(2, 3, 4), In.Normal(3, 4)], x => [x[0] * x[1]]),
        new("div_same_shape", "div", "a[3,4] / b[3,4], |b| in [0.5, 2]",
            [In.Normal(3, 4), In.Denominator(3, 4)], x => [x[0] / x[1]]),
        new("div_broadcast_row", "div", "a[3,4] / b[1,4], |b| in [0.5, 2]",
            [In.Normal(3, 4), In.Denominator(1, 4)], x => [x[0] / x[1]]),

        new("add_scalar", "add", "a[3,4] + scalar, scalar = 0.75",
            [In.Normal(3, 4)], x => [x[0] + 0.75]) { Attributes = A(("scalar", 0.75)) },
        new("mul_scalar", "mul", "a[3,4] * scalar, scalar = -1.5",
            [In.Normal(3, 4)], x => [x[0] * -1.5]) { Attributes = A(("scalar", -1.5)) },

        new("pow_scalar_fractional", "pow", "pow(a[3,4], exponent), exponent = 2.5, a in [0.2, 2]",
            [In.Uniform(0.2, 2, 3, 4)], x => [x[0].pow(2.5)]) { Attributes = A(("exponent", 2.5)) },
        new("pow_scalar_integer", "pow", "pow(a[3,4], exponent), exponent = 3, a of any sign",
            [In.Normal(3, 4)], x => [x[0].pow(3.0)]) { Attributes = A(("exponent", 3.0)) },
        new("pow_tensor", "pow", "pow(a[3,4], b[3,4]), tensor exponent, a in [0.2, 2]",
            [In.Uniform(0.2, 2, 3, 4), In.Normal(3, 4)], x => [x[0].pow(x[1])]),

        new("maximum_same_shape", "maximum", "maximum(a[3,4], b[3,4]), |a - b| >= 1e-3",
            [In.Normal(3, 4), In.Normal(3, 4)], x => [x[0].maximum(x[1])]) { Accept = Apart(0, 1) },
        new("maximum_broadcast_row", "maximum", "maximum(a[3,4], b[4]), |a - b| >= 1e-3",
            [In.Normal(3, 4), In.Normal(4)], x => [x[0].maximum(x[1])]) { Accept = Apart(0, 1) },
        new("minimum_same_shape", "minimum", "minimum(a[3,4], b[3,4]), |a - b| >= 1e-3",
            [In.Normal(3, 4), In.Normal(3, 4)], x => [x[0].minimum(x[1])]) { Accept = Apart(0, 1) },
        new("minimum_broadcast_row", "minimum", "minimum(a[3,4], b[4]), |a - b| >= 1e-3",
            [In.Normal(3, 4), In.Normal(4)], x => [x[0].minimum(x[1])]) { Accept = Apart(0, 1) },
    ];
}
