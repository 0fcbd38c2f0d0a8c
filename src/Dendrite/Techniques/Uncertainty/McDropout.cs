using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Uncertainty;

/// <summary>
/// Monte-Carlo dropout (Gal and Ghahramani 2016), the scalable alternative to the Laplace
/// approximation: keep dropout on at prediction time (everything else, e.g. batch normalisation, in
/// evaluation mode), run T stochastic forward passes y_t(x), and report their mean
/// ȳ = (1/T)·Σ_t y_t and variance (1/T)·Σ_t (y_t − ȳ)² as the predictive uncertainty.
/// </summary>
public static class McDropout
{
    /// <summary>
    /// Mean and variance over <paramref name="samples"/> dropout passes for inputs [N, ...]; both of the
    /// output's shape. The dropout layers draw from their own generators, or from the thread's default
    /// one, which is reseeded with <paramref name="seed"/> for the call and then restored.
    /// </summary>
    public static (Tensor Mean, Tensor Variance) Predict(Module model, Tensor inputs, int samples = 50, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        if (samples < 2) throw new ArgumentOutOfRangeException(nameof(samples), $"McDropout: at least two samples are needed for a variance; got {samples}.");
        var dropouts = model.NamedModules().Select(m => m.Module).Where(m => m is DropoutBase).ToList();
        if (dropouts.Count == 0)
            throw new InvalidOperationException($"McDropout: {model.Describe()} has no dropout layer, so every pass would give the same output; add Dropout layers (and train with them).");
        bool wasTraining = model.IsTraining;
        RandomGeneratorState saved = RandomGenerator.Default.GetState();
        RandomGenerator.SetDefaultSeed(seed);
        model.Eval();
        foreach (Module d in dropouts) d.Train(true);
        try
        {
            using var _ = new NoGrad();
            double[]? sum = null, sumOfSquares = null;
            Shape shape = default;
            for (int t = 0; t < samples; t++)
            {
                Tensor output = model.Forward(inputs);
                float[] y = output.ToArray();
                if (sum is null)
                {
                    sum = new double[y.Length];
                    sumOfSquares = new double[y.Length];
                    shape = output.Shape;
                }
                for (int i = 0; i < y.Length; i++)
                {
                    sum[i] += y[i];
                    sumOfSquares![i] += (double)y[i] * y[i];
                }
            }
            var mean = new float[sum!.Length];
            var variance = new float[sum.Length];
            for (int i = 0; i < mean.Length; i++)
            {
                double m = sum[i] / samples;
                mean[i] = (float)m;
                variance[i] = (float)Math.Max(0, sumOfSquares![i] / samples - m * m);
            }
            return (Tensor.Wrap(mean, shape), Tensor.Wrap(variance, shape));
        }
        finally
        {
            model.Train(wasTraining);
            RandomGenerator.Default.SetState(saved);
        }
    }
}
