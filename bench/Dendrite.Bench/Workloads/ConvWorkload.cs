using Dendrite.Autograd;
using Dendrite.Ops;
using TorchSharp;
using static TorchSharp.torch;
using DTensor = Dendrite.Tensors.Tensor;
using DShape = Dendrite.Tensors.Shape;
using TTensor = TorchSharp.torch.Tensor;

namespace Dendrite.Bench.Workloads;

/// <summary>
/// Single 2-D convolutions with bias, Dendrite's <c>Conv2d</c> op against
/// <c>torch.nn.functional.conv2d</c>: LeNet-5's two convolutions at batch 64, a 3×3 layer of a small
/// ResNet at two stages and a 1×1 layer; forward alone (no gradient recorded) and forward + backward
/// (dW, db, and dx except for the first layer, whose input needs no gradient), in GFLOP/s counting
/// 2·N·O·(C/groups)·kh·kw·H'·W' per product (forward 1, backward 1 or 2 of them).
/// </summary>
public sealed class ConvWorkload : IWorkload
{
    public string Name => "conv";

    public string Description => "Conv2d layers forward and forward+backward: LeNet C1/C3 at batch 64, ResNet 3x3s, a 1x1 (GFLOP/s, higher is better)";

    /// <summary>One layer: input [N, C, H, W], O output channels, k×k kernel, padding; whether its input needs a gradient.</summary>
    private sealed record Shape(string Name, int N, int C, int H, int W, int O, int K, int Padding, bool InputGradient);

    private static readonly Shape[] Shapes =
    [
        new("lenet c1 64x1x28x28 1->6 5x5 p2", 64, 1, 28, 28, 6, 5, 2, InputGradient: false),
        new("lenet c3 64x6x14x14 6->16 5x5", 64, 6, 14, 14, 16, 5, 0, InputGradient: true),
        new("resnet 64x16x28x28 16->16 3x3 p1", 64, 16, 28, 28, 16, 3, 1, InputGradient: true),
        new("resnet 32x64x14x14 64->64 3x3 p1", 32, 64, 14, 14, 64, 3, 1, InputGradient: true),
        new("1x1 32x64x14x14 64->128", 32, 64, 14, 14, 128, 1, 0, InputGradient: true),
    ];

    public IEnumerable<BenchCase> Cases()
    {
        foreach (Shape shape in Shapes)
        {
            yield return Case(shape, backward: false);
            yield return Case(shape, backward: true);
        }
    }

    private static BenchCase Case(Shape s, bool backward)
    {
        var random = new Random(5);
        float[] x = Values(random, s.N * s.C * s.H * s.W, 1f);
        float bound = 1f / MathF.Sqrt(s.C * s.K * s.K);
        float[] w = Values(random, s.O * s.C * s.K * s.K, bound), b = Values(random, s.O, bound);
        int outHeight = s.H + 2 * s.Padding - s.K + 1, outWidth = s.W + 2 * s.Padding - s.K + 1;
        float[] dy = Values(random, s.N * s.O * outHeight * outWidth, 1f);
        double gflop = 2.0 * s.N * s.O * s.C * s.K * s.K * outHeight * outWidth / 1e9;
        double products = backward ? (s.InputGradient ? 3 : 2) : 1;

        // Dendrite.
        DTensor dx = DTensor.FromArray(x, new DShape(s.N, s.C, s.H, s.W));
        DTensor dw = DTensor.FromArray(w, new DShape(s.O, s.C, s.K, s.K));
        DTensor db = DTensor.FromArray(b, new DShape(s.O));
        DTensor dseed = DTensor.FromArray(dy, new DShape(s.N, s.O, outHeight, outWidth));
        var options = ConvolutionOptions.Symmetric(padding: s.Padding);
        if (backward)
        {
            dw.RequiresGrad = true;
            db.RequiresGrad = true;
            dx.RequiresGrad = s.InputGradient;
        }

        // TorchSharp: the same tensors, created once outside the timed region.
        DisposeScope scope = NewDisposeScope();
        TTensor tx = torch.tensor(x, [s.N, s.C, s.H, s.W]).requires_grad_(backward && s.InputGradient);
        TTensor tw = torch.tensor(w, [s.O, s.C, s.K, s.K]).requires_grad_(backward);
        TTensor tb = torch.tensor(b, [s.O]).requires_grad_(backward);
        TTensor tseed = torch.tensor(dy, [s.N, s.O, outHeight, outWidth]);
        scope.Detach(tx, tw, tb, tseed);
        scope.Dispose();
        var resources = new Disposables([tx, tw, tb, tseed]);
        long[] padding = [s.Padding, s.Padding];
        TTensor[] wrt = s.InputGradient ? [tx, tw, tb] : [tw, tb];

        Action dendrite = backward
            ? () =>
            {
                dx.ZeroGrad();
                dw.ZeroGrad();
                db.ZeroGrad();
                dx.Conv2d(dw, db, options).Backward(dseed);
            }
            : () =>
            {
                // The output goes back to the pool as TorchSharp's goes back to its allocator when its scope
                // is disposed; left to the garbage collector, each call would allocate a fresh large array.
                using var _ = new NoGrad();
                dx.Conv2d(dw, db, options).Release();
            };
        Action torchSharp = backward
            ? () =>
            {
                using var step = NewDisposeScope();
                TTensor y = nn.functional.conv2d(tx, tw, tb, padding: padding);
                torch.autograd.grad([y], wrt, [tseed]);
            }
            : () =>
            {
                using var step = NewDisposeScope();
                using var _ = no_grad();
                nn.functional.conv2d(tx, tw, tb, padding: padding);
            };
        LeNetWorkload.WarmUp(dendrite, torchSharp, seconds: 1);
        return new BenchCase($"{s.Name} {(backward ? "f+b" : "fwd")}", "GFLOP/s", gflop * products, dendrite, torchSharp)
        {
            Peak = Machine.PeakGflops,
            Resources = resources,
        };
    }

    private static float[] Values(Random random, int length, float scale)
    {
        var values = new float[length];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    /// <summary>The TorchSharp tensors of a case, disposed with it.</summary>
    private sealed class Disposables(IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (IDisposable item in items) item.Dispose();
        }
    }
}
