namespace Dendrite.Tensors;

/// <summary>
/// A seedable pseudo-random generator (xoshiro256**, seeded through SplitMix64). Every random tensor
/// and every random layer draws from one of these, sequentially, so the stream never depends on
/// thread count or timing: the same seed gives the same numbers, bit for bit.
/// </summary>
public sealed class RandomGenerator
{
    [ThreadStatic] private static RandomGenerator? _default;

    private ulong _s0, _s1, _s2, _s3;
    private bool _hasSpareNormal;
    private float _spareNormal;

    /// <summary>Creates a generator from a seed; equal seeds give equal streams.</summary>
    public RandomGenerator(long seed) => Reseed(seed);

    /// <summary>
    /// The generator used when none is given. One per thread, seeded with 0 until
    /// <see cref="SetDefaultSeed"/> is called on that thread.
    /// </summary>
    public static RandomGenerator Default => _default ??= new RandomGenerator(0);

    /// <summary>Reseeds the calling thread's <see cref="Default"/> generator (like <c>torch.manual_seed</c>).</summary>
    public static void SetDefaultSeed(long seed) => Default.Reseed(seed);

    /// <summary>Restarts the stream from <paramref name="seed"/>.</summary>
    public void Reseed(long seed)
    {
        ulong x = (ulong)seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
        _hasSpareNormal = false;
        _spareNormal = 0f;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    /// <summary>Uniform in [0, 1), with 24 random bits (every float32 step in that range).</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), $"NextInt needs a positive bound; got {maxExclusive}.");
        ulong bound = (ulong)maxExclusive;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            UInt128 product = (UInt128)r * bound;
            if ((ulong)product >= threshold) return (int)(product >> 64);
        }
    }

    /// <summary>Uniform integer in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>).</summary>
    public int NextInt(int minInclusive, int maxExclusive) => minInclusive + NextInt(maxExclusive - minInclusive);

    /// <summary>A standard normal sample N(0, 1) (Box-Muller; samples come in pairs, the second is kept for the next call).</summary>
    public float NextNormal()
    {
        if (_hasSpareNormal)
        {
            _hasSpareNormal = false;
            return _spareNormal;
        }
        NextNormalPair(out float first, out _spareNormal);
        _hasSpareNormal = true;
        return first;
    }

    private void NextNormalPair(out float first, out float second)
    {
        // 1 - u keeps the logarithm's argument in (0, 1].
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        double angle = 2.0 * Math.PI * u2;
        first = (float)(radius * Math.Cos(angle));
        second = (float)(radius * Math.Sin(angle));
    }

    /// <summary>Fills <paramref name="destination"/> with U[<paramref name="low"/>, <paramref name="high"/>).</summary>
    public void FillUniform(Span<float> destination, float low = 0f, float high = 1f)
    {
        float width = high - low;
        for (int i = 0; i < destination.Length; i++) destination[i] = low + width * NextFloat();
    }

    /// <summary>Fills <paramref name="destination"/> with N(<paramref name="mean"/>, <paramref name="standardDeviation"/>²).</summary>
    public void FillNormal(Span<float> destination, float mean = 0f, float standardDeviation = 1f)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = mean + standardDeviation * NextNormal();
    }

    /// <summary>Fills <paramref name="destination"/> with 1 with probability <paramref name="probability"/>, else 0.</summary>
    public void FillBernoulli(Span<float> destination, float probability)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = NextFloat() < probability ? 1f : 0f;
    }

    /// <summary>A random permutation of 0..n-1 (Fisher-Yates).</summary>
    public int[] Permutation(int n)
    {
        var result = new int[n];
        for (int i = 0; i < n; i++) result[i] = i;
        Shuffle<int>(result);
        return result;
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher-Yates).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>The full generator state, for checkpoints; <see cref="SetState"/> restores it.</summary>
    public RandomGeneratorState GetState() => new(_s0, _s1, _s2, _s3, _hasSpareNormal, _spareNormal);

    /// <summary>Restores a state captured by <see cref="GetState"/>; the stream then continues exactly as it would have.</summary>
    public void SetState(RandomGeneratorState state)
    {
        if ((state.S0 | state.S1 | state.S2 | state.S3) == 0)
            throw new ArgumentException("A random generator state of all zeros is invalid for xoshiro256**.", nameof(state));
        (_s0, _s1, _s2, _s3, _hasSpareNormal, _spareNormal) = (state.S0, state.S1, state.S2, state.S3, state.HasSpareNormal, state.SpareNormal);
    }

    /// <summary>A child generator seeded from this one's stream (for parallel trials that must not share a stream).</summary>
    public RandomGenerator Split() => new((long)NextUInt64());
}

/// <summary>A snapshot of a <see cref="RandomGenerator"/>, serialisable as its six fields.</summary>
public readonly record struct RandomGeneratorState(ulong S0, ulong S1, ulong S2, ulong S3, bool HasSpareNormal, float SpareNormal);
