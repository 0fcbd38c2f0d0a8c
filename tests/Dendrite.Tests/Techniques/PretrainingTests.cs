using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Techniques.Pretraining;
using Dendrite.Training;

namespace Dendrite.Tests.Techniques;

public class PretrainingTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void TiedDecoderSharesTheEncoderWeightTransposedAndPassesGradCheck()
    {
        var encoder = new Dense(4, 3, new Sigmoid(), generator: new RandomGenerator(1));
        var decoder = new TiedDense(encoder, new Sigmoid());
        var model = new Sequential(encoder, decoder);
        Assert.Equal(4 * 3 + 3 + 4, model.ParameterCount().Trainable); // W once, both biases
        Assert.Single(model.Parameters(), p => ReferenceEquals(p, encoder.Weight));

        Tensor code = Tensor.Rand([2, 3], new RandomGenerator(2));
        decoder.Bias!.Data.Fill(0.1f);
        float[] expected = code.MatMul(encoder.Weight.Detach()).Add(0.1f).Sigmoid().ToArray();
        Assert.Equal(expected, decoder.Forward(code).ToArray());

        Tensor x = Tensor.Rand([3, 4], new RandomGenerator(3));
        var result = GradCheck.Run(() => model.Forward(x), [x, encoder.Weight, encoder.Bias!, decoder.Bias!]);
        Assert.True(result.Passed, result.ToString());
        Assert.Throws<ShapeMismatchException>(() => decoder.Forward(Tensor.Zeros([2, 4])));
    }

    [Fact]
    public void UpsampleRepeatsPixelsAndSumsGradientsPerBlock()
    {
        var layer = new Upsample2d(2);
        Tensor x = Tensor.FromArray([1, 2, 3, 4], new Shape(1, 1, 2, 2));
        Tensor y = layer.Forward(x);
        Assert.Equal(new Shape(1, 1, 4, 4), y.Shape);
        Assert.Equal([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], y.ToArray());
        Tensor input = Tensor.Randn([2, 3, 3, 2], new RandomGenerator(4));
        var result = GradCheck.Run(() => layer.Forward(input), [input]);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void MaskingNoiseZeroesInputsOnlyInTraining()
    {
        var noise = new MaskingNoise(0.3f, new RandomGenerator(5));
        Tensor x = Tensor.Ones([100, 50]);
        float zeros = x.Count - noise.Forward(x).Sum().Item();
        Assert.InRange(zeros / x.Count, 0.27, 0.33);
        noise.Eval();
        Assert.Same(x, noise.Forward(x));
    }

    [Fact]
    public void DenseAutoencodersLearnToReconstructTheDigits()
    {
        var (train, test) = TechniquesData.DigitsSplit(seed: 4);
        foreach (bool tied in new[] { false, true })
        {
            var autoencoder = Autoencoder.Dense(64, [16], () => new Sigmoid(), () => new Sigmoid(), tiedWeights: tied, corruption: 0.2f, generator: new RandomGenerator(6));
            Assert.IsType<MaskingNoise>(autoencoder.Corruption);
            double before = autoencoder.ReconstructionError(test.Features);
            History history = autoencoder.Fit(train.Features, epochs: 15, batchSize: 32, learningRate: 0.01f);
            double after = autoencoder.ReconstructionError(test.Features);
            output.WriteLine($"tied={tied}: test reconstruction error {before:F4} -> {after:F4}; training loss {history["loss"][0]:F4} -> {history["loss"][^1]:F4}");
            Assert.True(after < 0.5 * before, $"tied={tied}: {before} -> {after}");
            Assert.Equal(new Shape(test.Count, 16), autoencoder.Encode(test.Features).Shape);
        }
    }

    [Fact]
    public void ConvolutionalAutoencoderReconstructsImagesAsFlatRows()
    {
        var digits = TechniquesData.Digits.ReshapeFeatures(1, 8, 8);
        Tensor images = digits.Features.Narrow(0, 0, 300).Contiguous();
        var autoencoder = Autoencoder.Convolutional(channels: 1, width: 8, codeChannels: 4, generator: new RandomGenerator(7));
        Assert.Equal(new Shape(2, 64), autoencoder.Forward(images.Narrow(0, 0, 2)).Shape);
        double before = autoencoder.ReconstructionError(images);
        autoencoder.Fit(images, epochs: 15, batchSize: 32, learningRate: 0.01f);
        double after = autoencoder.ReconstructionError(images);
        output.WriteLine($"conv autoencoder: {before:F4} -> {after:F4}");
        Assert.True(after < 0.6 * before);
    }

    [Fact]
    public void AutoencodersAndRbmsSaveAndLoadOnceRegistered()
    {
        PretrainingModules.Register();
        var autoencoder = Autoencoder.Convolutional(channels: 1, width: 4, codeChannels: 2, corruption: 0.1f, generator: new RandomGenerator(16));
        var rbm = new Rbm(6, 3, new RandomGenerator(17));
        Tensor images = Tensor.Rand([3, 1, 8, 8], new RandomGenerator(18));
        string path = Path.Combine(Path.GetTempPath(), $"dendrite-autoencoder-{Guid.NewGuid():N}");
        try
        {
            Model.Save(autoencoder, path);
            var loaded = Assert.IsType<Autoencoder>(Model.Load(path));
            Assert.IsType<MaskingNoise>(loaded.Corruption);
            Assert.Equal(autoencoder.Reconstruct(images).ToArray(), loaded.Reconstruct(images).ToArray());
            Model.Save(rbm, path + "-rbm");
            var loadedRbm = Assert.IsType<Rbm>(Model.Load(path + "-rbm"));
            Assert.Equal(rbm.Weight.ToArray(), loadedRbm.Weight.ToArray());
        }
        finally
        {
            foreach (string file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(path) + "*")) File.Delete(file);
        }
    }

    [Fact]
    public void PcaFindsThePlaneTheDataLieIn()
    {
        // Points on a 2-D plane in 5-D, plus an offset: two components reconstruct them exactly.
        var generator = new RandomGenerator(8);
        Tensor coefficients = Tensor.Randn([200, 2], generator);
        var basis = Tensor.FromArray([1, 2, 0, -1, 0.5f, 0, 1, 1, 1, -2], new Shape(2, 5));
        Tensor data = coefficients.MatMul(basis) + Tensor.FromArray([3, -1, 0, 2, 1]);
        Pca pca = Pca.Fit(data, 2);
        Assert.True(pca.ReconstructionError(data) < 1e-8, $"error {pca.ReconstructionError(data)}");
        Assert.True(pca.ExplainedVariance[0] >= pca.ExplainedVariance[1]);
        Assert.Equal(pca.TotalVariance, pca.ExplainedVariance.Sum(), 3);
        float[] u = pca.Components.ToArray();
        double dot = 0, norm0 = 0, norm1 = 0;
        for (int i = 0; i < 5; i++) { dot += u[i] * u[5 + i]; norm0 += u[i] * u[i]; norm1 += u[5 + i] * u[5 + i]; }
        Assert.Equal(0, dot, 5);
        Assert.Equal(1, norm0, 5);
        Assert.Equal(1, norm1, 5);
        // One component leaves the second direction's variance as error.
        Assert.True(Pca.Fit(data, 1).ReconstructionError(data) > 0.1);
    }

    [Fact]
    public void ContrastiveDivergenceLowersReconstructionErrorAndWidensTheFreeEnergyGap()
    {
        // Binarised digits: data should end with much lower free energy than random binary noise.
        var (train, _) = TechniquesData.DigitsSplit(seed: 5);
        Tensor data = train.Features.Greater(0.4f);
        Tensor noise = Tensor.Bernoulli(data.Shape, data.Mean().Item(), new RandomGenerator(9));
        var rbm = new Rbm(64, 32, new RandomGenerator(10));
        double Gap()
        {
            using var _ = new NoGrad();
            return rbm.FreeEnergy(noise).Mean().Item() - rbm.FreeEnergy(data).Mean().Item();
        }
        double gapBefore = Gap(), errorBefore = rbm.ReconstructionError(data);
        var errors = rbm.Fit(data, epochs: 10, batchSize: 32, learningRate: 0.05f, k: 1, generator: new RandomGenerator(11));
        double gapAfter = Gap(), errorAfter = rbm.ReconstructionError(data);
        output.WriteLine($"reconstruction error {errorBefore:F4} -> {errorAfter:F4} ({string.Join(", ", errors.Select(e => e.ToString("F4")))}); free-energy gap noise - data {gapBefore:F2} -> {gapAfter:F2}");
        Assert.True(errorAfter < 0.7 * errorBefore);
        Assert.True(gapAfter > gapBefore + 10, "CD-1 should lower the data's free energy relative to noise");
        Assert.Equal(new Shape(5, 32), rbm.Forward(data.Narrow(0, 0, 5)).Shape);

        // The RBM as a dense layer computes the same p(h | v).
        Dense dense = rbm.ToDense();
        using var noGrad = new NoGrad();
        float[] viaRbm = rbm.HiddenProbabilities(data.Narrow(0, 0, 5)).ToArray(), viaDense = dense.Forward(data.Narrow(0, 0, 5)).ToArray();
        for (int i = 0; i < viaRbm.Length; i++) Assert.Equal(viaRbm[i], viaDense[i], 5);
    }

    [Fact]
    public void FreeEnergyGradientIsTheContrastiveDivergenceUpdate()
    {
        // d/dW of mean F(v) is −mean p(h|v)·vᵀ: the positive phase of CD.
        var rbm = new Rbm(5, 3, new RandomGenerator(12));
        Tensor v = Tensor.Bernoulli([4, 5], 0.5f, new RandomGenerator(13));
        rbm.ZeroGrad();
        rbm.FreeEnergy(v).Mean().Backward();
        float[] grad = rbm.Weight.Grad!.ToArray();
        Tensor h;
        using (new NoGrad()) h = rbm.HiddenProbabilities(v);
        float[] expected = (h.T.MatMul(v) * (-1f / 4)).ToArray();
        for (int i = 0; i < grad.Length; i++) Assert.Equal(expected[i], grad[i], 5);
    }

    [Fact]
    public void GreedyPretrainingStacksLayersOfTheRequestedSizes()
    {
        var (train, _) = TechniquesData.DigitsSplit(seed: 6);
        Tensor x = train.Features.Narrow(0, 0, 200).Contiguous();
        var errors = new List<double>();
        var layers = GreedyPretraining.StackedAutoencoders(x, [64, 32, 16, 8], () => new Sigmoid(), epochs: 2, generator: new RandomGenerator(14),
            onLayer: (_, e) => errors.Add(e));
        Assert.Equal([32, 16, 8], layers.Select(l => l.OutFeatures));
        Assert.Equal(3, errors.Count);
        Sequential classifier = GreedyPretraining.Classifier(layers, 10);
        Assert.Equal(new Shape(3, 10), classifier.Forward(x.Narrow(0, 0, 3)).Shape);
        var dbn = GreedyPretraining.DeepBeliefNetwork(x, [64, 20, 10], epochs: 2, generator: new RandomGenerator(15));
        Assert.Equal([20, 10], dbn.Select(l => l.OutFeatures));
        Assert.IsType<Sigmoid>(dbn[0].Activation);
    }
}
