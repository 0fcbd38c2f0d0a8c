namespace Dendrite.Kernels;

/// <summary>
/// The plain twin of <see cref="LinearEpilogue"/>: the same contract in scalar loops, kept as the
/// specification that the fast kernel's tests compare against (bit for bit).
/// </summary>
public static class LinearEpilogueReference
{
    /// <summary>c[i, j] = f(c[i, j] + bias[j]), f = ReLU when <paramref name="relu"/>; an empty bias adds nothing.</summary>
    public static void Apply(int rows, int columns, Span<float> c, int ldc, ReadOnlySpan<float> bias, bool relu)
    {
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                float v = c[i * ldc + j];
                if (!bias.IsEmpty) v += bias[j];
                if (relu) v = v > 0f ? v : 0f;
                c[i * ldc + j] = v;
            }
        }
    }

    /// <summary>dz = dy where y &gt; 0, else 0; db (+)= column sums of dz in row order (none when db is empty).</summary>
    public static void ReluBackward(int rows, int columns, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient,
        Span<float> inputGradient, Span<float> biasGradient, bool accumulateBias)
    {
        if (!biasGradient.IsEmpty && !accumulateBias) biasGradient[..columns].Clear();
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                float g = output[i * columns + j] > 0f ? outputGradient[i * columns + j] : 0f;
                inputGradient[i * columns + j] = g;
                if (!biasGradient.IsEmpty) biasGradient[j] += g;
            }
        }
    }
}
