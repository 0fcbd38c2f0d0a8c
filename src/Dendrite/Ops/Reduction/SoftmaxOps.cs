using Dendrite.Autograd;
using Dendrite.Tensors;
using SoftmaxKernel = Dendrite.Kernels.Softmax;

namespace Dendrite.Ops;

// Softmax along an axis, y = exp(x − max) / Σ exp(x − max), and log-softmax. Backward from the output:
//   softmax:     dx = y·(g − Σ_axis g·y)
//   log-softmax: dx = g − exp(y)·Σ_axis g

public static partial class TensorOps
{
    extension(Tensor x)
    {
        /// <summary>Softmax along <paramref name="axis"/> (default the last): non-negative values summing to 1 along it.</summary>
        public Tensor Softmax(int axis = -1) => SoftmaxCore(x, axis, log: false);

        /// <summary>Log of the softmax along <paramref name="axis"/>, computed directly (stable for large logits).</summary>
        public Tensor LogSoftmax(int axis = -1) => SoftmaxCore(x, axis, log: true);
    }

    private static Tensor SoftmaxCore(Tensor x, int axis, bool log)
    {
        string name = log ? "LogSoftmax" : "Softmax";
        Tensor source = x.Contiguous();
        int a = source.Shape.NormalizeAxis(axis, name);
        int outer = source.Shape.Product(0, a), size = source.Shape[a], inner = source.Shape.Product(a + 1, source.Rank);
        Tensor output = Tensor.Uninitialized(source.Shape);
        if (log) SoftmaxKernel.LogForward(source.Span, output.Span, outer, size, inner);
        else SoftmaxKernel.Forward(source.Span, output.Span, outer, size, inner);
        if (GradMode.ShouldRecord(source))
        {
            var node = SoftmaxNode.Rent();
            node.Input0 = source;
            node.Outer = outer;
            node.Size = size;
            node.Inner = inner;
            node.Log = log;
            GradMode.Attach(output, node);
        }
        return output;
    }

    private sealed class SoftmaxNode : Node<SoftmaxNode>
    {
        public int Outer, Size, Inner;
        public bool Log;

        public override string OperationName => Log ? "LogSoftmax" : "Softmax";

        public override void Backward(Tensor output)
        {
            Tensor x = Input0;
            if (!Wants(x)) return;
            var writer = new GradientWriter(x);
            if (Log) SoftmaxKernel.LogBackward(output.Span, output.GradientSpan, writer.Destination, Outer, Size, Inner);
            else SoftmaxKernel.Backward(output.Span, output.GradientSpan, writer.Destination, Outer, Size, Inner);
            writer.Commit();
        }
    }
}
