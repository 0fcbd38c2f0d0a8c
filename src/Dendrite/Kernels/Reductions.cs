namespace Dendrite.Kernels;

/// <summary>
/// Reductions along one axis of a contiguous tensor seen as [outer, axis, inner]. With inner = 1 each
/// output is the reduction of one contiguous row; otherwise whole [inner]-long rows are combined with
/// SIMD so the lanes run across inner.
/// </summary>
public static class Reductions
{
    /// <summary>result[o, i] = Σ_a x[o, a, i].</summary>
    public static void Sum(ReadOnlySpan<float> x, Span<float> result, int outer, int axis, int inner)
    {
        Check(x.Length, result.Length, outer, axis, inner);
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) result[o] = TensorPrimitives.Sum(x.Slice(o * axis, axis));
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            var output = result.Slice(o * inner, inner);
            var block = x.Slice(o * axis * inner, axis * inner);
            if (axis == 0) { output.Clear(); continue; }
            block[..inner].CopyTo(output);
            for (int a = 1; a < axis; a++) TensorPrimitives.Add(output, block.Slice(a * inner, inner), output);
        }
    }

    /// <summary>
    /// result[o, i] = max_a x[o, a, i] and, when <paramref name="indices"/> is not empty, the first
    /// index a where it occurs. NaN counts as the maximum, as in PyTorch.
    /// </summary>
    public static void Max(ReadOnlySpan<float> x, Span<float> result, Span<int> indices, int outer, int axis, int inner) =>
        Extreme(x, result, indices, outer, axis, inner, maximum: true);

    /// <summary>result[o, i] = min_a x[o, a, i] and optionally its first index; NaN counts as the minimum.</summary>
    public static void Min(ReadOnlySpan<float> x, Span<float> result, Span<int> indices, int outer, int axis, int inner) =>
        Extreme(x, result, indices, outer, axis, inner, maximum: false);

    private static void Extreme(ReadOnlySpan<float> x, Span<float> result, Span<int> indices, int outer, int axis, int inner, bool maximum)
    {
        Check(x.Length, result.Length, outer, axis, inner);
        if (axis == 0)
            throw new ArgumentException("Max/Min kernel: cannot reduce an axis of size 0 (there is no element to return).");
        bool wantIndices = !indices.IsEmpty;
        if (inner == 1 && !wantIndices)
        {
            for (int o = 0; o < outer; o++)
            {
                var row = x.Slice(o * axis, axis);
                result[o] = maximum ? TensorPrimitives.Max(row) : TensorPrimitives.Min(row);
            }
            return;
        }
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * axis * inner + i;
                float best = x[start];
                int bestIndex = 0;
                for (int a = 1; a < axis && !float.IsNaN(best); a++)
                {
                    float v = x[start + a * inner];
                    if (float.IsNaN(v) || (maximum ? v > best : v < best))
                    {
                        best = v;
                        bestIndex = a;
                    }
                }
                result[o * inner + i] = best;
                if (wantIndices) indices[o * inner + i] = bestIndex;
            }
    }

    private static void Check(int input, int output, int outer, int axis, int inner)
    {
        if (input != (long)outer * axis * inner || output != (long)outer * inner)
            throw new ArgumentException($"Reduction kernel: input has {input} and result {output} elements; [outer={outer}, axis={axis}, inner={inner}] needs {(long)outer * axis * inner} and {(long)outer * inner}.");
    }

    /// <summary>The plain twins, accumulated in double, for tests.</summary>
    public static class Reference
    {
        /// <summary>Σ over the axis by a plain loop.</summary>
        public static void Sum(ReadOnlySpan<float> x, Span<float> result, int outer, int axis, int inner)
        {
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    double sum = 0;
                    for (int a = 0; a < axis; a++) sum += x[(o * axis + a) * inner + i];
                    result[o * inner + i] = (float)sum;
                }
        }
    }
}
