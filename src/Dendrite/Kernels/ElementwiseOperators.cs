using System.Runtime.Intrinsics;

namespace Dendrite.Kernels;

// Operator structs for the element-wise driver. Each pairs a scalar form (the specification) with
// Vector512 and Vector256 forms computing the same formula. Derivative operators take
// (forward input or output, upstream gradient) and return the input gradient.

/// <summary>x + y.</summary>
public readonly struct AddOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x, float y) => x + y;
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x + y;
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x + y;
}

/// <summary>x − y.</summary>
public readonly struct SubtractOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x, float y) => x - y;
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x - y;
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x - y;
}

/// <summary>x · y.</summary>
public readonly struct MultiplyOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x, float y) => x * y;
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x * y;
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x * y;
}

/// <summary>x / y.</summary>
public readonly struct DivideOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x, float y) => x / y;
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x / y;
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x / y;
}

/// <summary>max(x, y); NaN in either gives NaN, as in PyTorch.</summary>
public readonly struct MaximumOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x, float y) => MathF.Max(x, y);
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.Max(x, y);
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.Max(x, y);
}

/// <summary>min(x, y); NaN in either gives NaN, as in PyTorch.</summary>
public readonly struct MinimumOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x, float y) => MathF.Min(x, y);
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.Min(x, y);
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.Min(x, y);
}

/// <summary>1 where x &gt; y, else 0.</summary>
public readonly struct GreaterOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x, float y) => x > y ? 1f : 0f;
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.GreaterThan(x, y) & Vector512<float>.One;
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.GreaterThan(x, y) & Vector256<float>.One;
}

/// <summary>1 where x ≥ y, else 0.</summary>
public readonly struct GreaterOrEqualOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x, float y) => x >= y ? 1f : 0f;
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.GreaterThanOrEqual(x, y) & Vector512<float>.One;
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.GreaterThanOrEqual(x, y) & Vector256<float>.One;
}

/// <summary>1 where x = y, else 0.</summary>
public readonly struct EqualOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x, float y) => x == y ? 1f : 0f;
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.Equals(x, y) & Vector512<float>.One;
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.Equals(x, y) & Vector256<float>.One;
}

/// <summary>ReLU: max(0, x).</summary>
public readonly struct ReluOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x) => x > 0f ? x : 0f;
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, Vector512<float>.Zero);
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, Vector256<float>.Zero);
}

/// <summary>ReLU derivative: dx = dy where x &gt; 0, else 0 (0 at x = 0, as in PyTorch).</summary>
public readonly struct ReluGradOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x, float dy) => x > 0f ? dy : 0f;
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), dy, Vector512<float>.Zero);
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), dy, Vector256<float>.Zero);
}

/// <summary>Leaky ReLU: x for x &gt; 0, else α·x.</summary>
public readonly struct LeakyReluOperator(float alpha) : IUnaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x) => x > 0f ? x : alpha * x;
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, x * alpha);
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, x * alpha);
}

/// <summary>Leaky ReLU derivative: dx = dy for x &gt; 0, else α·dy.</summary>
public readonly struct LeakyReluGradOperator(float alpha) : IBinaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x, float dy) => x > 0f ? dy : alpha * dy;
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), dy, dy * alpha);
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), dy, dy * alpha);
}

/// <summary>ELU: x for x &gt; 0, else α(eˣ − 1).</summary>
public readonly struct EluOperator(float alpha) : IUnaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x) => x > 0f ? x : alpha * (MathF.Exp(x) - 1f);
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, (Vector512.Exp(Vector512.Min(x, Vector512<float>.Zero)) - Vector512<float>.One) * alpha);
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, (Vector256.Exp(Vector256.Min(x, Vector256<float>.Zero)) - Vector256<float>.One) * alpha);
}

/// <summary>ELU derivative: dx = dy for x &gt; 0, else dy·α·eˣ.</summary>
public readonly struct EluGradOperator(float alpha) : IBinaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x, float dy) => x > 0f ? dy : dy * alpha * MathF.Exp(x);
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), dy, dy * Vector512.Exp(Vector512.Min(x, Vector512<float>.Zero)) * alpha);
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), dy, dy * Vector256.Exp(Vector256.Min(x, Vector256<float>.Zero)) * alpha);
}

/// <summary>
/// Softplus: ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^−|x|) so that it neither overflows for
/// large x nor loses the tail for very negative x (where ln(1 + t) ≈ t).
/// </summary>
public readonly struct SoftplusOperator : IUnaryOperator
{
    private const float SmallTail = 1e-4f;

    /// <inheritdoc/>
    public float Invoke(float x)
    {
        float t = MathF.Exp(-MathF.Abs(x));
        float tail = t < SmallTail ? t * (1f - 0.5f * t) : MathF.Log(1f + t);
        return MathF.Max(x, 0f) + tail;
    }
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x)
    {
        var t = Vector512.Exp(-Vector512.Abs(x));
        var tail = Vector512.ConditionalSelect(Vector512.LessThan(t, Vector512.Create(SmallTail)), t * (Vector512<float>.One - t * 0.5f), Vector512.Log(Vector512<float>.One + t));
        return Vector512.Max(x, Vector512<float>.Zero) + tail;
    }
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x)
    {
        var t = Vector256.Exp(-Vector256.Abs(x));
        var tail = Vector256.ConditionalSelect(Vector256.LessThan(t, Vector256.Create(SmallTail)), t * (Vector256<float>.One - t * 0.5f), Vector256.Log(Vector256<float>.One + t));
        return Vector256.Max(x, Vector256<float>.Zero) + tail;
    }
}

/// <summary>Sigmoid σ(x) = 1 / (1 + e^−x); stable for all x (e^−x overflowing to ∞ gives exactly 0).</summary>
public readonly struct SigmoidOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x) => 1f / (1f + MathF.Exp(-x));
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x));
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));
}

/// <summary>Softplus derivative: dx = dy·σ(x).</summary>
public readonly struct SoftplusGradOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x, float dy) => dy * default(SigmoidOperator).Invoke(x);
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) => dy * default(SigmoidOperator).Invoke(x);
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) => dy * default(SigmoidOperator).Invoke(x);
}

/// <summary>Sigmoid derivative from the output: dx = dy·y·(1 − y).</summary>
public readonly struct SigmoidGradOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float y, float dy) => dy * y * (1f - y);
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * y * (Vector512<float>.One - y);
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * y * (Vector256<float>.One - y);
}

/// <summary>tanh derivative from the output: dx = dy·(1 − y²).</summary>
public readonly struct TanhGradOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float y, float dy) => dy * (1f - y * y);
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * (Vector512<float>.One - y * y);
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * (Vector256<float>.One - y * y);
}

/// <summary>
/// Derivative of LeCun's tanh y = A·tanh(B·x) (A = 1.7159, B = 2/3) from the output:
/// dx = dy·A·B·(1 − (y/A)²).
/// </summary>
public readonly struct LecunTanhGradOperator : IBinaryOperator
{
    /// <summary>The amplitude A = 1.7159 (so that f(±1) = ±1).</summary>
    public const float Amplitude = 1.7159f;
    /// <summary>The slope B = 2/3.</summary>
    public const float Slope = 2f / 3f;
    private const float InverseAmplitude = 1f / Amplitude;

    /// <inheritdoc/>
    public float Invoke(float y, float dy)
    {
        float t = y * InverseAmplitude;
        return dy * (Amplitude * Slope) * (1f - t * t);
    }
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy)
    {
        var t = y * InverseAmplitude;
        return dy * (Amplitude * Slope) * (Vector512<float>.One - t * t);
    }
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy)
    {
        var t = y * InverseAmplitude;
        return dy * (Amplitude * Slope) * (Vector256<float>.One - t * t);
    }
}

/// <summary>SiLU (swish): x·σ(x).</summary>
public readonly struct SiluOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x) => x * default(SigmoidOperator).Invoke(x);
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x) => x * default(SigmoidOperator).Invoke(x);
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x) => x * default(SigmoidOperator).Invoke(x);
}

/// <summary>SiLU derivative: dx = dy·σ(x)·(1 + x·(1 − σ(x))).</summary>
public readonly struct SiluGradOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public float Invoke(float x, float dy)
    {
        float s = default(SigmoidOperator).Invoke(x);
        return dy * s * (1f + x * (1f - s));
    }
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy)
    {
        var s = default(SigmoidOperator).Invoke(x);
        return dy * s * (Vector512<float>.One + x * (Vector512<float>.One - s));
    }
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy)
    {
        var s = default(SigmoidOperator).Invoke(x);
        return dy * s * (Vector256<float>.One + x * (Vector256<float>.One - s));
    }
}

/// <summary>
/// The error function, by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7, under float32
/// resolution near 1): erf(x) = sign(x)·(1 − (a1·t + … + a5·t⁵)·e^−x²), t = 1/(1 + p·|x|).
/// </summary>
public readonly struct ErfOperator : IUnaryOperator
{
    private const float P = 0.3275911f;
    private const float A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;

    /// <inheritdoc/>
    public float Invoke(float x)
    {
        float a = MathF.Abs(x);
        float t = 1f / (1f + P * a);
        float poly = ((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t;
        float y = 1f - poly * MathF.Exp(-a * a);
        return MathF.CopySign(y, x);
    }
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x)
    {
        var a = Vector512.Abs(x);
        var t = Vector512<float>.One / (Vector512<float>.One + a * P);
        var poly = ((((t * A5 + Vector512.Create(A4)) * t + Vector512.Create(A3)) * t + Vector512.Create(A2)) * t + Vector512.Create(A1)) * t;
        var y = Vector512<float>.One - poly * Vector512.Exp(-(a * a));
        return Vector512.CopySign(y, x);
    }
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x)
    {
        var a = Vector256.Abs(x);
        var t = Vector256<float>.One / (Vector256<float>.One + a * P);
        var poly = ((((t * A5 + Vector256.Create(A4)) * t + Vector256.Create(A3)) * t + Vector256.Create(A2)) * t + Vector256.Create(A1)) * t;
        var y = Vector256<float>.One - poly * Vector256.Exp(-(a * a));
        return Vector256.CopySign(y, x);
    }
}

/// <summary>GELU, exact form: x·Φ(x) = ½·x·(1 + erf(x/√2)).</summary>
public readonly struct GeluOperator : IUnaryOperator
{
    private const float InverseSqrt2 = 0.70710678f;

    /// <inheritdoc/>
    public float Invoke(float x) => 0.5f * x * (1f + default(ErfOperator).Invoke(x * InverseSqrt2));
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x) => x * 0.5f * (Vector512<float>.One + default(ErfOperator).Invoke(x * InverseSqrt2));
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x) => x * 0.5f * (Vector256<float>.One + default(ErfOperator).Invoke(x * InverseSqrt2));
}

/// <summary>GELU derivative: dx = dy·(Φ(x) + x·φ(x)), φ the standard normal density.</summary>
public readonly struct GeluGradOperator : IBinaryOperator
{
    private const float InverseSqrt2 = 0.70710678f;
    private const float InverseSqrt2Pi = 0.39894228f;

    /// <inheritdoc/>
    public float Invoke(float x, float dy)
    {
        float cdf = 0.5f * (1f + default(ErfOperator).Invoke(x * InverseSqrt2));
        float pdf = InverseSqrt2Pi * MathF.Exp(-0.5f * x * x);
        return dy * (cdf + x * pdf);
    }
    /// <inheritdoc/>
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy)
    {
        var cdf = (Vector512<float>.One + default(ErfOperator).Invoke(x * InverseSqrt2)) * 0.5f;
        var pdf = Vector512.Exp(x * x * -0.5f) * InverseSqrt2Pi;
        return dy * (cdf + x * pdf);
    }
    /// <inheritdoc/>
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy)
    {
        var cdf = (Vector256<float>.One + default(ErfOperator).Invoke(x * InverseSqrt2)) * 0.5f;
        var pdf = Vector256.Exp(x * x * -0.5f) * InverseSqrt2Pi;
        return dy * (cdf + x * pdf);
    }
}
