using Dendrite.Tensors;

namespace Dendrite.Autograd;

/// <summary>The backward pass: <c>loss.Backward()</c> and <c>Detach()</c>.</summary>
public static class BackwardExtensions
{
    [ThreadStatic] private static List<Tensor>? _order;
    [ThreadStatic] private static Stack<(Tensor Tensor, int NextInput)>? _stack;
    private static int _epoch;
    [ThreadStatic] private static bool _retainingGraph;

    /// <summary>
    /// Whether the backward pass running on this thread keeps the graph for another pass. When it does
    /// not, a node may overwrite what it saved for its own backward (each node runs once), as the LSTM
    /// writes dL/da over the gate activations it has just read.
    /// </summary>
    internal static bool RetainingGraph => _retainingGraph;

    extension(Tensor tensor)
    {
        /// <summary>
        /// Computes d(this)/d(leaf) for every leaf that requires a gradient and adds it to the leaf's
        /// <see cref="Tensor.Grad"/>. A scalar needs no <paramref name="gradient"/>; any other tensor
        /// needs one of its own shape (d(loss)/d(this) for some outer loss).
        /// Afterwards the graph is freed and its intermediate tensors recycled, unless
        /// <paramref name="retainGraph"/> is set.
        /// </summary>
        public void Backward(Tensor? gradient = null, bool retainGraph = false) => Run(tensor, gradient, retainGraph);

        /// <summary>
        /// The same values outside the graph: no gradient flows through the result. Shares storage
        /// (writes to one show in the other) and keeps that storage alive past <c>Backward()</c>, so
        /// truncated backpropagation through time can carry a state across chunks.
        /// </summary>
        public Tensor Detach()
        {
            tensor.EnsureReadable();
            tensor.Retain();
            return new Tensor(tensor, tensor.Shape, tensor.Strides, tensor._offset);
        }
    }

    private static void Run(Tensor root, Tensor? seed, bool retainGraph)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException(
                $"Backward() was called on a {root.Shape} tensor that does not require a gradient: no input of its computation requires one, or it was computed under NoGrad.");
        if (root._node is FreedNode freed)
            throw new InvalidOperationException(freed.Message);
        if (seed is null && root.Count != 1)
            throw new InvalidOperationException(
                $"Backward() on a non-scalar tensor of shape {root.Shape} needs a seed gradient of the same shape (d(loss)/d(this)); for a sum of its elements pass Tensor.OnesLike(it), or reduce it first (Sum(), Mean()).");
        if (seed is not null && seed.Shape != root.Shape)
            throw new ShapeMismatchException($"Backward(): the seed gradient has shape {seed.Shape} but the tensor has shape {root.Shape}; they must match.");

        Span<float> rootGradient = root.GradientTarget(out bool accumulate);
        if (seed is null)
        {
            if (accumulate) rootGradient[0] += 1f; else rootGradient[0] = 1f;
        }
        else
        {
            // Straight from the seed's storage: a copy through a new array cost a large-object allocation,
            // with fresh pages to fault in, on every call (a fifth of a 1x1 convolution's backward on one core).
            seed.EnsureReadable();
            if (!accumulate) seed.CopyTo(rootGradient);
            else if (seed.IsContiguous) TensorPrimitives.Add(rootGradient, seed.Span, rootGradient);
            else TensorPrimitives.Add(rootGradient, seed.ToArray(), rootGradient);
        }
        if (root._node is null) return;

        root.Retain();
        List<Tensor> order = TopologicalOrder(root);
        bool retainingBefore = _retainingGraph;
        _retainingGraph = retainGraph;
        try
        {
            for (int i = order.Count - 1; i >= 0; i--)
            {
                Tensor t = order[i];
                var node = (Node)t._node!;
                if (t._gradValid) node.Backward(t);
                if (retainGraph)
                {
                    t.ReleaseGradient();
                    continue;
                }
                string name = node.OperationName;
                t.ReleaseGradient();
                node.Release();
                t._node = FreedNode.For(name);
                if (!ReferenceEquals(t, root) && !t.IsRetained) t.ReleaseStorage();
            }
        }
        finally
        {
            _retainingGraph = retainingBefore;
            order.Clear();
        }
    }

    /// <summary>The non-leaf tensors reachable from <paramref name="root"/> through tensors that require gradients, each after all its inputs.</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = _order ??= new List<Tensor>(64);
        var stack = _stack ??= new Stack<(Tensor, int)>(64);
        order.Clear();
        stack.Clear();
        int epoch = Interlocked.Increment(ref _epoch);
        root._visitMark = epoch;
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var node = t._node!;
            if (node is FreedNode freed) throw new InvalidOperationException(freed.Message);
            if (next < node.InputCount)
            {
                stack.Push((t, next + 1));
                Tensor input = node.GetInput(next);
                if (input.RequiresGrad && input._node is not null && input._visitMark != epoch)
                {
                    input._visitMark = epoch;
                    stack.Push((input, 0));
                }
            }
            else
            {
                order.Add(t);
            }
        }
        return order;
    }
}

/// <summary>Marks a tensor whose graph an earlier <c>Backward()</c> consumed.</summary>
internal sealed class FreedNode : IGradientNode
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, FreedNode> Cache = new();

    private FreedNode(string operationName) => OperationName = operationName;

    /// <summary>The shared marker for outputs of <paramref name="operationName"/> (one instance per name, so freeing allocates nothing).</summary>
    public static FreedNode For(string operationName) => Cache.GetOrAdd(operationName, static name => new FreedNode(name));

    public string OperationName { get; }

    public string Message =>
        $"Backward() reached the output of {OperationName}, whose graph an earlier Backward() already freed. " +
        "Pass retainGraph: true to the first Backward() to go through the same graph twice, or recompute the forward pass.";

    public int InputCount => 0;

    public Tensor GetInput(int index) => throw new InvalidOperationException(Message);

    public void Backward(Tensor output) => throw new InvalidOperationException(Message);

    public void Release() { }
}
