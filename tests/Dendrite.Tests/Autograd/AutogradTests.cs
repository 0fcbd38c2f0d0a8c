namespace Dendrite.Tests.Autograd;

public class AutogradTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void XorTrainsWithPlainAutogradAndHandWrittenGradientDescent()
    {
        // The seeds' first example: a 2-4-1 sigmoid network trained on XOR by batch gradient descent.
        var generator = new RandomGenerator(7);
        var x = Tensor.FromArray([0, 0, 0, 1, 1, 0, 1, 1], new Shape(4, 2));
        var y = Tensor.FromArray([0, 1, 1, 0], new Shape(4, 1));
        var w1 = Tensor.Uniform([2, 4], -1f, 1f, generator);
        var b1 = Tensor.Zeros([4]);
        var w2 = Tensor.Uniform([4, 1], -1f, 1f, generator);
        var b2 = Tensor.Zeros([1]);
        Tensor[] parameters = [w1, b1, w2, b2];
        foreach (var p in parameters) p.RequiresGrad = true;

        float loss = float.NaN;
        const float learningRate = 2f;
        for (int step = 0; step < 5000; step++)
        {
            Tensor hidden = (x.MatMul(w1) + b1).Sigmoid();
            Tensor output = (hidden.MatMul(w2) + b2).Sigmoid();
            Tensor mse = (output - y).Square().Mean();
            loss = mse.Item();
            if (loss < 0.005f) break;
            foreach (var p in parameters) p.ZeroGrad();
            mse.Backward();
            foreach (var p in parameters) p.AddInPlace(p.Grad!, -learningRate);
        }
        Assert.True(loss < 0.01f, $"XOR loss {loss} did not fall below 0.01");
        using (new NoGrad())
        {
            float[] predictions = (x.MatMul(w1) + b1).Sigmoid().MatMul(w2).Add(b2).Sigmoid().ToArray();
            Assert.Equal([0f, 1f, 1f, 0f], predictions.Select(p => MathF.Round(p)).ToArray());
        }
    }

    [Fact]
    public void GradientsAccumulateUntilZeroGrad()
    {
        var x = Tensor.From(1f, 2f, 3f);
        x.RequiresGrad = true;
        (x * x).Sum().Backward();
        (x * 3f).Sum().Backward();
        Assert.Equal([5f, 7f, 9f], x.Grad!.ToArray());
        x.ZeroGrad();
        Assert.Null(x.Grad);
        x.Sum().Backward();
        Assert.Equal([1f, 1f, 1f], x.Grad!.ToArray());
    }

    [Fact]
    public void NonScalarBackwardNeedsASeedGradient()
    {
        var x = Tensor.Randn([2, 3]);
        x.RequiresGrad = true;
        Tensor y = x * 2f;
        var error = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("non-scalar", error.Message);
        Assert.Contains("[2, 3]", error.Message);
        y.Backward(Tensor.Full([2, 3], 0.5f));
        Assert.Equal(Enumerable.Repeat(1f, 6), x.Grad!.ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ASeedIsReadInRowMajorOrderWhetherContiguousOrAView_AndAddsOnARepeatedBackward(bool contiguous)
    {
        Tensor stored = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], new Shape(3, 2));
        Tensor seed = contiguous ? stored.T.Contiguous() : stored.T;            // [[1, 3, 5], [2, 4, 6]]
        Assert.Equal(contiguous, seed.IsContiguous);
        var x = Tensor.Zeros([2, 3]);
        x.RequiresGrad = true;

        (x * 2f).Backward(seed);
        Assert.Equal([2f, 6f, 10f, 4f, 8f, 12f], x.Grad!.ToArray());
        x.Backward(seed);                                                        // a leaf root: the seed itself is added
        Assert.Equal([3f, 9f, 15f, 6f, 12f, 18f], x.Grad!.ToArray());
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], stored.ToArray());
    }

    [Fact]
    public void SecondBackwardThroughAFreedGraphThrowsAndRetainGraphAllowsIt()
    {
        var x = Tensor.From(1f, 2f);
        x.RequiresGrad = true;
        Tensor loss = x.Exp().Sum();
        loss.Backward();
        var error = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("already freed", error.Message);
        Assert.Contains("retainGraph", error.Message);

        x.ZeroGrad();
        Tensor again = (x * x).Sum();
        again.Backward(retainGraph: true);
        again.Backward();
        Assert.Equal([4f, 8f], x.Grad!.ToArray());
    }

    [Fact]
    public void BackwardReleasesIntermediatesUnlessRetained()
    {
        var x = Tensor.Randn([3, 4]);
        x.RequiresGrad = true;
        Tensor hidden = x.Tanh();
        Tensor kept = x.Exp().Retain();
        Tensor loss = (hidden + kept).Sum();
        loss.Backward();
        Assert.True(hidden.IsReleased);
        var error = Assert.Throws<InvalidOperationException>(() => hidden.ToArray());
        Assert.Contains("Retain()", error.Message);
        Assert.Contains("Tanh", error.Message);
        Assert.False(kept.IsReleased);
        Assert.Equal(12, kept.ToArray().Length);
        Assert.Equal(loss.Item(), loss.Item()); // the root stays readable
        Assert.False(x.IsReleased);
    }

    [Fact]
    public void DetachSharesValuesButStopsGradients()
    {
        var x = Tensor.From(1f, 2f, 3f);
        x.RequiresGrad = true;
        Tensor h = x * 2f;
        Tensor d = h.Detach();
        Assert.False(d.RequiresGrad);
        (h.Sum() + (d * x).Sum()).Backward();
        Assert.Equal([2f + 2f, 2f + 4f, 2f + 6f], x.Grad!.ToArray());
        Assert.Equal([2f, 4f, 6f], d.ToArray()); // kept alive past Backward
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var x = Tensor.Randn([2, 2]);
        x.RequiresGrad = true;
        Tensor y;
        using (new NoGrad())
        {
            Assert.False(GradMode.IsEnabled);
            y = x.Exp() * x;
        }
        Assert.True(GradMode.IsEnabled);
        Assert.False(y.RequiresGrad);
        Assert.True(y.IsLeaf);
        Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
    }

    [Fact]
    public void RetainGradKeepsAnIntermediateGradient()
    {
        var x = Tensor.From(1f, 2f);
        x.RequiresGrad = true;
        Tensor h = x * 3f;
        h.RetainGrad();
        (h * h).Sum().Backward();
        Assert.Equal([6f, 12f], h.Grad!.ToArray());
        Assert.Equal([18f, 36f], x.Grad!.ToArray());
    }

    [Fact]
    public void RequiresGradCannotBeClearedOnAnOperationOutput()
    {
        var x = Tensor.Randn([2]);
        x.RequiresGrad = true;
        Tensor y = x.Exp();
        var error = Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.Contains("Exp", error.Message);
    }

    [Fact]
    public void BadMatMulNamesTheOperationAndBothShapes()
    {
        var error = Assert.Throws<ShapeMismatchException>(() => Tensor.Zeros([32, 785]).MatMul(Tensor.Zeros([784, 128])));
        Assert.Contains("MatMul", error.Message);
        Assert.Contains("[32, 785]", error.Message);
        Assert.Contains("[784, 128]", error.Message);
        Assert.Contains("785 vs 784", error.Message);
    }

    [Fact]
    public void BadBroadcastNamesTheOperationAndBothShapes()
    {
        var error = Assert.Throws<ShapeMismatchException>(() => Tensor.Zeros([3, 4]) + Tensor.Zeros([3]));
        Assert.Contains("Add", error.Message);
        Assert.Contains("[3, 4]", error.Message);
        Assert.Contains("[3]", error.Message);
        Assert.Contains("broadcast", error.Message);
        var batch = Assert.Throws<ShapeMismatchException>(() => Tensor.Zeros([2, 3, 4]).MatMul(Tensor.Zeros([3, 4, 5])));
        Assert.Contains("batch", batch.Message);
    }

    [Fact]
    public void TrainingStepAllocatesUnderOneKilobyteAfterWarmUp()
    {
        // matmul, add, ReLU, matmul, add, softmax cross-entropy, backward, in-place update.
        var generator = new RandomGenerator(3);
        var x = Tensor.Randn([32, 64], generator);
        int[] labels = Enumerable.Range(0, 32).Select(i => i % 10).ToArray();
        var w1 = Tensor.Randn([64, 48], generator) * 0.1f;
        var b1 = Tensor.Zeros([48]);
        var w2 = Tensor.Randn([48, 10], generator) * 0.1f;
        var b2 = Tensor.Zeros([10]);
        Tensor[] parameters = [w1, b1, w2, b2];
        foreach (var p in parameters) p.RequiresGrad = true;

        void Step()
        {
            foreach (var p in parameters) p.ZeroGrad();
            Tensor logits = (x.MatMul(w1) + b1).Relu().MatMul(w2) + b2;
            Tensor loss = logits.SoftmaxCrossEntropy(labels);
            loss.Backward();
            foreach (var p in parameters) TensorPrimitives.MultiplyAdd(p.Grad!.Data, -0.01f, p.Data, p.Data);
        }

        for (int i = 0; i < 20; i++) Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        const int steps = 10;
        for (int i = 0; i < steps; i++) Step();
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / steps;
        output.WriteLine($"managed bytes allocated per training step after warm-up: {perStep}");
        Assert.True(perStep < 1024, $"A training step allocated {perStep} bytes after warm-up.");
    }
}
