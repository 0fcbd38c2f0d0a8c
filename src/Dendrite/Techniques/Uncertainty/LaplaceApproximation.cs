using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Uncertainty;

/// <summary>
/// The Laplace approximation to the posterior over a small network's weights (MacKay 1992; Bishop,
/// PRML §5.7, as the seeds give it): a Gaussian centred on the trained weights w_MAP with precision
/// A = α·I + H, where H is the Gauss-Newton Hessian of the data term. Predictions then carry an
/// uncertainty from the linearisation y(x, w) ≈ y(x, w_MAP) + gᵀ(w − w_MAP), g = ∂y/∂w:
/// <list type="bullet">
/// <item>regression (Gaussian noise of precision β): H = β·Σ_n g_n·g_nᵀ and the predictive variance
/// σ²(x) = 1/β + gᵀA⁻¹g;</item>
/// <item>binary classification (one logistic output a, cross-entropy): H = Σ_n y_n(1 − y_n)·g_n·g_nᵀ,
/// the logit's variance s² = gᵀA⁻¹g, and the probit-corrected probability
/// p(t = 1 | x) ≈ σ(κ(s²)·a), κ(s²) = (1 + π·s²/8)^(−1/2).</item>
/// </list>
/// gᵀA⁻¹g grows where the training data constrained the weights little, i.e. away from the data.
/// A is P×P: for networks of at most a few thousand weights.
/// </summary>
public sealed class LaplaceApproximation
{
    private readonly Module _model;
    private readonly ParameterVector _parameters;

    private LaplaceApproximation(Module model, ParameterVector parameters, double[,] covariance, double priorPrecision, double noisePrecision)
    {
        _model = model;
        _parameters = parameters;
        Covariance = covariance;
        PriorPrecision = priorPrecision;
        NoisePrecision = noisePrecision;
    }

    /// <summary>A⁻¹, [P, P]: the posterior covariance of the weights.</summary>
    public double[,] Covariance { get; }

    /// <summary>α, the precision of the Gaussian prior on the weights.</summary>
    public double PriorPrecision { get; }

    /// <summary>β, the noise precision (regression); NaN for classification.</summary>
    public double NoisePrecision { get; }

    /// <summary>
    /// Fits the approximation for a trained regression network on its training data: inputs [N, ...],
    /// targets [N, K]. β defaults to its maximum-likelihood value N·K / Σ(y − t)².
    /// </summary>
    public static LaplaceApproximation ForRegression(Module model, Tensor inputs, Tensor targets, double priorPrecision = 1.0, double? noisePrecision = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        CheckPrecision(priorPrecision, nameof(priorPrecision));
        var parameters = ParameterVector.Trainable(model);
        double beta = noisePrecision ?? MaximumLikelihoodNoisePrecision(model, inputs, targets);
        CheckPrecision(beta, nameof(noisePrecision));
        double[,] h = Curvature.GaussNewton(model, parameters, inputs, average: false);
        return new LaplaceApproximation(model, parameters, Posterior(h, beta, priorPrecision), priorPrecision, beta);
    }

    /// <summary>Fits the approximation for a trained binary classifier with one logit output, on its training inputs [N, ...].</summary>
    public static LaplaceApproximation ForBinaryClassification(Module model, Tensor inputs, double priorPrecision = 1.0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        CheckPrecision(priorPrecision, nameof(priorPrecision));
        var parameters = ParameterVector.Trainable(model);
        double[,] h = Curvature.GaussNewton(model, parameters, inputs, average: false, outputCurvature: a =>
        {
            float y = 1f / (1f + MathF.Exp(-a));
            return y * (1f - y);
        });
        return new LaplaceApproximation(model, parameters, Posterior(h, 1.0, priorPrecision), priorPrecision, double.NaN);
    }

    /// <summary>
    /// The predictive mean y(x, w_MAP) and variance σ²(x) = 1/β + gᵀA⁻¹g for inputs [N, ...]; both [N, K].
    /// With <paramref name="includeNoise"/> false, only the weight uncertainty gᵀA⁻¹g.
    /// </summary>
    public (Tensor Mean, Tensor Variance) PredictRegression(Tensor inputs, bool includeNoise = true)
    {
        var (mean, variance) = LinearisedVariance(inputs);
        if (includeNoise && !double.IsNaN(NoisePrecision))
        {
            Span<float> v = variance.Data;
            for (int i = 0; i < v.Length; i++) v[i] += (float)(1.0 / NoisePrecision);
        }
        return (mean, variance);
    }

    /// <summary>
    /// For a binary classifier: the probit-corrected probability σ(κ(s²)·a), the uncorrected σ(a), and
    /// the logit variance s² = gᵀA⁻¹g, each [N, 1], for inputs [N, ...].
    /// </summary>
    public (Tensor Probability, Tensor MapProbability, Tensor LogitVariance) PredictBinary(Tensor inputs)
    {
        var (logits, variance) = LinearisedVariance(inputs);
        float[] a = logits.ToArray(), s2 = variance.ToArray();
        var corrected = new float[a.Length];
        var map = new float[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            double kappa = 1.0 / Math.Sqrt(1.0 + Math.PI * s2[i] / 8.0);   // κ(s²) = (1 + πs²/8)^(−1/2)
            corrected[i] = (float)(1.0 / (1.0 + Math.Exp(-kappa * a[i])));
            map[i] = (float)(1.0 / (1.0 + Math.Exp(-a[i])));
        }
        return (Tensor.Wrap(corrected, logits.Shape), Tensor.Wrap(map, logits.Shape), variance);
    }

    /// <summary>The network's outputs and gᵀA⁻¹g per output, both [N, K].</summary>
    private (Tensor Mean, Tensor Variance) LinearisedVariance(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int n = inputs.Shape[0];
        var means = new List<float>();
        var variances = new List<float>();
        int outputs = 1;
        Curvature.ForEachOutputGradient(_model, _parameters, inputs, (_, _, count, value, g) =>
        {
            outputs = count;
            means.Add(value);
            variances.Add((float)Linalg.QuadraticForm(Covariance, g));
        });
        return (Tensor.Wrap([.. means], new Shape(n, outputs)), Tensor.Wrap([.. variances], new Shape(n, outputs)));
    }

    /// <summary>β_ML = N·K / Σ(y − t)² from the network's residuals.</summary>
    public static double MaximumLikelihoodNoisePrecision(Module model, Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(model);
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            using var _ = new NoGrad();
            Tensor residual = model.Forward(inputs) - targets;
            double sum = residual.Square().Sum().Item();
            return residual.Count / Math.Max(sum, 1e-12);
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    /// <summary>A⁻¹ with A = α·I + β·H.</summary>
    private static double[,] Posterior(double[,] h, double beta, double alpha)
    {
        int p = h.GetLength(0);
        var a = new double[p, p];
        for (int i = 0; i < p; i++)
        {
            for (int j = 0; j < p; j++) a[i, j] = beta * h[i, j];
            a[i, i] += alpha;
        }
        return Linalg.InverseSpd(a, out _);
    }

    private static void CheckPrecision(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value)) throw new ArgumentOutOfRangeException(name, $"LaplaceApproximation: {name} must be positive and finite; got {value}.");
    }
}
