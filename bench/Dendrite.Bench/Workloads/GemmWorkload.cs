using Dendrite.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Dendrite.Bench.Workloads;

/// <summary>
/// Single-precision matrix products: Dendrite's <see cref="Gemm.Multiply"/> against <c>torch.mm</c>
/// (libtorch, MKL or oneDNN underneath) on the same shapes, in GFLOP/s = 2·m·n·k / seconds.
/// </summary>
public sealed class GemmWorkload : IWorkload
{
    public string Name => "gemm";

    public string Description => "SGEMM C = op(A)·op(B): square sizes, an odd size, and the batch-128 MLP products (GFLOP/s, higher is better)";

    public IEnumerable<BenchCase> Cases()
    {
        // Plain GEMM: no autograd bookkeeping on the TorchSharp side (the tensors do not require grad
        // anyway; this makes it explicit).
        bool gradWasEnabled = is_grad_enabled();
        set_grad_enabled(false);
        try
        {
            foreach (int size in new[] { 128, 256, 512, 1024, 2048 })
                yield return Product($"n={size}", size, size, size, false, false);
            // m x k x n in the names, as the shapes are usually written: [m, k] · [k, n].
            yield return Product("odd 1000x784 · 784x500", 1000, 500, 784, false, false);
            yield return Product("mlp fwd 128x784 · 784x500", 128, 500, 784, false, false);
            yield return Product("mlp dW (784x128)ᵀ · 128x500", 784, 500, 128, true, false);
            yield return Product("mlp dX 128x500 · (784x500)ᵀ", 128, 784, 500, false, true);
            yield return Product("mlp out 128x500 · 500x10", 128, 10, 500, false, false);
            yield return Product("small 64x64 · 64x64", 64, 64, 64, false, false);
        }
        finally
        {
            set_grad_enabled(gradWasEnabled);
        }
    }

    /// <summary>C[m, n] = op(A)·op(B), A stored [m, k] (or [k, m] when transposeA), B stored [k, n] (or [n, k]).</summary>
    private static BenchCase Product(string name, int m, int n, int k, bool transposeA, bool transposeB)
    {
        var random = new Random(42);
        float[] a = RandomValues(random, m * k), b = RandomValues(random, k * n), c = new float[m * n];
        int lda = transposeA ? m : k, ldb = transposeB ? k : n;

        // The TorchSharp operands are views of the same stored layouts, created once, outside the timed region.
        DisposeScope scope = NewDisposeScope();
        Tensor storedA = tensor(a, transposeA ? [k, m] : [m, k]);
        Tensor storedB = tensor(b, transposeB ? [n, k] : [k, n]);
        Tensor opA = transposeA ? storedA.t() : storedA;
        Tensor opB = transposeB ? storedB.t() : storedB;
        scope.Detach(opA, opB);
        scope.Dispose();
        var resources = new TensorPair(opA, opB);

        return new BenchCase(name, "GFLOP/s", 2.0 * m * n * k / 1e9,
            dendrite: () => Gemm.Multiply(m, n, k, a, lda, transposeA, b, ldb, transposeB, c, n),
            torchSharp: () =>
            {
                using Tensor result = mm(opA, opB);
            })
        {
            Peak = Machine.PeakGflops,
            Resources = resources,
        };
    }

    private static float[] RandomValues(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    /// <summary>The two operand tensors of a case, disposed with it.</summary>
    private sealed class TensorPair(Tensor first, Tensor second) : IDisposable
    {
        public void Dispose()
        {
            first.Dispose();
            second.Dispose();
        }
    }
}
