using Dendrite.Kernels;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// Activation functions as the literature defines them, forward beside backward (the operator
// structs in Kernels/ElementwiseOperators.cs hold the formulas and their scalar twins):
//   sigmoid σ(z) = 1/(1+e^−z)            dσ = σ(1−σ)
//   tanh                                 d tanh = 1 − tanh²
//   LeCun tanh 1.7159·tanh(2z/3)         d = 1.7159·(2/3)·(1 − (y/1.7159)²)
//   ReLU max(0, z)                       d = 1 for z > 0, else 0 (0 at 0)
//   leaky ReLU z or αz                   d = 1 or α
//   ELU z or α(e^z − 1)                  d = 1 or α·e^z
//   softplus ln(1 + e^z)                 d = σ(z)
//   GELU z·Φ(z)                          d = Φ(z) + z·φ(z)
//   SiLU z·σ(z)                          d = σ(z)(1 + z(1 − σ(z)))
// Softmax, which works along an axis, is in Reduction/Softmax.cs.

public static partial class TensorOps
{
    extension(Tensor z)
    {
        /// <summary>The logistic sigmoid 1/(1 + e^−z), element-wise.</summary>
        public Tensor Sigmoid() => Unary(z, new SigmoidFunction(), new SigmoidGradOperator(), "Sigmoid", savesOutput: true);

        /// <summary>Hyperbolic tangent, element-wise.</summary>
        public Tensor Tanh() => Unary(z, new TanhFunction(), new TanhGradOperator(), "Tanh", savesOutput: true);

        /// <summary>LeCun's scaled tanh, 1.7159·tanh(2z/3) (f(±1) = ±1, maximal second derivative at ±1).</summary>
        public Tensor LecunTanh() => Unary(z, new LecunTanhFunction(), new LecunTanhGradOperator(), "LecunTanh", savesOutput: true);

        /// <summary>Rectified linear unit max(0, z).</summary>
        public Tensor Relu() => Unary(z, new Mapped<ReluOperator>(default), new ReluGradOperator(), "Relu", savesOutput: false);

        /// <summary>Leaky ReLU: z for z &gt; 0, else <paramref name="negativeSlope"/>·z (PyTorch's default slope 0.01).</summary>
        public Tensor LeakyRelu(float negativeSlope = 0.01f) =>
            Unary(z, new Mapped<LeakyReluOperator>(new LeakyReluOperator(negativeSlope)), new LeakyReluGradOperator(negativeSlope), "LeakyRelu", savesOutput: false);

        /// <summary>Exponential linear unit: z for z &gt; 0, else <paramref name="alpha"/>·(e^z − 1).</summary>
        public Tensor Elu(float alpha = 1f) =>
            Unary(z, new Mapped<EluOperator>(new EluOperator(alpha)), new EluGradOperator(alpha), "Elu", savesOutput: false);

        /// <summary>Softplus ln(1 + e^z), a smooth ReLU, computed without overflow.</summary>
        public Tensor Softplus() => Unary(z, new Mapped<SoftplusOperator>(default), new SoftplusGradOperator(), "Softplus", savesOutput: false);

        /// <summary>Gaussian error linear unit, exact form z·Φ(z).</summary>
        public Tensor Gelu() => Unary(z, new Mapped<GeluOperator>(default), new GeluGradOperator(), "Gelu", savesOutput: false);

        /// <summary>Sigmoid linear unit (swish) z·σ(z).</summary>
        public Tensor Silu() => Unary(z, new Mapped<SiluOperator>(default), new SiluGradOperator(), "Silu", savesOutput: false);

        /// <summary>The identity activation: returns <paramref name="z"/> itself (no copy, no graph node).</summary>
        public Tensor Identity() => z;
    }

    private readonly struct SigmoidFunction : ISpanFunction
    {
        public void Invoke(ReadOnlySpan<float> x, Span<float> y) => Elementwise.Map(new SigmoidOperator(), x, y);
    }

    private readonly struct TanhFunction : ISpanFunction
    {
        public void Invoke(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Tanh(x, y);
    }

    private readonly struct LecunTanhFunction : ISpanFunction
    {
        public void Invoke(ReadOnlySpan<float> x, Span<float> y)
        {
            TensorPrimitives.Multiply(x, LecunTanhGradOperator.Slope, y);
            TensorPrimitives.Tanh(y, y);
            TensorPrimitives.Multiply(y, LecunTanhGradOperator.Amplitude, y);
        }
    }
}
