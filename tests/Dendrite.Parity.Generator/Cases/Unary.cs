using TorchSharp;
using static Dendrite.Parity.Generator.Row;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Dendrite.Parity.Generator.Cases;

/// <summary>Element-wise unary ops and activations, each on a [3,4] input.</summary>
static class Unary
{
    static OpCase U(string name, string op, string description, Func<Tensor, Tensor> f, In? input = null) =>
        new(name, op, description, [input ?? In.Normal(3, 4)], x => [f(x[0])]);

    public static OpCase[] Cases =>
    [
        U("neg", "neg", "-a[3,4]", a => a.neg()),
        U("exp", "exp", "exp(a[3,4])", a => a.exp()),
        U("log", "log", "log(a[3,4]), a in [0.2, 2]", a => a.log(), In.Uniform(0.2, 2, 3, 4)),
        U("sqrt", "sqrt", "sqrt(a[3,4]), a in [0.2, 2]", a => a.sqrt(), In.Uniform(0.2, 2, 3, 4)),
        U("abs", "abs", "abs(a[3,4]), |a| >= 1e-3", a => a.abs()) with { Accept = AwayFrom(0, 0) },
        U("sign", "sign", "sign(a[3,4]), |a| >= 1e-3; gradient zero", a => a.sign()) with { Accept = AwayFrom(0, 0) },
        U("square", "square", "square(a[3,4])", a => a.square()),
        U("clamp", "clamp", "clamp(a[3,4], min, max), min = -0.5, max = 0.5, a at least 1e-3 from both bounds",
            a => a.clamp(-0.5, 0.5)) with { Attributes = A(("min", -0.5), ("max", 0.5)), Accept = AwayFrom(0, -0.5, 0.5) },
        U("sigmoid", "sigmoid", "sigmoid(a[3,4])", a => a.sigmoid()),
        U("tanh", "tanh", "tanh(a[3,4])", a => a.tanh()),
        U("lecun_tanh", "lecun_tanh", "1.7159 * tanh(2 * a[3,4] / 3) (LeCun 1998)", a => (a * (2.0 / 3.0)).tanh() * 1.7159),
        U("relu", "relu", "relu(a[3,4]), |a| >= 1e-3", a => F.relu(a)) with { Accept = AwayFrom(0, 0) },
        U("leaky_relu_0p01", "leaky_relu", "leaky_relu(a[3,4], negative_slope), negative_slope = 0.01, |a| >= 1e-3",
            a => F.leaky_relu(a, 0.01)) with { Attributes = A(("negative_slope", 0.01)), Accept = AwayFrom(0, 0) },
        U("leaky_relu_0p2", "leaky_relu", "leaky_relu(a[3,4], negative_slope), negative_slope = 0.2, |a| >= 1e-3",
            a => F.leaky_relu(a, 0.2)) with { Attributes = A(("negative_slope", 0.2)), Accept = AwayFrom(0, 0) },
        U("elu_alpha1", "elu", "elu(a[3,4], alpha), alpha = 1.0",
            a => F.elu(a, 1.0)) with { Attributes = A(("alpha", 1.0)) },
        U("elu_alpha0p5", "elu", "elu(a[3,4], alpha), alpha = 0.5, |a| >= 1e-3 (the derivative jumps at 0)",
            a => F.elu(a, 0.5)) with { Attributes = A(("alpha", 0.5)), Accept = AwayFrom(0, 0) },
        U("softplus", "softplus", "softplus(a[3,4], beta, threshold), beta = 1, threshold = 20 (linear above it)",
            a => F.softplus(a, 1.0, 20.0)) with { Attributes = A(("beta", 1.0), ("threshold", 20.0)) },
        U("gelu", "gelu", "gelu(a[3,4]), exact form a * Phi(a) = a/2 * (1 + erf(a / sqrt 2))",
            a => F.gelu(a)) with { Attributes = A(("approximate", "none")) },
        U("silu", "silu", "silu(a[3,4]) = a * sigmoid(a)", a => F.silu(a)),
        U("reciprocal", "reciprocal", "1 / a[3,4], |a| in [0.5, 2]", a => a.reciprocal(), In.Denominator(3, 4)),
    ];
}
