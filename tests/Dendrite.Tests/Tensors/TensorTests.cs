namespace Dendrite.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void CreationFunctionsFillAsDocumented()
    {
        Assert.Equal(new float[6], Tensor.Zeros([2, 3]).ToArray());
        Assert.Equal(Enumerable.Repeat(1f, 4), Tensor.Ones([4]).ToArray());
        Assert.Equal(Enumerable.Repeat(2.5f, 6), Tensor.Full([3, 2], 2.5f).ToArray());
        Assert.Equal([0f, 0.5f, 1f, 1.5f], Tensor.Arange(0f, 2f, 0.5f).ToArray());
        Assert.Equal([0f, 1f, 2f], Tensor.Arange(3).ToArray());
        Assert.Equal([-1f, -0.5f, 0f, 0.5f, 1f], Tensor.Linspace(-1f, 1f, 5).ToArray());
        Assert.Equal(new Shape(2, 2), Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 4 } }).Shape);
        Assert.Equal([1f, 0f, 0f, 1f], Tensor.Eye(2).ToArray());
        Assert.Equal(0, Tensor.Scalar(3f).Rank);
        Assert.Equal(3f, Tensor.Scalar(3f).Item());
        var error = Assert.Throws<ShapeMismatchException>(() => Tensor.FromArray([1f, 2f, 3f], new Shape(2, 2)));
        Assert.Contains("[2, 2]", error.Message);
    }

    [Fact]
    public void TheSameSeedGivesTheSameBitsAndTheStateRoundTrips()
    {
        var a = Tensor.Randn([100], new RandomGenerator(42)).ToArray();
        var b = Tensor.Randn([100], new RandomGenerator(42)).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, Tensor.Randn([100], new RandomGenerator(43)).ToArray());

        var generator = new RandomGenerator(5);
        generator.NextNormal();
        var state = generator.GetState();
        float[] expected = [generator.NextNormal(), generator.NextFloat(), generator.NextNormal()];
        generator.SetState(state);
        float[] replayed = [generator.NextNormal(), generator.NextFloat(), generator.NextNormal()];
        Assert.Equal(expected, replayed);
    }

    [Fact]
    public void RandomDistributionsHaveTheRightMoments()
    {
        var generator = new RandomGenerator(11);
        float[] normal = Tensor.Normal([200_000], 3f, 2f, generator).ToArray();
        Assert.Equal(3.0, normal.Average(), 0.05);
        Assert.Equal(2.0, Math.Sqrt(normal.Select(v => (v - 3.0) * (v - 3.0)).Average()), 0.05);
        float[] uniform = Tensor.Uniform([200_000], -1f, 3f, generator).ToArray();
        Assert.True(uniform.Min() >= -1f && uniform.Max() < 3f);
        Assert.Equal(1.0, uniform.Average(), 0.05);
        float[] coin = Tensor.Bernoulli([200_000], 0.3f, generator).ToArray();
        Assert.Equal(0.3, coin.Average(), 0.01);
        int[] permutation = generator.Permutation(50);
        Assert.Equal(Enumerable.Range(0, 50), permutation.Order());
    }

    [Fact]
    public void ViewsShareStorageWithoutCopying()
    {
        var x = Tensor.FromArray([1, 2, 3, 4, 5, 6], new Shape(2, 3));
        Tensor t = x.T;
        Assert.True(t.IsView);
        Assert.False(t.IsContiguous);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], t.ToArray());
        x[0, 1] = 20f;
        Assert.Equal(20f, t[1, 0]);
        Tensor column = x.Select(1, 2);
        Assert.Equal([3f, 6f], column.ToArray());
        Assert.Equal([20f, 5f], x.Slice(0, 0, 2).Select(1, 1).ToArray());
        Assert.Equal(new Shape(1, 2, 3), x.Unsqueeze(0).Shape);
        Assert.Equal(new Shape(4, 2, 3), x.Unsqueeze(0).Expand(4, -1, -1).Shape);
        Assert.Equal([1f, 3f, 4f, 6f], x.Slice(1, 0, 3, step: 2).ToArray());
        Assert.Equal(new Shape(3, 2), x.Reshape(-1, 2).Shape);
        Assert.True(x.Reshape(3, 2).IsView);
        Assert.Equal([2f, 3f], Tensor.From(1, 2, 3, 4).Narrow(0, 1, 2).ToArray());
        Assert.Throws<InvalidOperationException>(() => t.Data.ToArray());
    }

    [Fact]
    public void ConcatStackSplitAndIndexing()
    {
        var a = Tensor.FromArray([1, 2, 3, 4], new Shape(2, 2));
        var b = Tensor.FromArray([5, 6], new Shape(1, 2));
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], TensorOps.Concat([a, b]).ToArray());
        Assert.Equal(new Shape(2, 2, 2), TensorOps.Stack([a, a], 1).Shape);
        Tensor[] parts = Tensor.Arange(7).Split(3);
        Assert.Equal([3, 3, 1], parts.Select(p => p.Count));
        Assert.Equal([3f, 4f, 1f, 2f], a.IndexSelect(0, [1, 0]).ToArray());
        Assert.Equal([2f, 3f], a.Gather(1, Tensor.FromArray([1, 0], new Shape(2, 1))).ToArray());
        Assert.Equal([0f, 1f, 0f, 1f, 0f, 0f], TensorOps.OneHot(Tensor.From(1, 0), 3).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorOps.OneHot(Tensor.From(3), 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.IndexSelect(0, [2]));
        var error = Assert.Throws<ShapeMismatchException>(() => TensorOps.Concat([a, Tensor.Zeros([2, 3])]));
        Assert.Contains("[2, 3]", error.Message);
    }

    [Fact]
    public void ReductionsAndComparisons()
    {
        var x = Tensor.FromArray([1, 5, 3, 4, 2, 6], new Shape(2, 3));
        Assert.Equal(21f, x.Sum().Item());
        Assert.Equal([9f, 12f], x.Sum(1).ToArray());
        Assert.Equal(new Shape(2, 1), x.Sum(1, keepDims: true).Shape);
        Assert.Equal([2.5f, 3.5f, 4.5f], x.Mean(0).ToArray());
        Assert.Equal([5f, 6f], x.Max(1).ToArray());
        Assert.Equal([1f, 2f], x.ArgMax(1).ToArray());
        Assert.Equal([0f, 1f], x.ArgMin(1).ToArray());
        Assert.Equal(3.5f, x.Variance().Item(), 5);
        Assert.Equal([0f, 1f, 0f, 1f, 0f, 1f], x.Greater(3f).ToArray());
        Assert.Equal([1f, 0f, 1f, 0f, 1f, 0f], x.LessOrEqual(Tensor.Scalar(3f)).ToArray());
        Assert.Equal([1f, -5f, 3f, -4f, 2f, -6f], TensorOps.Where(x.Greater(3f), -x, x).ToArray());
    }

    [Fact]
    public void ToStringPrintsLikePyTorch()
    {
        Assert.Equal("tensor([[1., 2.],\n        [3., 4.]])", Tensor.FromArray([1, 2, 3, 4], new Shape(2, 2)).ToString());
        Assert.Equal("tensor([ 0.5000, -1.2500])", Tensor.From(0.5f, -1.25f).ToString());
        Assert.Equal("tensor(3.)", Tensor.Scalar(3f).ToString());
        string big = Tensor.Arange(2000).ToString();
        Assert.Contains("...", big);
        Assert.True(big.Length < 200, big);
        // As PyTorch: values spanning more than three decades switch to scientific notation.
        Assert.StartsWith("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00, ..., 1.9970e+03, 1.9980e+03, 1.9990e+03])", big);
        Assert.Equal("tensor([ 100.,  101.,  102., ..., 1297., 1298., 1299.])", Tensor.Arange(100f, 1300f).ToString());
        var x = Tensor.From(1f);
        x.RequiresGrad = true;
        Assert.Equal("tensor([2.], grad_fn=<MultiplyScalar>)", (x * 2f).ToString());
    }

    [Fact]
    public void BadArgumentsGetClearMessages()
    {
        var x = Tensor.Zeros([2, 3]);
        Assert.Contains("[2, 3]", Assert.Throws<ShapeMismatchException>(() => x.Reshape(4, 2)).Message);
        Assert.Contains("axis 2", Assert.Throws<ArgumentOutOfRangeException>(() => x.Sum(2)).Message);
        Assert.Contains("size 3", Assert.Throws<IndexOutOfRangeException>(() => x[0, 3]).Message);
        Assert.Contains("size 3", Assert.Throws<ShapeMismatchException>(() => x.Squeeze(1)).Message);
        Assert.Contains("one element", Assert.Throws<InvalidOperationException>(() => x.Item()).Message);
        Assert.Throws<ArgumentException>(() => new Shape(1, 2, 3, 4, 5, 6, 7, 8, 9));
    }
}
