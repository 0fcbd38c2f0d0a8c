using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.Ops;
using Dendrite.NN.Layers;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Diagnostics;

/// <summary>How the units of one layer behaved on the probe samples.</summary>
/// <param name="Owner">The weighted layer (Dense, Conv) whose units these are: the layer itself when it applies the activation, else the last weighted layer before it.</param>
/// <param name="DeadShare">Share of ReLU units never active, or null when the activation is not ReLU.</param>
/// <param name="SaturatedShare">Share of sigmoid/tanh outputs pinned at the ends of their range, or null when the activation is neither.</param>
internal sealed record UnitActivity(Module Owner, double? DeadShare, double? SaturatedShare);

/// <summary>
/// Runs a model on probe samples, without gradients and in evaluation mode, and looks at the output of
/// every ReLU, sigmoid and tanh unit. Walks <see cref="Sequential"/> containers layer by layer (every
/// built-in architecture is one), the body of a <see cref="Residual"/>, and both ReLUs of a
/// <see cref="ResidualBlock"/>; any other module is treated as one opaque step.
/// </summary>
internal static class ActivationProbe
{
    public static List<UnitActivity> Run(Module model, Tensor probe, DiagnosticsOptions options)
    {
        var modes = model.NamedModules().Select(m => (m.Module, m.Module.IsTraining)).ToList();
        var results = new List<UnitActivity>();
        try
        {
            model.Eval();
            using var _ = new NoGrad();
            Module? lastWeighted = null;
            Walk(model, probe, options, results, ref lastWeighted);
        }
        finally
        {
            // Parents first, so that a child that was in another mode than its parent gets it back.
            foreach (var (module, training) in modes) module.Train(training);
        }
        return results;
    }

    private static Tensor Walk(Module module, Tensor input, DiagnosticsOptions options, List<UnitActivity> results, ref Module? lastWeighted)
    {
        if (module is Sequential sequence)
        {
            Tensor x = input;
            foreach (Module layer in sequence.Layers) x = Walk(layer, x, options, results, ref lastWeighted);
            return x;
        }
        if (module is Residual residual)
            return residual.Combine(input, Walk(residual.Body, input, options, results, ref lastWeighted));
        if (module is ResidualBlock block)
        {
            // Its ReLUs are operations, not layers: the inner one's units are conv1's, the output's are conv2's
            // (summed with the shortcut).
            Tensor blockOutput = block.Forward(input, out Tensor inner);
            if (MeasureRelu(inner) is double innerDead) results.Add(new UnitActivity(block.Conv1, innerDead, null));
            if (MeasureRelu(blockOutput) is double outputDead) results.Add(new UnitActivity(block.Conv2, outputDead, null));
            lastWeighted = block.Conv2;
            return blockOutput;
        }
        Tensor output = module.Forward(input);
        if (IsWeighted(module)) lastWeighted = module;
        // A layer that applies its own activation (Dense, Conv) registers it as the child "activation".
        ActivationLayer? activation = module as ActivationLayer
            ?? module.NamedChildren().Where(c => c.Name == "activation").Select(c => c.Module).OfType<ActivationLayer>().FirstOrDefault();
        if (activation is not null && lastWeighted is not null && Measure(activation, output, options) is var (dead, saturated) && (dead is not null || saturated is not null))
            results.Add(new UnitActivity(lastWeighted, dead, saturated));
        return output;
    }

    /// <summary>True for a module with a weight matrix or kernel of its own (rank 2 or more).</summary>
    public static bool IsWeighted(Module module) =>
        module.OwnParameters().Any(p => p.Name == "weight" && p.Parameter.Rank >= 2);

    /// <summary>The share of dead units (ReLU) or of pinned outputs (sigmoid, tanh) in <paramref name="output"/>, whose axis 1 holds the units (features or channels).</summary>
    private static (double? Dead, double? Saturated) Measure(ActivationLayer activation, Tensor output, DiagnosticsOptions options)
    {
        (double Low, double High)? range = activation switch
        {
            Sigmoid => (0, 1),
            Tanh => (-1, 1),
            LecunTanh => (-1.7159, 1.7159),
            _ => null,
        };
        bool relu = activation is Relu or NoisyRelu;
        if (!relu && range is null) return (null, null);
        if (output.Rank < 2 || output.Count == 0) return (null, null);
        if (relu) return (MeasureRelu(output), null);

        ReadOnlySpan<float> values = output.Contiguous().Data;
        var (low, high) = range!.Value;
        double margin = options.SaturationMargin * (high - low);
        long pinned = 0;
        foreach (float y in values)
            if (y <= low + margin || y >= high - margin) pinned++;
        return (null, (double)pinned / values.Length);
    }

    /// <summary>The share of units (axis 1 of <paramref name="output"/>: features or channels) that are zero on every probe sample and position, or null for an output without a unit axis.</summary>
    private static double? MeasureRelu(Tensor output)
    {
        if (output.Rank < 2 || output.Count == 0) return null;
        // output: [N, U, rest...]; one pass in memory order, element i belongs to unit (i / inner) % units.
        int samples = output.Shape[0], units = output.Shape[1], inner = output.Count / (samples * units);
        ReadOnlySpan<float> values = output.Contiguous().Data;
        var active = new bool[units];
        for (int i = 0; i < values.Length; i++)
            if (values[i] > 0f) active[i / inner % units] = true;
        return (double)active.Count(a => !a) / units;
    }
}
