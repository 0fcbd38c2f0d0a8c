using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Classic;

/// <summary>One candidate network scored by the prediction-error rule.</summary>
/// <param name="Name">The candidate's name, e.g. "8 hidden units".</param>
/// <param name="Weights">N_W, its number of trainable weights.</param>
/// <param name="TrainingError">E = ½·Σ (y − t)² over the training targets.</param>
/// <param name="TrainingMse">2E/N, the mean squared error per target value.</param>
/// <param name="Penalty">2·N_W·σ²/N, the complexity term.</param>
/// <param name="PredictionError">PE = 2E/N + 2·N_W·σ²/N, the estimate of the error on new data.</param>
public sealed record PredictionErrorCandidate(string Name, long Weights, double TrainingError, double TrainingMse, double Penalty, double PredictionError);

/// <summary>The candidates scored by the prediction-error rule and the one it picks.</summary>
/// <param name="Candidates">Every candidate, in the order given.</param>
/// <param name="NoiseVariance">σ², the noise variance used.</param>
/// <param name="Best">The index of the candidate with the lowest PE.</param>
public sealed record PredictionErrorTable(IReadOnlyList<PredictionErrorCandidate> Candidates, double NoiseVariance, int Best)
{
    /// <summary>The chosen candidate.</summary>
    public PredictionErrorCandidate Chosen => Candidates[Best];
}

/// <summary>
/// The seeds' prediction-error rule for choosing a network's size without a validation set
/// (Akaike's final prediction error as Moody's and Barron's generalised form states it for networks):
/// PE = 2E/N + 2·N_W·σ²/N, with E = ½·Σ_n (y_n − t_n)² the training error, N the number of training
/// targets, N_W the number of weights and σ² the variance of the noise on the targets. The training
/// error falls as the network grows; the second term charges each weight for the noise it can fit. The
/// candidate with the smallest PE is expected to predict new data best.
/// </summary>
/// <remarks>
/// <para>σ² is rarely known. <see cref="NoiseVarianceEstimate"/> gives the usual estimate from a
/// network big enough to have little bias: σ̂² = 2E/(N − N_W) (the residual variance with N_W degrees of
/// freedom used up); when σ² is not given, <see cref="Compare"/> takes the smallest such estimate over
/// the candidates with N_W &lt; N (slightly optimistic, being a minimum, but robust to a large
/// candidate that did not reach its minimum). With K outputs, N counts target values (samples × K). The rule assumes the weights are
/// all "effective" (no strong regularisation) and the networks are trained to a minimum.</para>
/// </remarks>
public static class PredictionError
{
    /// <summary>PE = 2E/N + 2·N_W·σ²/N.</summary>
    /// <param name="trainingError">E = ½·Σ (y − t)² (≥ 0).</param>
    /// <param name="count">N, the number of training targets (≥ 1).</param>
    /// <param name="weights">N_W (≥ 0).</param>
    /// <param name="noiseVariance">σ² (≥ 0).</param>
    public static double Estimate(double trainingError, long count, long weights, double noiseVariance)
    {
        Check(trainingError, count, weights);
        if (!(noiseVariance >= 0)) throw new ArgumentOutOfRangeException(nameof(noiseVariance), noiseVariance, "PredictionError: σ² must be non-negative.");
        return 2 * trainingError / count + 2.0 * weights * noiseVariance / count;
    }

    /// <summary>σ̂² = 2E/(N − N_W), the noise variance left by a network of N_W &lt; N weights.</summary>
    public static double NoiseVarianceEstimate(double trainingError, long count, long weights)
    {
        Check(trainingError, count, weights);
        if (weights >= count)
            throw new ArgumentException($"PredictionError: a network with {weights} weights fits {count} targets with no degrees of freedom left; estimate σ² from a network with fewer weights than targets.", nameof(weights));
        return 2 * trainingError / (count - weights);
    }

    /// <summary>
    /// Scores trained candidate networks on their training data and picks the one with the lowest PE.
    /// </summary>
    /// <param name="candidates">(name, trained network) pairs, e.g. one per hidden-layer width.</param>
    /// <param name="inputs">The training inputs [N, ...].</param>
    /// <param name="targets">The training targets, the shape of a network's output.</param>
    /// <param name="noiseVariance">σ²; null takes the smallest <see cref="NoiseVarianceEstimate"/> over the candidates with fewer weights than targets.</param>
    public static PredictionErrorTable Compare(IReadOnlyList<(string Name, Module Model)> candidates, Tensor inputs, Tensor targets, double? noiseVariance = null)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (candidates.Count == 0) throw new ArgumentException("PredictionError: no candidates to compare.", nameof(candidates));
        long count = targets.Count;
        var scored = new List<(string Name, long Weights, double Error)>();
        foreach (var (name, model) in candidates)
        {
            ArgumentNullException.ThrowIfNull(model);
            bool wasTraining = model.IsTraining;
            model.Eval();
            double error;
            try
            {
                using var _ = new NoGrad();
                Tensor output = model.Forward(inputs);
                if (output.Shape != targets.Shape)
                    throw new ShapeMismatchException($"PredictionError: candidate '{name}' gives outputs {output.Shape} for targets {targets.Shape}.");
                error = 0;
                float[] y = output.Contiguous().ToArray(), t = targets.Contiguous().ToArray();
                for (int i = 0; i < y.Length; i++) error += 0.5 * ((double)y[i] - t[i]) * ((double)y[i] - t[i]);
            }
            finally
            {
                model.Train(wasTraining);
            }
            scored.Add((name, model.ParameterCount().Trainable, error));
        }

        double variance;
        if (noiseVariance is double given) variance = given;
        else
        {
            // The lowest residual variance over the candidates that leave degrees of freedom: a network
            // big enough to have little bias, whose fit has not merely used up the degrees of freedom.
            var estimates = scored.Where(c => c.Weights < count).Select(c => NoiseVarianceEstimate(c.Error, count, c.Weights)).ToList();
            if (estimates.Count == 0)
                throw new ArgumentException($"PredictionError: every candidate has at least as many weights as the {count} targets, so σ² cannot be estimated from them; give noiseVariance.", nameof(candidates));
            variance = estimates.Min();
        }

        var rows = scored.Select(c =>
        {
            double mse = 2 * c.Error / count, penalty = 2.0 * c.Weights * variance / count;
            return new PredictionErrorCandidate(c.Name, c.Weights, c.Error, mse, penalty, Estimate(c.Error, count, c.Weights, variance));
        }).ToList();
        int best = 0;
        for (int i = 1; i < rows.Count; i++) if (rows[i].PredictionError < rows[best].PredictionError) best = i;
        return new PredictionErrorTable(rows, variance, best);
    }

    private static void Check(double trainingError, long count, long weights)
    {
        if (!(trainingError >= 0)) throw new ArgumentOutOfRangeException(nameof(trainingError), trainingError, "PredictionError: the training error E must be non-negative.");
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "PredictionError: N must be at least 1.");
        if (weights < 0) throw new ArgumentOutOfRangeException(nameof(weights), weights, "PredictionError: N_W must be non-negative.");
    }
}
