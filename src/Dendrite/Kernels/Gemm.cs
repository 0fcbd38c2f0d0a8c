using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

/// <summary>
/// Single-precision matrix multiplication (SGEMM): packed panels, a register-blocked FMA micro-kernel
/// (Vector512 where AVX-512 is present, Vector256 with AVX2 + FMA otherwise), cache blocking and
/// all cores. Identical in contract to <see cref="GemmReference"/>.
/// </summary>
/// <remarks>
/// <para>
/// Letters: op(A) is [m, k], op(B) is [k, n], C is [m, n]; all row-major with explicit row strides.
/// </para>
/// <para>
/// Determinism: every path (the unpacked small-product path, the packed path, any thread count,
/// any split of the work) computes each element of C the same way: k is cut into blocks of
/// <see cref="DepthBlock"/> steps; within a block the products are summed by a chain of fused
/// multiply-adds in k order starting from zero, and the block's sum is then stored into C (first
/// block without accumulate) or added to it. Threads share out rectangles of C, never k, so the
/// result is bit-identical whatever <see cref="MaxThreads"/> is and whichever thread runs it.
/// The result may differ in the last bits from <see cref="GemmReference"/>, which multiplies and
/// adds separately over all of k.
/// </para>
/// </remarks>
public static partial class Gemm
{
    /// <summary>
    /// KC: k steps per packed block. A 14 x 256 A panel (14 KB) stays in L1 while the kernel streams
    /// 256 x 32 B panels from a B block of up to 512 KB in L2. It also fixes the summation order, so
    /// every path uses it.
    /// </summary>
    internal const int DepthBlock = 256;

    /// <summary>
    /// Up to this many multiply-adds (m·n·k) the unpacked path on the calling thread is faster than
    /// packing: the packing and the tile bookkeeping cost more than they save. Measured on the 2-core
    /// AVX-512 machine: 32³ 1.1 µs unpacked vs 1.2 µs packed, 48³ even, 64³ 6.5 vs 5.5 µs.
    /// </summary>
    internal const long DirectLimit = 48 * 48 * 48;

    /// <summary>
    /// From this many multiply-adds (m·n·k) the product is shared with the worker threads; below it
    /// waking them and sharing the A panels cost more than the second core saves. Measured on the quiet
    /// 2-core machine: 128³ 40 µs on one thread, 27 µs on two; 256³ 311 vs 174 µs; 96³ and below do
    /// not gain reliably. On a busy machine a worker that joins late costs little (tasks are taken, not
    /// assigned), so the limit errs on the low side.
    /// </summary>
    internal const long ThreadingLimit = 128 * 128 * 128;

    private static int maxThreads = Environment.ProcessorCount;

    /// <summary>
    /// How many threads <see cref="Multiply"/> and <see cref="MultiplyBatched"/> may use, counting the
    /// calling thread (default: <see cref="Environment.ProcessorCount"/>); 1 runs everything on the
    /// calling thread. The result does not depend on it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MaxThreads
    {
        get => Volatile.Read(ref maxThreads);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref maxThreads, value);
        }
    }

    /// <summary>Which micro-kernel this process uses; tests can force a narrower one.</summary>
    internal enum InstructionSet
    {
        /// <summary>The reference loop: no FMA hardware.</summary>
        Scalar,

        /// <summary>Vector256 with AVX2 + FMA, 6 x 16 register block.</summary>
        Avx2,

        /// <summary>Vector512 with AVX-512F, 14 x 32 register block.</summary>
        Avx512,
    }

    private static readonly InstructionSet Detected =
        Avx512F.IsSupported ? InstructionSet.Avx512 :
        Avx2.IsSupported && Fma.IsSupported ? InstructionSet.Avx2 :
        InstructionSet.Scalar;

    // 0: none; otherwise the forced kernel + 1 (a plain int, because a thread-static Nullable is slower to read).
    [ThreadStatic] private static int forcedKernel;

    /// <summary>The widest kernel this machine runs.</summary>
    internal static InstructionSet HardwareKernel => Detected;

    /// <summary>
    /// The kernel used by calls from this thread. Tests lower it (never above what the hardware has)
    /// to cover the narrower paths; it is per thread so that other tests running at the same time are
    /// not affected.
    /// </summary>
    internal static InstructionSet Kernel
    {
        get => forcedKernel == 0 ? Detected : (InstructionSet)(forcedKernel - 1);
        set
        {
            if (value > Detected)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"Gemm: this machine supports at most {Detected}.");
            forcedKernel = value == Detected ? 0 : (int)value + 1;
        }
    }

    /// <summary>Which path a call takes; tests force one to cover each on small shapes.</summary>
    internal enum Route
    {
        /// <summary>Chosen by size: unpacked below <see cref="DirectLimit"/>, threaded from <see cref="ThreadingLimit"/>.</summary>
        Automatic,

        /// <summary>Always the unpacked path on the calling thread.</summary>
        Direct,

        /// <summary>Always the packed path, on up to <see cref="MaxThreads"/> threads whatever the size.</summary>
        Packed,
    }

    [ThreadStatic] private static Route forcedRoute;

    /// <summary>The route of calls from this thread (tests only; per thread so other tests are not affected).</summary>
    internal static Route ForcedRoute
    {
        get => forcedRoute;
        set => forcedRoute = value;
    }

    /// <summary>
    /// C = op(A)·op(B), or C += op(A)·op(B) when <paramref name="accumulate"/> is set.
    /// op(A) is [m, k]: A itself (row-major, row stride <paramref name="lda"/>) or, when
    /// <paramref name="transposeA"/> is set, the transpose of a [k, m] matrix with row stride lda.
    /// op(B) is [k, n] in the same way. C is [m, n] with row stride <paramref name="ldc"/>.
    /// </summary>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="n">Columns of op(B) and of C.</param>
    /// <param name="k">Columns of op(A), rows of op(B). With k = 0, C is set to zero (or left as it is when accumulating).</param>
    /// <param name="a">A: stored [m, k], or [k, m] when <paramref name="transposeA"/>.</param>
    /// <param name="lda">Row stride of the stored A, in elements; at least its row length.</param>
    /// <param name="transposeA">Whether op(A) is the transpose of the stored A.</param>
    /// <param name="b">B: stored [k, n], or [n, k] when <paramref name="transposeB"/>.</param>
    /// <param name="ldb">Row stride of the stored B, in elements; at least its row length.</param>
    /// <param name="transposeB">Whether op(B) is the transpose of the stored B.</param>
    /// <param name="c">C: [m, n], written (or added to). Must not overlap a or b.</param>
    /// <param name="ldc">Row stride of C, in elements; at least n.</param>
    /// <param name="accumulate">Add the product to C instead of overwriting C.</param>
    /// <exception cref="ArgumentException">A size is negative, a row stride is shorter than its row, or a span is too short; the message names the argument and the sizes.</exception>
    public static void Multiply(int m, int n, int k,
        ReadOnlySpan<float> a, int lda, bool transposeA,
        ReadOnlySpan<float> b, int ldb, bool transposeB,
        Span<float> c, int ldc, bool accumulate = false)
    {
        // One cheap combined test on the hot path (a tiny product costs tens of nanoseconds); only when
        // it fails do the detailed checks run, to say which argument is wrong and why.
        int aRows = transposeA ? k : m, aColumns = transposeA ? m : k;
        int bRows = transposeB ? n : k, bColumns = transposeB ? k : n;
        if ((m | n | k | lda | ldb | ldc) < 0 || lda < aColumns || ldb < bColumns || ldc < n
            || a.Length < Validation.Extent(aRows, aColumns, lda)
            || b.Length < Validation.Extent(bRows, bColumns, ldb)
            || c.Length < Validation.Extent(m, n, ldc))
        {
            Validation.Sizes(1, m, n, k);
            Validation.Operand("a", a.Length, 1, 0, aRows, aColumns, lda, "lda", "m", "k", transposeA, "transposeA", "strideA");
            Validation.Operand("b", b.Length, 1, 0, bRows, bColumns, ldb, "ldb", "k", "n", transposeB, "transposeB", "strideB");
            Validation.Result(c.Length, 1, 0, m, n, ldc);
        }
        if (m == 0 || n == 0) return;

        unsafe
        {
            fixed (float* pa = a)
            fixed (float* pb = b)
            fixed (float* pc = c)
            {
                var product = new Product(m, n, k, pa, lda, transposeA, pb, ldb, transposeB, pc, ldc, accumulate);
                Run(in product, Kernel, ForcedRoute);
            }
        }
    }

    /// <summary>
    /// C = f(op(A)·op(B) + bias): the product of <see cref="Multiply"/>
    /// with a dense layer's epilogue applied to each rectangle of C as soon as it is final, while it is
    /// still in cache: <paramref name="bias"/> (one value per column of C) added to every row, then
    /// f = ReLU when <paramref name="relu"/> is set. Bit for bit the same as the plain product followed by
    /// <see cref="LinearEpilogue.Apply(int, int, Span{float}, int, ReadOnlySpan{float}, bool)"/>, on every path and any thread count.
    /// </summary>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="n">Columns of op(B) and of C.</param>
    /// <param name="k">Columns of op(A), rows of op(B). With k = 0, C is f(bias) (or f(0)).</param>
    /// <param name="a">A: stored [m, k], or [k, m] when <paramref name="transposeA"/>.</param>
    /// <param name="lda">Row stride of the stored A, in elements; at least its row length.</param>
    /// <param name="transposeA">Whether op(A) is the transpose of the stored A.</param>
    /// <param name="b">B: stored [k, n], or [n, k] when <paramref name="transposeB"/>.</param>
    /// <param name="ldb">Row stride of the stored B, in elements; at least its row length.</param>
    /// <param name="transposeB">Whether op(B) is the transpose of the stored B.</param>
    /// <param name="c">C: [m, n], overwritten. Must not overlap a, b or bias.</param>
    /// <param name="ldc">Row stride of C, in elements; at least n.</param>
    /// <param name="bias">[n] added to every row of C, or empty for none.</param>
    /// <param name="relu">Whether to apply max(0, ·) after the bias.</param>
    /// <exception cref="ArgumentException">A size is negative, a row stride is shorter than its row, a span is too short, or the bias is neither empty nor n long.</exception>
    public static void MultiplyWithEpilogue(int m, int n, int k,
        ReadOnlySpan<float> a, int lda, bool transposeA,
        ReadOnlySpan<float> b, int ldb, bool transposeB,
        Span<float> c, int ldc, ReadOnlySpan<float> bias, bool relu)
    {
        int aRows = transposeA ? k : m, aColumns = transposeA ? m : k;
        int bRows = transposeB ? n : k, bColumns = transposeB ? k : n;
        if ((m | n | k | lda | ldb | ldc) < 0 || lda < aColumns || ldb < bColumns || ldc < n
            || a.Length < Validation.Extent(aRows, aColumns, lda)
            || b.Length < Validation.Extent(bRows, bColumns, ldb)
            || c.Length < Validation.Extent(m, n, ldc))
        {
            Validation.Sizes(1, m, n, k);
            Validation.Operand("a", a.Length, 1, 0, aRows, aColumns, lda, "lda", "m", "k", transposeA, "transposeA", "strideA");
            Validation.Operand("b", b.Length, 1, 0, bRows, bColumns, ldb, "ldb", "k", "n", transposeB, "transposeB", "strideB");
            Validation.Result(c.Length, 1, 0, m, n, ldc);
        }
        if (!bias.IsEmpty && bias.Length != n)
            throw new ArgumentException($"Gemm: bias has {bias.Length} elements but C has n={n} columns; pass n values or none.", nameof(bias));
        if (m == 0 || n == 0) return;

        unsafe
        {
            fixed (float* pa = a)
            fixed (float* pb = b)
            fixed (float* pc = c)
            fixed (float* pbias = bias)
            {
                var product = new Product(m, n, k, pa, lda, transposeA, pb, ldb, transposeB, pc, ldc, accumulate: false,
                    bias.IsEmpty ? null : pbias, relu);
                Run(in product, Kernel, ForcedRoute);
            }
        }
    }

    /// <summary>
    /// <paramref name="batch"/> independent products: for each i in [0, batch),
    /// C[i] = op(A[i])·op(B[i]) (or += when <paramref name="accumulate"/>), where matrix i of each
    /// operand starts <c>i * stride</c> elements into its span. Shapes and strides are as in
    /// <see cref="Multiply"/>. A stride of 0 uses one matrix for every product (broadcast).
    /// </summary>
    /// <param name="batch">Number of products.</param>
    /// <param name="m">Rows of each op(A[i]) and C[i].</param>
    /// <param name="n">Columns of each op(B[i]) and C[i].</param>
    /// <param name="k">Columns of op(A[i]), rows of op(B[i]).</param>
    /// <param name="a">The A matrices, each stored [m, k] (or [k, m] when <paramref name="transposeA"/>).</param>
    /// <param name="lda">Row stride within each A.</param>
    /// <param name="strideA">Elements from one A to the next; 0 broadcasts one A.</param>
    /// <param name="transposeA">Whether op(A) is the transpose of the stored A.</param>
    /// <param name="b">The B matrices, each stored [k, n] (or [n, k] when <paramref name="transposeB"/>).</param>
    /// <param name="ldb">Row stride within each B.</param>
    /// <param name="strideB">Elements from one B to the next; 0 broadcasts one B.</param>
    /// <param name="transposeB">Whether op(B) is the transpose of the stored B.</param>
    /// <param name="c">The C matrices, each [m, n]. Must not overlap a or b.</param>
    /// <param name="ldc">Row stride within each C.</param>
    /// <param name="strideC">Elements from one C to the next. If the C matrices overlap (e.g. 0 with accumulate, to sum the products), they are computed one after another in batch order.</param>
    /// <param name="accumulate">Add the products to C instead of overwriting C.</param>
    /// <exception cref="ArgumentException">A size or stride is negative, a row stride is shorter than its row, or a span is too short; the message names the argument and the sizes.</exception>
    public static void MultiplyBatched(int batch, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, long strideA, bool transposeA,
        ReadOnlySpan<float> b, int ldb, long strideB, bool transposeB,
        Span<float> c, int ldc, long strideC, bool accumulate = false)
    {
        Validation.Batch(batch, strideA, strideB, strideC);
        Validation.Sizes(batch, m, n, k);
        Validation.Operand("a", a.Length, batch, strideA, transposeA ? k : m, transposeA ? m : k, lda, "lda", "m", "k", transposeA, "transposeA", "strideA");
        Validation.Operand("b", b.Length, batch, strideB, transposeB ? n : k, transposeB ? k : n, ldb, "ldb", "k", "n", transposeB, "transposeB", "strideB");
        Validation.Result(c.Length, batch, strideC, m, n, ldc);
        if (batch == 0 || m == 0 || n == 0) return;

        unsafe
        {
            fixed (float* pa = a)
            fixed (float* pb = b)
            fixed (float* pc = c)
            {
                var product = new Product(m, n, k, pa, lda, transposeA, pb, ldb, transposeB, pc, ldc, accumulate);
                RunBatched(in product, batch, strideA, strideB, strideC, Kernel, ForcedRoute);
            }
        }
    }

    /// <summary>One product, as pointers: the caller keeps the memory pinned until it returns.</summary>
    private readonly unsafe struct Product(int m, int n, int k,
        float* a, int lda, bool transposeA, float* b, int ldb, bool transposeB,
        float* c, int ldc, bool accumulate, float* bias = null, bool relu = false)
    {
        public readonly int M = m, N = n, K = k;
        public readonly float* A = a;
        public readonly int Lda = lda;
        public readonly bool TransposeA = transposeA;
        public readonly float* B = b;
        public readonly int Ldb = ldb;
        public readonly bool TransposeB = transposeB;
        public readonly float* C = c;
        public readonly int Ldc = ldc;
        public readonly bool Accumulate = accumulate;

        /// <summary>The epilogue's bias, one per column of C, or null; see <see cref="HasEpilogue"/>.</summary>
        public readonly float* Bias = bias;

        /// <summary>Whether the epilogue clamps at zero after the bias.</summary>
        public readonly bool Relu = relu;

        /// <summary>Whether each final rectangle of C gets <see cref="LinearEpilogue"/> applied (never with accumulate or in batches).</summary>
        public bool HasEpilogue => Bias != null || Relu;

        /// <summary>Applies the epilogue to rows [row, row + rows) and columns [column, column + columns) of C, once they are final.</summary>
        public void ApplyEpilogue(int row, int rows, int column, int columns)
        {
            if (HasEpilogue)
                LinearEpilogue.Apply(C + (long)row * Ldc + column, Ldc, rows, columns, Bias == null ? null : Bias + column, Relu);
        }

        /// <summary>Multiply-adds in the product (m·n·k).</summary>
        public long MultiplyAdds => (long)M * N * K;

        /// <summary>Product number <paramref name="index"/> of a batch.</summary>
        public Product Offset(long index, long strideA, long strideB, long strideC) => new(M, N, K,
            A + index * strideA, Lda, TransposeA, B + index * strideB, Ldb, TransposeB,
            C + index * strideC, Ldc, Accumulate);
    }

    /// <summary>Runs one validated product with m, n > 0, on as many threads as pays.</summary>
    private static unsafe void Run(in Product product, InstructionSet kernel, Route route)
    {
        if (product.K == 0)
        {
            if (!product.Accumulate)
            {
                for (int i = 0; i < product.M; i++)
                    new Span<float>(product.C + (long)i * product.Ldc, product.N).Clear();
            }
            product.ApplyEpilogue(0, product.M, 0, product.N);
            return;
        }
        if (kernel == InstructionSet.Scalar)
        {
            RunReference(in product);
            product.ApplyEpilogue(0, product.M, 0, product.N);
            return;
        }
        if (UseDirect(in product, route))
        {
            MultiplyDirect(in product, kernel);
            product.ApplyEpilogue(0, product.M, 0, product.N);
            return;
        }

        int threads = product.MultiplyAdds >= ThreadingLimit || route == Route.Packed ? ThreadBudget() : 1;
        if (threads > 1)
        {
            Team? team = Team.TryAcquire(threads);
            if (team is not null)
            {
                try
                {
                    team.RunProduct(in product, kernel, threads);
                }
                finally
                {
                    team.Release();
                }
                return;
            }
        }
        RunSingle(in product, kernel);
    }

    /// <summary>Threads a call may use: <see cref="MaxThreads"/>, but no more than there are processors.</summary>
    private static int ThreadBudget() => Math.Min(MaxThreads, Environment.ProcessorCount);

    /// <summary>Runs a validated batch; whole products are shared among threads when each is too small to split.</summary>
    private static unsafe void RunBatched(in Product first, int batch, long strideA, long strideB, long strideC,
        InstructionSet kernel, Route route)
    {
        int threads = ThreadBudget();
        long extentC = (long)(first.M - 1) * first.Ldc + first.N;
        // Products whose C overlap must run one after another, in batch order.
        bool independent = strideC >= extentC;
        bool worthIt = route == Route.Packed
            || (first.MultiplyAdds < ThreadingLimit && first.MultiplyAdds * batch >= ThreadingLimit);
        if (batch > 1 && threads > 1 && independent && worthIt && first.K > 0 && kernel != InstructionSet.Scalar)
        {
            Team? team = Team.TryAcquire(threads);
            if (team is not null)
            {
                try
                {
                    team.RunBatch(in first, batch, strideA, strideB, strideC, threads, kernel, route);
                }
                finally
                {
                    team.Release();
                }
                return;
            }
        }
        for (long i = 0; i < batch; i++)
        {
            Product product = first.Offset(i, strideA, strideB, strideC);
            Run(in product, kernel, route);
        }
    }

    /// <summary>Products [start, end) of a batch, each on the calling thread.</summary>
    private static unsafe void RunBatchRange(in Product first, long start, long end, long strideA, long strideB, long strideC,
        InstructionSet kernel, Route route)
    {
        for (long i = start; i < end; i++)
        {
            Product product = first.Offset(i, strideA, strideB, strideC);
            if (UseDirect(in product, route)) MultiplyDirect(in product, kernel);
            else RunSingle(in product, kernel);
        }
    }

    private static unsafe void RunReference(in Product product)
    {
        // Spans over the exact extents that validation checked.
        long extentA = product.TransposeA ? (long)(product.K - 1) * product.Lda + product.M : (long)(product.M - 1) * product.Lda + product.K;
        long extentB = product.TransposeB ? (long)(product.N - 1) * product.Ldb + product.K : (long)(product.K - 1) * product.Ldb + product.N;
        long extentC = (long)(product.M - 1) * product.Ldc + product.N;
        GemmReference.Multiply(product.M, product.N, product.K,
            new ReadOnlySpan<float>(product.A, checked((int)extentA)), product.Lda, product.TransposeA,
            new ReadOnlySpan<float>(product.B, checked((int)extentB)), product.Ldb, product.TransposeB,
            new Span<float>(product.C, checked((int)extentC)), product.Ldc, product.Accumulate);
    }

    /// <summary>Argument checks at the public boundary; below it the kernel assumes valid input.</summary>
    private static class Validation
    {
        public static void Sizes(int batch, int m, int n, int k)
        {
            if (m < 0 || n < 0 || k < 0 || batch < 0)
                Fail(m < 0 ? "m" : n < 0 ? "n" : k < 0 ? "k" : "batch",
                    $"Gemm: sizes must be zero or more, but batch={batch}, m={m}, n={n}, k={k}.");
        }

        public static void Batch(int batch, long strideA, long strideB, long strideC)
        {
            if (batch < 0) Fail("batch", $"Gemm: batch={batch} is negative; it must be zero or more.");
            if (strideA < 0) Fail("strideA", $"Gemm: strideA={strideA} is negative; use 0 to broadcast one A to every product.");
            if (strideB < 0) Fail("strideB", $"Gemm: strideB={strideB} is negative; use 0 to broadcast one B to every product.");
            if (strideC < 0) Fail("strideC", $"Gemm: strideC={strideC} is negative; it must be zero or more.");
        }

        /// <summary>Checks one input operand stored as [rows, columns] with row stride ld, batch times strideElements apart.</summary>
        public static void Operand(string name, int length, int batch, long stride, int rows, int columns, int ld,
            string ldName, string firstSize, string secondSize, bool transpose, string transposeName, string strideName)
        {
            if (ld < columns || ld < 0)
            {
                string layout = transpose ? $"[{secondSize}, {firstSize}]" : $"[{firstSize}, {secondSize}]";
                Fail(ldName, $"Gemm: {ldName}={ld} is less than the {columns} elements of a row of {name} "
                    + $"({transposeName}={Bool(transpose)}, so {name} is stored as {layout} = [{rows}, {columns}]); {ldName} must be at least {columns}.");
            }
            long needed = Needed(batch, stride, rows, columns, ld);
            if (length < needed)
            {
                string sizes = transpose
                    ? $"{firstSize}={columns}, {secondSize}={rows}"
                    : $"{firstSize}={rows}, {secondSize}={columns}";
                string batchText = batch == 1 && stride == 0 ? "" : $"batch={batch}, {strideName}={stride}, ";
                Fail(name, $"Gemm: {name} has {length} elements but {batchText}{sizes}, {ldName}={ld} ({transposeName}={Bool(transpose)}) needs {needed}.");
            }
        }

        public static void Result(int length, int batch, long stride, int m, int n, int ldc)
        {
            if (ldc < n || ldc < 0)
                Fail("ldc", $"Gemm: ldc={ldc} is less than n={n}, the length of a row of c ([m, n] = [{m}, {n}]); ldc must be at least {n}.");
            long needed = Needed(batch, stride, m, n, ldc);
            if (length < needed)
            {
                string batchText = batch == 1 && stride == 0 ? "" : $"batch={batch}, strideC={stride}, ";
                Fail("c", $"Gemm: c has {length} elements but {batchText}m={m}, n={n}, ldc={ldc} needs {needed}.");
            }
        }

        /// <summary>Elements spanned by one [rows, columns] matrix with row stride ld (valid, non-negative sizes).</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public static long Extent(int rows, int columns, int ld)
            => rows == 0 || columns == 0 ? 0 : (long)(rows - 1) * ld + columns;

        private static long Needed(int batch, long stride, int rows, int columns, int ld)
        {
            if (batch == 0 || rows == 0 || columns == 0) return 0;
            // In 128 bits so that absurd strides report a huge need rather than overflow (decimal,
            // which would do too, costs more than a whole tiny product).
            Int128 needed = (Int128)(batch - 1) * stride + (Int128)(rows - 1) * ld + columns;
            return needed > long.MaxValue ? long.MaxValue : (long)needed;
        }

        private static string Bool(bool value) => value ? "true" : "false";

        [DoesNotReturn, StackTraceHidden]
        private static void Fail(string parameter, string message) => throw new ArgumentException(message, parameter);
    }
}
