using System.Globalization;
using System.Text;
using Dendrite.NN;
using Dendrite.Ops;
using Dendrite.Tensors;
using Dendrite.Training;
using Dendrite.Training.Callbacks;

namespace Dendrite.Techniques.Diagnostics;

/// <summary>
/// Watches training for the classic failure modes and says which layer suffers and what usually
/// cures it: vanishing gradients (the earliest layers' gradient norm orders of magnitude below the
/// last's), exploding or non-finite gradients, dead ReLU units, saturated sigmoid/tanh units, and a
/// learning rate that makes the loss diverge or oscillate. Each epoch it records, per layer, the
/// gradient norm, the weight norm and their ratio; at the end it prints a summary table.
/// </summary>
/// <remarks>
/// <para>Cost: the gradients are read on <see cref="DiagnosticsOptions.SampledBatchesPerEpoch"/>
/// batches per epoch, right after the optimiser step (the trainer clears them only at the start of
/// the next step), one sum of squares per parameter; the weights once per epoch; and the probe
/// samples go once per epoch through the model in evaluation mode without gradients. Nothing is
/// done per element on the other batches, and training itself is not changed (no random numbers
/// are drawn, batch-norm statistics are not updated).</para>
/// <para>Dead and saturated units are measured on <c>probeInputs</c>, a few hundred training samples;
/// without them those two checks are skipped. The walk looks inside <see cref="Sequential"/>
/// containers, <see cref="NN.Layers.Residual"/> bodies and <see cref="NN.Layers.ResidualBlock"/>s; a unit's activity is reported on the Dense or
/// convolutional layer that feeds it (a residual block's output units on its second convolution).</para>
/// </remarks>
public sealed class TrainingDiagnostics : Callback
{
    private readonly Tensor? _probe;
    private readonly TextWriter? _log;
    private readonly List<EpochDiagnostics> _epochs = [];
    private readonly List<DiagnosticWarning> _warnings = [];
    private readonly HashSet<(DiagnosticKind, string?)> _warned = [];
    private readonly List<DiagnosticWarning> _pending = [];
    private List<Tracked> _layers = [];
    private double[] _gradientNormSums = [];
    private int _sampledBatches;
    private HashSet<int> _sampleIndices = [];
    private double _firstLoss = double.NaN;
    private double _firstTotalGradientNorm = double.NaN;

    /// <summary>Creates the callback.</summary>
    /// <param name="probeInputs">Shape [n, ...sample]: samples on which dead and saturated units are looked for once per epoch (a few hundred training samples suffice); null to skip those checks.</param>
    /// <param name="options">Thresholds and sampling; the defaults when null.</param>
    /// <param name="log">Where warnings (at the end of the epoch they appear in) and the final summary are written; null to only collect them.</param>
    public TrainingDiagnostics(Tensor? probeInputs = null, DiagnosticsOptions? options = null, TextWriter? log = null)
    {
        Options = options ?? new DiagnosticsOptions();
        Options.Validate();
        if (probeInputs is not null && (probeInputs.Rank < 2 || probeInputs.Shape[0] == 0))
            throw new ArgumentException($"TrainingDiagnostics: probe inputs must be a non-empty batch [n, ...]; got {probeInputs.Shape}.", nameof(probeInputs));
        _probe = probeInputs?.Contiguous();
        _log = log;
    }

    /// <summary>The thresholds and sampling in use.</summary>
    public DiagnosticsOptions Options { get; }

    /// <summary>Per-epoch measurements, in order.</summary>
    public IReadOnlyList<EpochDiagnostics> Epochs => _epochs;

    /// <summary>Every warning raised, each kind at most once per layer, in the order raised.</summary>
    public IReadOnlyList<DiagnosticWarning> Warnings => _warnings;

    /// <summary>True when a warning of <paramref name="kind"/> was raised.</summary>
    public bool HasWarning(DiagnosticKind kind) => _warnings.Any(w => w.Kind == kind);

    // ---- Hooks ----

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingContext context)
    {
        _epochs.Clear();
        _warnings.Clear();
        _warned.Clear();
        _pending.Clear();
        _firstLoss = double.NaN;
        _firstTotalGradientNorm = double.NaN;
        _layers = context.Model.NamedModules()
            .Select(m => (m.Name, m.Module, Parameters: m.Module.OwnParameters().Select(p => p.Parameter).ToArray()))
            .Where(m => m.Parameters.Length > 0)
            .Select(m => new Tracked(m.Name, m.Module, m.Parameters, ActivationProbe.IsWeighted(m.Module)))
            .ToList();
        int weighted = 0;
        foreach (Tracked layer in _layers) layer.WeightedIndex = layer.IsWeighted ? ++weighted : 0;
        _gradientNormSums = new double[_layers.Count];
    }

    /// <inheritdoc/>
    public override void OnEpochBegin(TrainingContext context, int epoch)
    {
        Array.Clear(_gradientNormSums);
        _sampledBatches = 0;
        // Evenly spread over the epoch, ending with its last batch.
        int batches = Math.Max(1, context.BatchesPerEpoch), samples = Math.Min(Options.SampledBatchesPerEpoch, batches);
        _sampleIndices = Enumerable.Range(1, samples).Select(j => (int)((long)j * batches / samples) - 1).ToHashSet();
    }

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context, int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (logs.TryGetValue("loss", out double loss)) WatchBatchLoss(context.Epoch, batch, loss);
        if (!_sampleIndices.Contains(batch)) return;
        // The gradients of this step are still in place: the trainer clears them at the start of the next one.
        for (int i = 0; i < _layers.Count; i++) _gradientNormSums[i] += Math.Sqrt(GradientSumOfSquares(_layers[i].Parameters));
        _sampledBatches++;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, int epoch, IDictionary<string, double> logs)
    {
        var activity = _probe is null ? [] : ActivationProbe.Run(context.Model, _probe, Options);
        var layers = new List<LayerDiagnostics>(_layers.Count);
        for (int i = 0; i < _layers.Count; i++)
        {
            Tracked layer = _layers[i];
            double gradient = _sampledBatches == 0 ? double.NaN : _gradientNormSums[i] / _sampledBatches;
            double weight = Math.Sqrt(layer.Parameters.Sum(p => (double)TensorPrimitives.SumOfSquares(p.Data)));
            var mine = activity.Where(a => ReferenceEquals(a.Owner, layer.Module)).ToList();
            double? dead = mine.Select(a => a.DeadShare).FirstOrDefault(s => s is not null);
            double? saturated = mine.Select(a => a.SaturatedShare).FirstOrDefault(s => s is not null);
            layers.Add(new LayerDiagnostics(layer.Name, layer.Module.Describe(), layer.WeightedIndex, gradient, weight, dead, saturated));
        }
        double epochLoss = logs.TryGetValue("loss", out double value) ? value : double.NaN;
        var diagnostics = new EpochDiagnostics(epoch, epochLoss, layers);
        _epochs.Add(diagnostics);

        CheckGradients(diagnostics);
        CheckUnits(diagnostics);
        CheckEpochLoss(epoch);
        foreach (DiagnosticWarning warning in _pending) _log?.WriteLine(warning.ToString());
        _pending.Clear();
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(TrainingContext context)
    {
        foreach (DiagnosticWarning warning in _pending) _log?.WriteLine(warning.ToString());
        _pending.Clear();
        if (_log is null || _epochs.Count == 0) return;
        _log.Write(FormatSummary());
        _log.Flush();
    }

    // ---- Checks ----

    private void WatchBatchLoss(int epoch, int batch, double loss)
    {
        if (!double.IsFinite(loss))
        {
            Warn(DiagnosticKind.DivergingLoss, epoch, null,
                $"the loss became {loss.ToString(CultureInfo.InvariantCulture)} at batch {batch + 1}: the updates overshoot until the numbers overflow.", Remedies.Diverging);
            return;
        }
        if (double.IsNaN(_firstLoss))
        {
            _firstLoss = loss;
            return;
        }
        if (_firstLoss > 0 && loss > Options.DivergenceFactor * _firstLoss)
            Warn(DiagnosticKind.DivergingLoss, epoch, null,
                $"a batch loss rose to {G(loss)} at batch {batch + 1}, {G(loss / _firstLoss)} times the first batch's {G(_firstLoss)}: the learning rate is too high.", Remedies.Diverging);
    }

    private void CheckEpochLoss(int epoch)
    {
        var losses = _epochs.Select(e => e.Loss).ToList();
        double loss = losses[^1];
        if (!double.IsFinite(loss) || double.IsNaN(_firstLoss)) return; // a non-finite loss was reported per batch
        double best = losses.Take(losses.Count - 1).Where(double.IsFinite).DefaultIfEmpty(_firstLoss).Min();
        best = Math.Min(best, _firstLoss);
        // Half the divergence factor above the start on average over an epoch, or most of the progress lost again.
        if (_firstLoss > 0 && loss > (1 + (Options.DivergenceFactor - 1) / 2) * _firstLoss)
            Warn(DiagnosticKind.DivergingLoss, epoch, null,
                $"the epoch's mean loss {G(loss)} is {G(loss / _firstLoss)} times the first batch's {G(_firstLoss)}: training is moving away from the minimum.", Remedies.Diverging);
        else if (losses.Count > 1 && _firstLoss > best && loss > best + 0.5 * (_firstLoss - best))
            Warn(DiagnosticKind.DivergingLoss, epoch, null,
                $"the loss rose back to {G(loss)} after reaching {G(best)}, losing more than half of the progress from {G(_firstLoss)}.", Remedies.Diverging);

        int window = Options.OscillationWindow;
        if (losses.Count <= window) return;
        double tolerance = Options.OscillationTolerance * Math.Max(0, _firstLoss - best);
        int rises = 0;
        for (int i = losses.Count - window; i < losses.Count; i++)
            if (losses[i] - losses[i - 1] > tolerance && tolerance > 0) rises++;
        if (rises >= Options.OscillationRises)
            Warn(DiagnosticKind.OscillatingLoss, epoch, null,
                $"the epoch loss rose in {rises} of the last {window} epochs (now {G(loss)}, best {G(best)}): the steps jump across the valley instead of descending it.", Remedies.Oscillating);
    }

    private void CheckGradients(EpochDiagnostics diagnostics)
    {
        int epoch = diagnostics.Epoch;
        foreach (LayerDiagnostics layer in diagnostics.Layers)
        {
            if (_sampledBatches > 0 && !double.IsFinite(layer.GradientNorm))
                Warn(DiagnosticKind.ExplodingGradients, epoch, layer.Label,
                    $"layer {layer.Label} has a gradient that is not finite ({G(layer.GradientNorm)}).", Remedies.NonFinite);
            else if (!double.IsFinite(layer.WeightNorm))
                Warn(DiagnosticKind.ExplodingGradients, epoch, layer.Label,
                    $"layer {layer.Label} has weights that are not finite: an update overflowed.", Remedies.NonFinite);
        }

        var weighted = diagnostics.Layers.Where(l => l.WeightedIndex > 0).ToList();
        if (weighted.Count >= 2)
        {
            LayerDiagnostics first = weighted[0], last = weighted[^1];
            double ratio = diagnostics.FirstToLastGradientRatio;
            // Dead ReLU layers also stop the gradient, but that is their own warning with its own remedy.
            bool deadLayers = diagnostics.Layers.Any(l => l.DeadShare >= Options.DeadUnitShare);
            if (double.IsFinite(ratio) && ratio < Options.VanishingRatio && !deadLayers)
                Warn(DiagnosticKind.VanishingGradients, epoch, first.Label,
                    (ratio == 0 ? $"the first layer {first.Label} gets no gradient at all, while the last layer {last.Label}'s gradient norm is {G(last.GradientNorm)}: "
                        : $"the first layer {first.Label} gets a gradient norm of {G(first.GradientNorm)}, {G(1 / ratio)} times smaller than the last layer {last.Label}'s {G(last.GradientNorm)}: ") +
                    "the earliest layers barely learn.", Remedies.Vanishing);
            else if (double.IsFinite(ratio) && ratio > 1 / Options.VanishingRatio)
                Warn(DiagnosticKind.ExplodingGradients, epoch, first.Label,
                    $"the first layer {first.Label} gets a gradient norm of {G(first.GradientNorm)}, {G(ratio)} times larger than the last layer {last.Label}'s {G(last.GradientNorm)}: " +
                    "the gradient grows on its way back through the layers.", Remedies.Exploding);
        }

        double total = Math.Sqrt(diagnostics.Layers.Sum(l => l.GradientNorm * l.GradientNorm));
        if (double.IsNaN(_firstTotalGradientNorm) && double.IsFinite(total) && total > 0) _firstTotalGradientNorm = total;
        else if (double.IsFinite(total) && total > Options.ExplodingGrowth * _firstTotalGradientNorm)
            Warn(DiagnosticKind.ExplodingGradients, epoch, null,
                $"the model's gradient norm grew to {G(total)}, {G(total / _firstTotalGradientNorm)} times its first epoch's {G(_firstTotalGradientNorm)}.", Remedies.Exploding);
    }

    private void CheckUnits(EpochDiagnostics diagnostics)
    {
        foreach (LayerDiagnostics layer in diagnostics.Layers)
        {
            if (layer.DeadShare is double dead && dead >= Options.DeadUnitShare)
                Warn(DiagnosticKind.DeadUnits, diagnostics.Epoch, layer.Label,
                    $"{Percent(dead)} of the ReLU units of layer {layer.Label} output 0 for every probe sample, so their weights get no gradient.", Remedies.Dead);
            if (layer.SaturatedShare is double saturated && saturated >= Options.SaturatedOutputShare)
                Warn(DiagnosticKind.SaturatedUnits, diagnostics.Epoch, layer.Label,
                    $"{Percent(saturated)} of the outputs of layer {layer.Label} on the probe samples are pinned within {Percent(Options.SaturationMargin)} of the ends of their range, where the derivative is almost 0, so its units learn slowly.",
                    Remedies.Saturated);
        }
    }

    private void Warn(DiagnosticKind kind, int epoch, string? layer, string message, string remedy)
    {
        if (!_warned.Add((kind, layer))) return;
        var warning = new DiagnosticWarning(kind, epoch, layer, message, remedy);
        _warnings.Add(warning);
        _pending.Add(warning);
    }

    // ---- Results ----

    /// <summary>
    /// Each weighted layer's gradient norm per epoch under the key <c>layer k</c> (k = 1 for the
    /// input side), first layer first: what <c>DiagnosticPlots.SaveGradientNorms</c> draws.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<double>> GradientNormsByLayer()
    {
        var series = new Dictionary<string, IReadOnlyList<double>>();
        if (_epochs.Count == 0) return series;
        foreach (LayerDiagnostics layer in _epochs[0].Layers.Where(l => l.WeightedIndex > 0))
            series[$"layer {layer.WeightedIndex.ToString(CultureInfo.InvariantCulture)}"] =
                _epochs.Select(e => e.Layers.First(l => l.Name == layer.Name).GradientNorm).ToArray();
        return series;
    }

    /// <summary>
    /// The final summary: per layer the gradient norm in the first and last epochs, the weight norm,
    /// their ratio, and the shares of dead and saturated units; the first-to-last gradient ratio; and
    /// the warnings with their remedies.
    /// </summary>
    public string FormatSummary()
    {
        var text = new StringBuilder();
        if (_epochs.Count == 0) return "diagnostics: no epoch completed.\n";
        EpochDiagnostics first = _epochs[0], last = _epochs[^1];
        text.Append(CultureInfo.InvariantCulture,
            $"diagnostics after {_epochs.Count} epoch(s) (gradient norms: mean over up to {Options.SampledBatchesPerEpoch} sampled batches per epoch{(_probe is null ? "; no probe samples, so dead and saturated units were not checked" : $"; units checked on {_probe.Shape[0]} probe samples")})\n");
        int width = Math.Max(5, last.Layers.Max(l => l.Label.Length));
        text.Append("layer".PadRight(width)).Append("  grad (ep 1)  grad (last)  weight norm  grad/weight   dead  saturated\n");
        for (int i = 0; i < last.Layers.Count; i++)
        {
            LayerDiagnostics layer = last.Layers[i];
            text.Append(layer.Label.PadRight(width))
                .Append(Scientific(first.Layers[i].GradientNorm).PadLeft(13))
                .Append(Scientific(layer.GradientNorm).PadLeft(13))
                .Append(Scientific(layer.WeightNorm).PadLeft(13))
                .Append(Scientific(layer.Ratio).PadLeft(13))
                .Append((layer.DeadShare is double d ? Percent(d) : "-").PadLeft(7))
                .Append((layer.SaturatedShare is double s ? Percent(s) : "-").PadLeft(11))
                .Append('\n');
        }
        if (double.IsFinite(first.FirstToLastGradientRatio))
            text.Append("first/last layer gradient norm: ").Append(Scientific(first.FirstToLastGradientRatio)).Append(" in epoch 1")
                .Append(_epochs.Count == 1 ? "" : $", {Scientific(last.FirstToLastGradientRatio)} in epoch {(last.Epoch + 1).ToString(CultureInfo.InvariantCulture)}")
                .Append('\n');
        if (_warnings.Count == 0) text.Append("warnings: none\n");
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"warnings: {_warnings.Count}\n");
            foreach (DiagnosticWarning warning in _warnings) text.Append("  ").Append(warning).Append('\n');
        }
        return text.ToString();
    }

    // ---- Helpers ----

    private static double GradientSumOfSquares(Parameter[] parameters)
    {
        double sum = 0;
        foreach (Parameter parameter in parameters)
            if (parameter.Grad is { } gradient) sum += TensorPrimitives.SumOfSquares(gradient.Data);
        return sum;
    }

    /// <summary>Three significant digits; very small or large numbers in scientific notation (1.75e-06, 2.97e+05).</summary>
    private static string G(double value) =>
        double.IsFinite(value) && value != 0 && (Math.Abs(value) < 1e-3 || Math.Abs(value) >= 1e3)
            ? value.ToString("0.00e+00", CultureInfo.InvariantCulture)
            : value.ToString("G3", CultureInfo.InvariantCulture);

    private static string Scientific(double value) => double.IsFinite(value) ? value.ToString("0.00e+00", CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture);

    private static string Percent(double share) => (100 * share).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    /// <summary>A module with parameters of its own, as tracked through training.</summary>
    private sealed class Tracked(string name, Module module, Parameter[] parameters, bool isWeighted)
    {
        public string Name { get; } = name;
        public Module Module { get; } = module;
        public Parameter[] Parameters { get; } = parameters;
        public bool IsWeighted { get; } = isWeighted;
        public int WeightedIndex { get; set; }
    }
}
