using System.Numerics;

namespace Dendrite.Tensors;

/// <summary>
/// Recycles the float arrays behind intermediate tensors, so that a training step of a fixed model
/// allocates (almost) no managed memory after warm-up. Arrays come in power-of-two lengths; a
/// tensor uses a prefix of its array.
/// </summary>
/// <remarks>
/// Why power-of-two buckets: a training step asks for the same few sizes again and again, and a
/// bucket per power of two finds a fit in O(1) while wasting at most half an array. Each bucket
/// keeps a bounded number of arrays so a one-off burst does not pin memory for the life of the
/// process. Thread-safe: data loaders build tensors on a background thread.
/// </remarks>
internal static class BufferPool
{
    private const int BucketCount = 32;
    private const long MaximumRetainedBytesPerBucket = 256L << 20;
    private const int MaximumArraysPerBucket = 64;

    private static readonly Stack<float[]>[] Buckets = CreateBuckets();

    private static Stack<float[]>[] CreateBuckets()
    {
        var buckets = new Stack<float[]>[BucketCount];
        for (int i = 0; i < BucketCount; i++) buckets[i] = new Stack<float[]>(capacity: 8);
        return buckets;
    }

    /// <summary>An array of at least <paramref name="count"/> elements with unspecified contents.</summary>
    public static float[] Rent(int count)
    {
        if (count == 0) return [];
        int log2 = count == 1 ? 0 : BitOperations.Log2((uint)count - 1) + 1;
        if (log2 >= 31) return GC.AllocateUninitializedArray<float>(count);
        Stack<float[]> bucket = Buckets[log2];
        lock (bucket)
        {
            if (bucket.Count > 0) return bucket.Pop();
        }
        return GC.AllocateUninitializedArray<float>(1 << log2);
    }

    /// <summary>Gives an array obtained from <see cref="Rent"/> back; others are ignored.</summary>
    public static void Return(float[] array)
    {
        int length = array.Length;
        if (!BitOperations.IsPow2(length)) return;
        int log2 = BitOperations.Log2((uint)length);
        if (log2 >= BucketCount) return;
        Stack<float[]> bucket = Buckets[log2];
        long maximumArrays = Math.Min(MaximumArraysPerBucket, Math.Max(2, MaximumRetainedBytesPerBucket / (4L * length)));
        lock (bucket)
        {
            if (bucket.Count < maximumArrays) bucket.Push(array);
        }
    }
}
