using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dendrite.Kernels;

/// <summary>An element-wise function of one float: a scalar form (the specification) and SIMD forms identical to it up to rounding.</summary>
public interface IUnaryOperator
{
    /// <summary>The function on one value: the plain twin that tests compare the vector forms with.</summary>
    float Invoke(float x);

    /// <summary>The function on 16 lanes.</summary>
    Vector512<float> Invoke(Vector512<float> x);

    /// <summary>The function on 8 lanes.</summary>
    Vector256<float> Invoke(Vector256<float> x);
}

/// <summary>An element-wise function of two floats (an operation, or a derivative taking the forward value and the upstream gradient).</summary>
public interface IBinaryOperator
{
    /// <summary>The function on one pair: the plain twin that tests compare the vector forms with.</summary>
    float Invoke(float x, float y);

    /// <summary>The function on 16 lanes.</summary>
    Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);

    /// <summary>The function on 8 lanes.</summary>
    Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);
}

/// <summary>
/// The one SIMD driver behind every element-wise kernel: full Vector512 blocks (or Vector256 where
/// AVX-512 is absent), then the tail one value at a time through the operator's scalar form.
/// Operators are structs, so each call is specialised and inlined by the JIT.
/// </summary>
public static class Elementwise
{
    /// <summary>destination[i] = op(x[i]). <paramref name="destination"/> may be <paramref name="x"/>.</summary>
    public static void Map<TOperator>(TOperator op, ReadOnlySpan<float> x, Span<float> destination)
        where TOperator : struct, IUnaryOperator
    {
        int n = CheckLengths(x.Length, destination.Length);
        ref float xRef = ref MemoryMarshal.GetReference(x);
        ref float dRef = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                op.Invoke(Vector512.LoadUnsafe(ref xRef, (nuint)i)).StoreUnsafe(ref dRef, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                op.Invoke(Vector256.LoadUnsafe(ref xRef, (nuint)i)).StoreUnsafe(ref dRef, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref dRef, i) = op.Invoke(Unsafe.Add(ref xRef, i));
    }

    /// <summary>destination[i] = op(x[i], y[i]). <paramref name="destination"/> may alias an input.</summary>
    public static void Map<TOperator>(TOperator op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination)
        where TOperator : struct, IBinaryOperator
    {
        int n = CheckLengths(x.Length, destination.Length);
        CheckLengths(y.Length, destination.Length);
        ref float xRef = ref MemoryMarshal.GetReference(x);
        ref float yRef = ref MemoryMarshal.GetReference(y);
        ref float dRef = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                op.Invoke(Vector512.LoadUnsafe(ref xRef, (nuint)i), Vector512.LoadUnsafe(ref yRef, (nuint)i)).StoreUnsafe(ref dRef, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                op.Invoke(Vector256.LoadUnsafe(ref xRef, (nuint)i), Vector256.LoadUnsafe(ref yRef, (nuint)i)).StoreUnsafe(ref dRef, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref dRef, i) = op.Invoke(Unsafe.Add(ref xRef, i), Unsafe.Add(ref yRef, i));
    }

    /// <summary>destination[i] = op(x[i], y) with a scalar second operand.</summary>
    public static void Map<TOperator>(TOperator op, ReadOnlySpan<float> x, float y, Span<float> destination)
        where TOperator : struct, IBinaryOperator
    {
        int n = CheckLengths(x.Length, destination.Length);
        ref float xRef = ref MemoryMarshal.GetReference(x);
        ref float dRef = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var yv = Vector512.Create(y);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                op.Invoke(Vector512.LoadUnsafe(ref xRef, (nuint)i), yv).StoreUnsafe(ref dRef, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var yv = Vector256.Create(y);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                op.Invoke(Vector256.LoadUnsafe(ref xRef, (nuint)i), yv).StoreUnsafe(ref dRef, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref dRef, i) = op.Invoke(Unsafe.Add(ref xRef, i), y);
    }

    /// <summary>destination[i] = op(x, y[i]) with a scalar first operand.</summary>
    public static void Map<TOperator>(TOperator op, float x, ReadOnlySpan<float> y, Span<float> destination)
        where TOperator : struct, IBinaryOperator
    {
        int n = CheckLengths(y.Length, destination.Length);
        ref float yRef = ref MemoryMarshal.GetReference(y);
        ref float dRef = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var xv = Vector512.Create(x);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                op.Invoke(xv, Vector512.LoadUnsafe(ref yRef, (nuint)i)).StoreUnsafe(ref dRef, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var xv = Vector256.Create(x);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                op.Invoke(xv, Vector256.LoadUnsafe(ref yRef, (nuint)i)).StoreUnsafe(ref dRef, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref dRef, i) = op.Invoke(x, Unsafe.Add(ref yRef, i));
    }

    /// <summary>destination[i] += op(x[i], y[i]): a backward rule adding its contribution into a gradient.</summary>
    public static void MapAdd<TOperator>(TOperator op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination)
        where TOperator : struct, IBinaryOperator
    {
        int n = CheckLengths(x.Length, destination.Length);
        CheckLengths(y.Length, destination.Length);
        ref float xRef = ref MemoryMarshal.GetReference(x);
        ref float yRef = ref MemoryMarshal.GetReference(y);
        ref float dRef = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                (Vector512.LoadUnsafe(ref dRef, (nuint)i) + op.Invoke(Vector512.LoadUnsafe(ref xRef, (nuint)i), Vector512.LoadUnsafe(ref yRef, (nuint)i))).StoreUnsafe(ref dRef, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                (Vector256.LoadUnsafe(ref dRef, (nuint)i) + op.Invoke(Vector256.LoadUnsafe(ref xRef, (nuint)i), Vector256.LoadUnsafe(ref yRef, (nuint)i))).StoreUnsafe(ref dRef, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref dRef, i) += op.Invoke(Unsafe.Add(ref xRef, i), Unsafe.Add(ref yRef, i));
    }

    /// <summary>destination[i] = op(x[i], y[i]) or += when <paramref name="accumulate"/>.</summary>
    public static void Map<TOperator>(TOperator op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination, bool accumulate)
        where TOperator : struct, IBinaryOperator
    {
        if (accumulate) MapAdd(op, x, y, destination);
        else Map(op, x, y, destination);
    }

    private static int CheckLengths(int source, int destination)
    {
        if (source != destination)
            throw new ArgumentException($"Element-wise kernel: input has {source} elements but destination has {destination}; they must match.");
        return destination;
    }
}
