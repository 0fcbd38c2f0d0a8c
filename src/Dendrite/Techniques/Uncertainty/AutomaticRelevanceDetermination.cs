using System.Globalization;
using System.Text;
using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Ops;
using Dendrite.Optim;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Uncertainty;

/// <summary>The outcome of <see cref="AutomaticRelevanceDetermination.Fit"/>: one precision per input, the ranking, and the noise precision.</summary>
/// <param name="InputPrecisions">α_i per input: a large α_i pins input i's weights near zero (an irrelevant input).</param>
/// <param name="OtherPrecision">α of the remaining weights and biases.</param>
/// <param name="NoisePrecision">β, the re-estimated noise precision.</param>
/// <param name="EffectiveParameters">γ per input group: how many of its weights the data determine.</param>
/// <param name="FeatureNames">Names of the inputs (or "x0", "x1", ...).</param>
public sealed record ArdResult(double[] InputPrecisions, double OtherPrecision, double NoisePrecision, double[] EffectiveParameters, IReadOnlyList<string> FeatureNames)
{
    /// <summary>The inputs from most to least relevant (increasing α_i).</summary>
    public int[] Ranking => Enumerable.Range(0, InputPrecisions.Length).OrderBy(i => InputPrecisions[i]).ThenBy(i => i).ToArray();

    /// <summary>A table of the inputs, most relevant first: rank, name, α_i, relevance 1/α_i, γ_i.</summary>
    public string ToTable()
    {
        var text = new StringBuilder("rank  input            alpha     1/alpha   gamma\n");
        int rank = 1;
        foreach (int i in Ranking)
            text.AppendLine(CultureInfo.InvariantCulture, $"{rank++,4}  {FeatureNames[i],-12}  {InputPrecisions[i],9:G4}  {1 / InputPrecisions[i],9:G4}  {EffectiveParameters[i],6:F2}");
        return text.ToString();
    }
}

/// <summary>
/// Automatic relevance determination (MacKay 1994; Neal 1996; Bishop, PRML §5.7.4 and §7.2) for a
/// small regression network whose first layer is a <see cref="Dense"/> layer: the weights leaving
/// input i share a Gaussian prior of precision α_i, the other weights one of precision α_w, the
/// targets noise of precision β. Training minimises
/// <code>M(w) = β·½·Σ_n ‖y_n − t_n‖² + Σ_g α_g·½·‖w_g‖²</code>
/// and between training rounds the hyper-parameters are re-estimated by the evidence framework with
/// the Gauss-Newton Hessian A = β·JᵀJ + diag(α):
/// <code>γ_g = Σ_(j∈g) (1 − α_g·[A⁻¹]_jj),   α_g ← γ_g / ‖w_g‖²,   β ← (N·K − Σ_g γ_g) / Σ_n ‖y_n − t_n‖²</code>
/// Irrelevant inputs end with large α_i (weights pinned to zero), so 1/α_i ranks the inputs.
/// </summary>
public static class AutomaticRelevanceDetermination
{
    /// <summary>
    /// Runs <paramref name="cycles"/> rounds of training (<paramref name="stepsPerCycle"/> full-batch
    /// Adam steps on M(w)) and re-estimation on data inputs [N, d], targets [N, K].
    /// </summary>
    public static ArdResult Fit(Sequential model, Tensor inputs, Tensor targets, int cycles = 8, int stepsPerCycle = 300, float learningRate = 0.01f,
        double initialPrecision = 0.1, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (model.Count == 0 || model[0] is not Dense first)
            throw new ArgumentException("AutomaticRelevanceDetermination: the model's first layer must be a Dense layer (its columns are the inputs' weights).", nameof(model));
        int d = first.InFeatures, hidden = first.OutFeatures;
        if (inputs.Rank != 2 || inputs.Shape[1] != d)
            throw new ShapeMismatchException($"AutomaticRelevanceDetermination: inputs {inputs.Shape} must be [N, {d}].");
        var parameters = ParameterVector.Trainable(model);
        int p = parameters.Count;
        int firstOffset = parameters.OffsetOf(first.Weight);
        // Group of every element of θ: input i for column i of the first weight, d for the rest.
        var group = new int[p];
        for (int j = 0; j < p; j++) group[j] = d;
        for (int o = 0; o < hidden; o++)
            for (int i = 0; i < d; i++) group[firstOffset + o * d + i] = i;

        var alpha = Enumerable.Repeat(initialPrecision, d + 1).ToArray();
        double beta = 1.0;
        var gamma = new double[d + 1];
        var optimizer = new Adam(model.Parameters(), learningRate);
        for (int cycle = 0; cycle < cycles; cycle++)
        {
            // Train on M(w)/β = ½Σ(y − t)² + Σ_g (α_g/β)·½‖w_g‖².
            var weightScale = new float[p];
            for (int j = 0; j < p; j++) weightScale[j] = (float)(alpha[group[j]] / beta);
            var penaltyScales = parameters.Parameters.Select(q => Tensor.Wrap(weightScale.AsSpan(parameters.OffsetOf(q), q.Count).ToArray(), q.Shape)).ToArray();
            model.Train();
            for (int step = 0; step < stepsPerCycle; step++)
            {
                optimizer.ZeroGrad();
                Tensor loss = (model.Forward(inputs) - targets).Square().Sum() * 0.5f;
                for (int q = 0; q < penaltyScales.Length; q++)
                    loss += (parameters.Parameters[q].Square() * penaltyScales[q]).Sum() * 0.5f;
                loss.Backward();
                optimizer.Step();
            }

            // Re-estimate α and β by the evidence framework.
            double[,] jtj = Curvature.GaussNewton(model, parameters, inputs, average: false);
            var a = new double[p, p];
            for (int i = 0; i < p; i++)
            {
                for (int j = 0; j < p; j++) a[i, j] = beta * jtj[i, j];
                a[i, i] += alpha[group[i]];
            }
            double[,] inverse = Linalg.InverseSpd(a, out _);
            double[] w = parameters.GetValues();
            Array.Clear(gamma);
            var squares = new double[d + 1];
            for (int j = 0; j < p; j++)
            {
                gamma[group[j]] += 1 - alpha[group[j]] * inverse[j, j];
                squares[group[j]] += w[j] * w[j];
            }
            for (int g = 0; g <= d; g++)
                alpha[g] = Math.Clamp(Math.Max(gamma[g], 1e-6) / Math.Max(squares[g], 1e-12), 1e-6, 1e8);
            double errors = LaplaceApproximation.MaximumLikelihoodNoisePrecision(model, inputs, targets);
            double sumOfSquares = targets.Count / errors;
            beta = Math.Max(targets.Count - gamma.Sum(), 1) / Math.Max(sumOfSquares, 1e-12);
        }
        var names = featureNames ?? Enumerable.Range(0, d).Select(i => "x" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        return new ArdResult(alpha[..d], alpha[d], beta, gamma[..d], names);
    }
}
