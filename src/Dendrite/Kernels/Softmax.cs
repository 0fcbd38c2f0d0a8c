using System.Buffers;

namespace Dendrite.Kernels;

/// <summary>
/// Numerically stable softmax, log-softmax and log-sum-exp along one axis of a contiguous tensor
/// seen as [outer, axis, inner]: the maximum is subtracted before exponentiating, so no input
/// overflows. When inner = 1 the axis is the last one and each row is one span; otherwise the
/// kernels sweep whole [inner]-long rows at a time so the SIMD lanes run across inner.
/// </summary>
public static class Softmax
{
    /// <summary>y = exp(x − max) / Σ exp(x − max) along the axis.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner)
    {
        Check(x.Length, y.Length, outer, axis, inner);
        if (axis == 0) return;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                var row = x.Slice(o * axis, axis);
                var output = y.Slice(o * axis, axis);
                float max = TensorPrimitives.Max(row);
                TensorPrimitives.Subtract(row, max, output);
                TensorPrimitives.Exp(output, output);
                float sum = TensorPrimitives.Sum(output);
                TensorPrimitives.Multiply(output, 1f / sum, output);
            }
            return;
        }
        float[] scratch = ArrayPool<float>.Shared.Rent(inner * 2);
        Span<float> max2 = scratch.AsSpan(0, inner), sum2 = scratch.AsSpan(inner, inner);
        for (int o = 0; o < outer; o++)
        {
            var block = x.Slice(o * axis * inner, axis * inner);
            var output = y.Slice(o * axis * inner, axis * inner);
            ColumnMax(block, axis, inner, max2);
            sum2.Clear();
            for (int a = 0; a < axis; a++)
            {
                var row = output.Slice(a * inner, inner);
                TensorPrimitives.Subtract(block.Slice(a * inner, inner), max2, row);
                TensorPrimitives.Exp(row, row);
                TensorPrimitives.Add(sum2, row, sum2);
            }
            TensorPrimitives.Reciprocal(sum2, sum2);
            for (int a = 0; a < axis; a++)
            {
                var row = output.Slice(a * inner, inner);
                TensorPrimitives.Multiply(row, sum2, row);
            }
        }
        ArrayPool<float>.Shared.Return(scratch);
    }

    /// <summary>y = x − max − ln Σ exp(x − max) along the axis (log-softmax).</summary>
    public static void LogForward(ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner)
    {
        Check(x.Length, y.Length, outer, axis, inner);
        if (axis == 0) return;
        if (inner == 1)
        {
            // One span per row: a single subtraction pass, not one call per element.
            Span<float> rowLse = stackalloc float[1];
            for (int o = 0; o < outer; o++)
            {
                var row = x.Slice(o * axis, axis);
                LogSumExpBlock(row, axis, 1, rowLse);
                TensorPrimitives.Subtract(row, rowLse[0], y.Slice(o * axis, axis));
            }
            return;
        }
        float[] rented = ArrayPool<float>.Shared.Rent(inner);
        Span<float> lse = rented.AsSpan(0, inner);
        for (int o = 0; o < outer; o++)
        {
            var block = x.Slice(o * axis * inner, axis * inner);
            var output = y.Slice(o * axis * inner, axis * inner);
            LogSumExpBlock(block, axis, inner, lse);
            for (int a = 0; a < axis; a++)
                TensorPrimitives.Subtract(block.Slice(a * inner, inner), lse, output.Slice(a * inner, inner));
        }
        ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>result[o, i] = ln Σ_a exp(x[o, a, i]), computed as max + ln Σ exp(x − max).</summary>
    public static void LogSumExp(ReadOnlySpan<float> x, Span<float> result, int outer, int axis, int inner)
    {
        if (x.Length != outer * axis * inner || result.Length != outer * inner)
            throw new ArgumentException($"LogSumExp kernel: input has {x.Length} elements and result {result.Length}; [outer={outer}, axis={axis}, inner={inner}] needs {outer * axis * inner} and {outer * inner}.");
        for (int o = 0; o < outer; o++)
            LogSumExpBlock(x.Slice(o * axis * inner, axis * inner), axis, inner, result.Slice(o * inner, inner));
    }

    /// <summary>One [axis, inner] block: lse[i] = ln Σ_a exp(block[a, i]).</summary>
    private static void LogSumExpBlock(ReadOnlySpan<float> block, int axis, int inner, Span<float> lse)
    {
        if (axis == 0)
        {
            lse.Fill(float.NegativeInfinity);
            return;
        }
        if (inner == 1)
        {
            float max = TensorPrimitives.Max(block);
            if (float.IsNegativeInfinity(max)) { lse[0] = max; return; }
            float sum = 0f;
            for (int a = 0; a < axis; a++) sum += MathF.Exp(block[a] - max);
            lse[0] = max + MathF.Log(sum);
            return;
        }
        float[] scratch = ArrayPool<float>.Shared.Rent(inner * 2);
        Span<float> max2 = scratch.AsSpan(0, inner), term = scratch.AsSpan(inner, inner);
        ColumnMax(block, axis, inner, max2);
        lse.Clear();
        for (int a = 0; a < axis; a++)
        {
            TensorPrimitives.Subtract(block.Slice(a * inner, inner), max2, term);
            TensorPrimitives.Exp(term, term);
            TensorPrimitives.Add(lse, term, lse);
        }
        TensorPrimitives.Log(lse, lse);
        TensorPrimitives.Add(lse, max2, lse);
        ArrayPool<float>.Shared.Return(scratch);
    }

    /// <summary>Softmax backward from the output y: dx = y·(dy − Σ_axis dy·y).</summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int outer, int axis, int inner)
    {
        Check(y.Length, dx.Length, outer, axis, inner);
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                var yr = y.Slice(o * axis, axis);
                var dyr = dy.Slice(o * axis, axis);
                var dxr = dx.Slice(o * axis, axis);
                float dot = TensorPrimitives.Dot(yr, dyr);
                TensorPrimitives.Subtract(dyr, dot, dxr);
                TensorPrimitives.Multiply(dxr, yr, dxr);
            }
            return;
        }
        float[] rented = ArrayPool<float>.Shared.Rent(inner);
        Span<float> dots = rented.AsSpan(0, inner);
        for (int o = 0; o < outer; o++)
        {
            int start = o * axis * inner;
            dots.Clear();
            for (int a = 0; a < axis; a++)
                TensorPrimitives.MultiplyAdd(y.Slice(start + a * inner, inner), dy.Slice(start + a * inner, inner), dots, dots);
            for (int a = 0; a < axis; a++)
            {
                var dxr = dx.Slice(start + a * inner, inner);
                TensorPrimitives.Subtract(dy.Slice(start + a * inner, inner), dots, dxr);
                TensorPrimitives.Multiply(dxr, y.Slice(start + a * inner, inner), dxr);
            }
        }
        ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>Log-softmax backward from the output y: dx = dy − exp(y)·Σ_axis dy.</summary>
    public static void LogBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int outer, int axis, int inner)
    {
        Check(y.Length, dx.Length, outer, axis, inner);
        float[] rented = ArrayPool<float>.Shared.Rent(inner);
        Span<float> sums = rented.AsSpan(0, inner);
        for (int o = 0; o < outer; o++)
        {
            int start = o * axis * inner;
            sums.Clear();
            for (int a = 0; a < axis; a++)
                TensorPrimitives.Add(sums, dy.Slice(start + a * inner, inner), sums);
            for (int a = 0; a < axis; a++)
            {
                var dxr = dx.Slice(start + a * inner, inner);
                TensorPrimitives.Exp(y.Slice(start + a * inner, inner), dxr);
                TensorPrimitives.Multiply(dxr, sums, dxr);
                TensorPrimitives.Subtract(dy.Slice(start + a * inner, inner), dxr, dxr);
            }
        }
        ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>max2[i] = max over a of block[a, i].</summary>
    private static void ColumnMax(ReadOnlySpan<float> block, int axis, int inner, Span<float> max2)
    {
        block[..inner].CopyTo(max2);
        for (int a = 1; a < axis; a++) TensorPrimitives.Max(max2, block.Slice(a * inner, inner), max2);
    }

    private static void Check(int input, int output, int outer, int axis, int inner)
    {
        long expected = (long)outer * axis * inner;
        if (input != expected || output != expected)
            throw new ArgumentException($"Softmax kernel: input has {input} and output {output} elements; [outer={outer}, axis={axis}, inner={inner}] needs {expected}.");
    }

    /// <summary>The plain twins: double-precision loops over the same [outer, axis, inner] layout, for tests.</summary>
    public static class Reference
    {
        /// <summary>Softmax along the axis, accumulated in double.</summary>
        public static void Forward(ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner) => Apply(x, y, outer, axis, inner, log: false);

        /// <summary>Log-softmax along the axis, accumulated in double.</summary>
        public static void LogForward(ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner) => Apply(x, y, outer, axis, inner, log: true);

        private static void Apply(ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner, bool log)
        {
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    double max = double.NegativeInfinity;
                    for (int a = 0; a < axis; a++) max = Math.Max(max, x[(o * axis + a) * inner + i]);
                    double sum = 0;
                    for (int a = 0; a < axis; a++) sum += Math.Exp(x[(o * axis + a) * inner + i] - max);
                    for (int a = 0; a < axis; a++)
                    {
                        double v = x[(o * axis + a) * inner + i] - max;
                        y[(o * axis + a) * inner + i] = (float)(log ? v - Math.Log(sum) : Math.Exp(v) / sum);
                    }
                }
        }
    }
}
