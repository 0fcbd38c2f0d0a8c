using Dendrite.Tensors;

namespace Dendrite.Optim;

/// <summary>
/// Gradient clipping on the gradients held by tensors, in place, between <c>Backward()</c> and the
/// optimiser's step (PyTorch's <c>clip_grad_norm_</c> and <c>clip_grad_value_</c>). The same
/// clipping is available as options of every first-order optimiser
/// (<see cref="FirstOrderOptimizer.ClipNorm"/>, <see cref="FirstOrderOptimizer.ClipValue"/>).
/// </summary>
public static class GradientClipping
{
    /// <summary>
    /// Rescales all gradients together so that their global L2 norm is at most
    /// <paramref name="maxNorm"/>; returns the norm before clipping. Tensors without a gradient are skipped.
    /// </summary>
    /// <remarks>‖g‖ = √(Σ over all tensors and elements of g²); every g ← g · min(1, maxNorm / (‖g‖ + 10⁻⁶)),
    /// as torch does (the 10⁻⁶ keeps the division finite).</remarks>
    public static float ClipByNorm(IEnumerable<Tensor> tensors, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (!(maxNorm > 0f) || !float.IsFinite(maxNorm))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, $"GradientClipping.ClipByNorm: maxNorm must be finite and positive; got {maxNorm}.");
        double sumOfSquares = 0;
        foreach (Tensor t in tensors)
        {
            if (t.Grad is Tensor grad) sumOfSquares += SumOfSquares(grad.Data);
        }
        float norm = (float)Math.Sqrt(sumOfSquares);
        float scale = ClipScale(norm, maxNorm);
        if (scale < 1f)
        {
            foreach (Tensor t in tensors)
            {
                if (t.Grad is Tensor grad) TensorPrimitives.Multiply(grad.Data, scale, grad.Data);
            }
        }
        return norm;
    }

    /// <summary>Clamps every gradient element into [−<paramref name="clipValue"/>, <paramref name="clipValue"/>].</summary>
    public static void ClipByValue(IEnumerable<Tensor> tensors, float clipValue)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (!(clipValue > 0f) || !float.IsFinite(clipValue))
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, $"GradientClipping.ClipByValue: clipValue must be finite and positive; got {clipValue}.");
        foreach (Tensor t in tensors)
        {
            if (t.Grad is Tensor grad) TensorPrimitives.Clamp(grad.Data, -clipValue, clipValue, grad.Data);
        }
    }

    /// <summary>The global L2 norm of the gradients (tensors without one are skipped).</summary>
    public static float GlobalNorm(IEnumerable<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        double sumOfSquares = 0;
        foreach (Tensor t in tensors)
        {
            if (t.Grad is Tensor grad) sumOfSquares += SumOfSquares(grad.Data);
        }
        return (float)Math.Sqrt(sumOfSquares);
    }

    /// <summary>min(1, maxNorm / (norm + 10⁻⁶)).</summary>
    internal static float ClipScale(float norm, float maxNorm) => Math.Min(1f, (float)(maxNorm / (norm + 1e-6)));

    /// <summary>Σx², accumulated in double so that large models lose no precision.</summary>
    internal static double SumOfSquares(ReadOnlySpan<float> values)
    {
        // TensorPrimitives sums in float; blocks of 4096 keep that error small and the total in double.
        double total = 0;
        for (int start = 0; start < values.Length; start += 4096)
            total += TensorPrimitives.SumOfSquares(values.Slice(start, Math.Min(4096, values.Length - start)));
        return total;
    }
}
