using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Pruning;

/// <summary>How <see cref="NeuronPruning"/> ranks the hidden units of a layer (the lowest go first).</summary>
public enum NeuronCriterion
{
    /// <summary>‖W_next[:, j]‖₂, the norm of the unit's outgoing weights: a unit the next layer barely listens to.</summary>
    OutgoingWeightNorm,

    /// <summary>Mean |a_j| over data: a unit that is nearly always off (dead ReLUs).</summary>
    MeanAbsoluteActivation,

    /// <summary>Variance of a_j over data: a unit that is nearly constant (its effect can be folded into the next bias).</summary>
    ActivationVariance,
}

/// <summary>
/// Pruning of whole hidden units of a <see cref="Sequential"/> of <see cref="Dense"/> layers: the
/// layer really shrinks (fewer rows of W and b) and so does the next dense layer (fewer columns),
/// so the pruned network is smaller and faster, not only sparser.
/// </summary>
public static class NeuronPruning
{
    /// <summary>
    /// The score of every unit of the dense layer at <paramref name="layerIndex"/> (low = prunable).
    /// <paramref name="inputs"/> [N, ...] are needed for the activation criteria.
    /// </summary>
    public static float[] Scores(Sequential model, int layerIndex, NeuronCriterion criterion, Tensor? inputs = null)
    {
        var (dense, next, _) = Locate(model, layerIndex);
        int units = dense.OutFeatures;
        var scores = new float[units];
        if (criterion == NeuronCriterion.OutgoingWeightNorm)
        {
            ReadOnlySpan<float> w = next.Weight.Data; // [nextOut, units]
            for (int o = 0; o < next.OutFeatures; o++)
                for (int j = 0; j < units; j++) scores[j] += w[o * units + j] * w[o * units + j];
            for (int j = 0; j < units; j++) scores[j] = MathF.Sqrt(scores[j]);
            return scores;
        }
        if (inputs is null) throw new ArgumentNullException(nameof(inputs), $"NeuronPruning: the {criterion} criterion needs inputs to measure activations.");
        float[] activations = Activations(model, layerIndex, inputs);
        int n = activations.Length / units;
        var mean = new double[units];
        var square = new double[units];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < units; j++)
            {
                double a = activations[r * units + j];
                mean[j] += criterion == NeuronCriterion.MeanAbsoluteActivation ? Math.Abs(a) : a;
                square[j] += a * a;
            }
        for (int j = 0; j < units; j++)
        {
            double m = mean[j] / Math.Max(n, 1);
            scores[j] = criterion == NeuronCriterion.MeanAbsoluteActivation ? (float)m : (float)Math.Max(0, square[j] / Math.Max(n, 1) - m * m);
        }
        return scores;
    }

    /// <summary>
    /// Keeps the <paramref name="keep"/> best units of the dense layer at <paramref name="layerIndex"/>
    /// by <paramref name="criterion"/> and returns the smaller network (the other layers are shared
    /// with <paramref name="model"/>) and the kept unit indices.
    /// </summary>
    public static (Sequential Model, int[] KeptUnits) Prune(Sequential model, int layerIndex, int keep, NeuronCriterion criterion = NeuronCriterion.OutgoingWeightNorm, Tensor? inputs = null)
    {
        float[] scores = Scores(model, layerIndex, criterion, inputs);
        if (keep <= 0 || keep > scores.Length)
            throw new ArgumentOutOfRangeException(nameof(keep), $"NeuronPruning: keep must be in [1, {scores.Length}]; got {keep}.");
        int[] kept = Enumerable.Range(0, scores.Length).OrderByDescending(j => scores[j]).ThenBy(j => j).Take(keep).Order().ToArray();
        return (RemoveUnits(model, layerIndex, kept), kept);
    }

    /// <summary>
    /// A copy of <paramref name="model"/> in which the dense layer at <paramref name="layerIndex"/> keeps
    /// only <paramref name="keptUnits"/> (rows of W and b) and the next dense layer only the matching
    /// input columns. Layers between them must keep the shape (activations, dropout, noise).
    /// </summary>
    public static Sequential RemoveUnits(Sequential model, int layerIndex, IReadOnlyList<int> keptUnits)
    {
        ArgumentNullException.ThrowIfNull(keptUnits);
        var (dense, next, nextIndex) = Locate(model, layerIndex);
        int units = dense.OutFeatures, keep = keptUnits.Count;
        if (keep == 0 || keptUnits.Any(j => j < 0 || j >= units) || keptUnits.Distinct().Count() != keep)
            throw new ArgumentException($"NeuronPruning: kept units must be distinct indices in [0, {units}) and at least one.", nameof(keptUnits));

        var shrunk = new Dense(dense.InFeatures, keep, dense.Activation, dense.Bias is not null,
            weightRegularizer: dense.Weight.Regularizer, weightConstraint: dense.Weight.Constraint);
        ReadOnlySpan<float> w = dense.Weight.Data;
        Span<float> nw = shrunk.Weight.Data;
        for (int k = 0; k < keep; k++)
            w.Slice(keptUnits[k] * dense.InFeatures, dense.InFeatures).CopyTo(nw.Slice(k * dense.InFeatures, dense.InFeatures));
        if (dense.Bias is not null)
            for (int k = 0; k < keep; k++) shrunk.Bias!.Data[k] = dense.Bias.Data[keptUnits[k]];

        var narrowed = new Dense(keep, next.OutFeatures, next.Activation, next.Bias is not null,
            weightRegularizer: next.Weight.Regularizer, weightConstraint: next.Weight.Constraint);
        ReadOnlySpan<float> v = next.Weight.Data;
        Span<float> nv = narrowed.Weight.Data;
        for (int o = 0; o < next.OutFeatures; o++)
            for (int k = 0; k < keep; k++) nv[o * keep + k] = v[o * units + keptUnits[k]];
        if (next.Bias is not null) next.Bias.Data.CopyTo(narrowed.Bias!.Data);

        var result = new Sequential();
        for (int i = 0; i < model.Count; i++)
            result.Add(i == layerIndex ? shrunk : i == nextIndex ? narrowed : model[i]);
        result.Train(model.IsTraining);
        return result;
    }

    private static (Dense Dense, Dense Next, int NextIndex) Locate(Sequential model, int layerIndex)
    {
        ArgumentNullException.ThrowIfNull(model);
        if ((uint)layerIndex >= (uint)model.Count || model[layerIndex] is not Dense dense)
            throw new ArgumentException($"NeuronPruning: layer {layerIndex} of the model must be a Dense layer.", nameof(layerIndex));
        for (int i = layerIndex + 1; i < model.Count; i++)
        {
            Module layer = model[i];
            if (layer is Dense next) return (dense, next, i);
            if (layer is not (ActivationLayer or DropoutBase or GaussianNoise))
                throw new ArgumentException($"NeuronPruning: between layer {layerIndex} and the next Dense sits {layer.Describe()}, which would have to shrink too; only activations, dropout and noise layers may sit between them.", nameof(layerIndex));
        }
        throw new ArgumentException($"NeuronPruning: no Dense layer follows layer {layerIndex}; the output layer's units cannot be pruned.", nameof(layerIndex));
    }

    /// <summary>The outputs [N, units] of layers 0..layerIndex in evaluation mode.</summary>
    private static float[] Activations(Sequential model, int layerIndex, Tensor inputs)
    {
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            using var _ = new NoGrad();
            Tensor x = inputs;
            for (int i = 0; i <= layerIndex; i++) x = model[i].Forward(x);
            return x.ToArray();
        }
        finally
        {
            model.Train(wasTraining);
        }
    }
}
