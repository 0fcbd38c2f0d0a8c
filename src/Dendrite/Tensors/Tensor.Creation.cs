namespace Dendrite.Tensors;

public partial class Tensor
{
    /// <summary>A tensor of <paramref name="shape"/> filled with 0.</summary>
    public static Tensor Zeros(Shape shape) => new(new float[shape.ElementCount], shape, pooled: false);

    /// <summary>A tensor of <paramref name="shape"/> filled with 1.</summary>
    public static Tensor Ones(Shape shape) => Full(shape, 1f);

    /// <summary>A tensor of <paramref name="shape"/> filled with <paramref name="value"/>.</summary>
    public static Tensor Full(Shape shape, float value)
    {
        var data = new float[shape.ElementCount];
        data.AsSpan().Fill(value);
        return new Tensor(data, shape, pooled: false);
    }

    /// <summary>A rank-0 tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(float value) => new([value], Shape.Scalar, pooled: false);

    /// <summary>A tensor of zeros with the shape of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Zeros(like.Shape);

    /// <summary>A tensor of ones with the shape of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Ones(like.Shape);

    /// <summary>A contiguous tensor from pooled storage with unspecified contents, for operations that overwrite every element.</summary>
    internal static Tensor Uninitialized(Shape shape) => new(BufferPool.Rent(shape.ElementCount), shape, pooled: true);

    /// <summary>A contiguous tensor from pooled storage, filled with 0.</summary>
    internal static Tensor PooledZeros(Shape shape)
    {
        var tensor = Uninitialized(shape);
        tensor.Span.Clear();
        return tensor;
    }

    /// <summary>A tensor holding a copy of <paramref name="values"/>, shaped as <paramref name="shape"/> (1-D when omitted).</summary>
    public static Tensor FromArray(ReadOnlySpan<float> values, Shape? shape = null)
    {
        Shape actual = shape ?? new Shape(values.Length);
        if (actual.ElementCount != values.Length)
            throw new ShapeMismatchException($"FromArray: {values.Length} values cannot fill shape {actual} ({actual.ElementCount} elements).");
        return new Tensor(values.ToArray(), actual, pooled: false);
    }

    /// <summary>A 1-D tensor of the given values.</summary>
    public static Tensor From(params ReadOnlySpan<float> values) => FromArray(values);

    /// <summary>A [rows, columns] tensor holding a copy of a 2-D array.</summary>
    public static Tensor FromArray(float[,] values)
    {
        int rows = values.GetLength(0), columns = values.GetLength(1);
        var data = new float[rows * columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                data[i * columns + j] = values[i, j];
        return new Tensor(data, new Shape(rows, columns), pooled: false);
    }

    /// <summary>
    /// Wraps <paramref name="values"/> without copying: the tensor and the array share memory, so later
    /// writes to either show in both.
    /// </summary>
    public static Tensor Wrap(float[] values, Shape shape)
    {
        if (shape.ElementCount != values.Length)
            throw new ShapeMismatchException($"Wrap: an array of {values.Length} values cannot be viewed as shape {shape} ({shape.ElementCount} elements).");
        return new Tensor(values, shape, pooled: false);
    }

    /// <summary>Values start, start+step, ... below <paramref name="stop"/> (as <c>torch.arange</c>).</summary>
    public static Tensor Arange(float start, float stop, float step = 1f)
    {
        if (step == 0f || float.IsNaN(step)) throw new ArgumentException("Arange needs a non-zero step.", nameof(step));
        int count = (int)Math.Max(0, Math.Ceiling((stop - start) / (double)step));
        var data = new float[count];
        for (int i = 0; i < count; i++) data[i] = start + i * step;
        return new Tensor(data, new Shape(count), pooled: false);
    }

    /// <summary>Values 0, 1, ..., <paramref name="stop"/> - 1.</summary>
    public static Tensor Arange(int stop) => Arange(0f, stop);

    /// <summary><paramref name="count"/> evenly spaced values from <paramref name="start"/> to <paramref name="end"/>, both included (as <c>torch.linspace</c>).</summary>
    public static Tensor Linspace(float start, float end, int count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), $"Linspace needs a non-negative count; got {count}.");
        var data = new float[count];
        if (count == 1) data[0] = start;
        double step = count > 1 ? (end - (double)start) / (count - 1) : 0;
        for (int i = 0; i < count; i++) data[i] = (float)(start + step * i);
        if (count > 1) data[count - 1] = end;
        return new Tensor(data, new Shape(count), pooled: false);
    }

    /// <summary>Samples of U[<paramref name="low"/>, <paramref name="high"/>) drawn from <paramref name="generator"/> (the thread's default generator when null).</summary>
    public static Tensor Uniform(Shape shape, float low = 0f, float high = 1f, RandomGenerator? generator = null)
    {
        var tensor = Zeros(shape);
        (generator ?? RandomGenerator.Default).FillUniform(tensor.Span, low, high);
        return tensor;
    }

    /// <summary>Samples of U[0, 1) (as <c>torch.rand</c>).</summary>
    public static Tensor Rand(Shape shape, RandomGenerator? generator = null) => Uniform(shape, 0f, 1f, generator);

    /// <summary>Samples of N(<paramref name="mean"/>, <paramref name="standardDeviation"/>²).</summary>
    public static Tensor Normal(Shape shape, float mean = 0f, float standardDeviation = 1f, RandomGenerator? generator = null)
    {
        var tensor = Zeros(shape);
        (generator ?? RandomGenerator.Default).FillNormal(tensor.Span, mean, standardDeviation);
        return tensor;
    }

    /// <summary>Samples of N(0, 1) (as <c>torch.randn</c>).</summary>
    public static Tensor Randn(Shape shape, RandomGenerator? generator = null) => Normal(shape, 0f, 1f, generator);

    /// <summary>Each element 1 with probability <paramref name="probability"/>, else 0.</summary>
    public static Tensor Bernoulli(Shape shape, float probability, RandomGenerator? generator = null)
    {
        if (!(probability >= 0f && probability <= 1f))
            throw new ArgumentOutOfRangeException(nameof(probability), $"Bernoulli needs a probability in [0, 1]; got {probability}.");
        var tensor = Zeros(shape);
        (generator ?? RandomGenerator.Default).FillBernoulli(tensor.Span, probability);
        return tensor;
    }

    /// <summary>An <paramref name="n"/> x <paramref name="n"/> identity matrix.</summary>
    public static Tensor Eye(int n)
    {
        var tensor = Zeros(new Shape(n, n));
        for (int i = 0; i < n; i++) tensor._buffer[i * n + i] = 1f;
        return tensor;
    }
}
