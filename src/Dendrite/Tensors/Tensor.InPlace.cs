namespace Dendrite.Tensors;

public partial class Tensor
{
    /// <summary>
    /// this += <paramref name="alpha"/>·<paramref name="other"/>, in place and outside autograd (as
    /// PyTorch's <c>add_(other, alpha)</c>): the weight update of gradient descent is
    /// <c>w.AddInPlace(w.Grad, -learningRate)</c>. Both must be contiguous with the same shape.
    /// </summary>
    public void AddInPlace(Tensor other, float alpha = 1f)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Shape != Shape)
            throw new ShapeMismatchException($"AddInPlace: cannot add a {other.Shape} tensor into a {Shape} tensor; shapes must match.");
        Span<float> target = Data;
        ReadOnlySpan<float> source = other.Data;
        if (alpha == 1f) TensorPrimitives.Add(target, source, target);
        else TensorPrimitives.MultiplyAdd(source, alpha, target, target);
    }

    /// <summary>this ·= <paramref name="factor"/>, in place and outside autograd.</summary>
    public void MultiplyInPlace(float factor)
    {
        Span<float> target = Data;
        TensorPrimitives.Multiply(target, factor, target);
    }

    /// <summary>Copies <paramref name="source"/>'s values into this tensor (same shape), in place and outside autograd.</summary>
    public void CopyFrom(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Shape != Shape)
            throw new ShapeMismatchException($"CopyFrom: cannot copy a {source.Shape} tensor into a {Shape} tensor; shapes must match.");
        if (source.IsContiguous) CopyFrom(source.Data);
        else CopyFrom(source.ToArray());
    }
}
