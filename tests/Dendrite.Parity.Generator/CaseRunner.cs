using System.Globalization;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Dendrite.Parity.Generator;

/// <summary>A tensor as written to a file: shape, dtype name, and values already formatted.</summary>
/// <param name="RequiresGrad">Written for inputs only (null elsewhere).</param>
/// <param name="DType">"float32", "int64" or "bool"; null where the format leaves it out (gradients).</param>
sealed record TensorRecord(long[] Shape, string? DType, bool? RequiresGrad, string[] Values);

/// <summary>Everything a reference file holds.</summary>
sealed record CaseResult(
    OpCase Case,
    TensorRecord[] Inputs,
    TensorRecord[] Outputs,
    TensorRecord?[] GradOutputs,
    TensorRecord?[] Grads);

/// <summary>Draws a case's inputs, runs the op forward and backward in libtorch, and collects the results.</summary>
static class CaseRunner
{
    const int MaxDraws = 1000;

    /// <summary>
    /// FNV-1a (32-bit) of the case name: each case has its own seed, so adding or reordering cases
    /// changes no other file.
    /// </summary>
    public static long SeedOf(string name)
    {
        uint hash = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(name))
            hash = (hash ^ b) * 16777619;
        return hash;
    }

    public static CaseResult Run(OpCase c)
    {
        using var scope = NewDisposeScope();
        manual_seed(SeedOf(c.Name));

        Tensor[] drawn = DrawAccepted(c.Name, c.Inputs, c.Accept);
        Tensor[] inputs = drawn
            .Select((t, i) => c.Inputs[i].RequiresGrad ? t.detach().requires_grad_(true) : t.detach())
            .ToArray();

        Tensor[] outputs;
        using (enable_grad())
            outputs = c.Forward(inputs);

        // Outputs that carry a gradient get a random normal upstream gradient (never all ones, which
        // would hide a transposed or mis-broadcast backward), drawn in output order after the forward.
        bool[] differentiable = outputs.Select(o => o.is_floating_point() && o.requires_grad).ToArray();
        bool any = differentiable.Any(d => d);
        Tensor?[] gradOutputs = outputs.Select((o, i) => differentiable[i] ? randn(o.shape) : null).ToArray();

        Tensor?[] grads = new Tensor?[inputs.Length];
        int[] withGrad = Enumerable.Range(0, inputs.Length).Where(i => c.Inputs[i].RequiresGrad).ToArray();
        if (any && withGrad.Length > 0)
        {
            var diffOutputs = outputs.Where((_, i) => differentiable[i]).ToList();
            var diffGradOutputs = gradOutputs.Where((_, i) => differentiable[i]).Select(g => g!).ToList();
            var result = autograd.grad(diffOutputs, withGrad.Select(i => inputs[i]).ToList(), diffGradOutputs, allow_unused: true);
            for (int k = 0; k < withGrad.Length; k++)
            {
                int i = withGrad[k];
                // An input the outputs do not depend on (or only through a zero derivative, as sign)
                // may come back undefined; its gradient is zero.
                grads[i] = result[k] is { } g && !g.IsInvalid ? g : zeros_like(inputs[i]);
            }
        }

        return new CaseResult(
            c,
            inputs.Select((t, i) => Record(t, includeDType: true, requiresGrad: c.Inputs[i].RequiresGrad)).ToArray(),
            outputs.Select(t => Record(t, includeDType: true, requiresGrad: null)).ToArray(),
            any ? gradOutputs.Select(g => g is null ? null : Record(g, includeDType: false, requiresGrad: null)).ToArray() : [],
            grads.Select(g => g is null ? null : Record(g, includeDType: false, requiresGrad: null)).ToArray());
    }

    /// <summary>
    /// Draws the inputs in order (derived ones after the drawn ones) until <paramref name="accept"/> takes
    /// the draw; shared by every family so that the same specs draw the same values.
    /// </summary>
    internal static Tensor[] DrawAccepted(string name, In[] specs, Func<Tensor[], bool>? accept)
    {
        for (int attempt = 0; attempt < MaxDraws; attempt++)
        {
            var drawn = new Tensor[specs.Length];
            for (int i = 0; i < drawn.Length; i++)
                if (specs[i].Derive is null)
                    drawn[i] = specs[i].Draw(specs[i].Shape);
            for (int i = 0; i < drawn.Length; i++)
                if (specs[i].Derive is { } derive)
                    drawn[i] = derive(drawn);
            for (int i = 0; i < drawn.Length; i++)
                if (!drawn[i].shape.SequenceEqual(specs[i].Shape))
                    throw new InvalidOperationException(
                        $"{name}: input {i} was drawn with shape [{string.Join(",", drawn[i].shape)}], the case declares [{string.Join(",", specs[i].Shape)}].");
            if (accept is null || accept(drawn))
                return drawn;
        }
        throw new InvalidOperationException($"{name}: no draw in {MaxDraws} passed the case's Accept check; widen the domain or loosen the check.");
    }

    internal static TensorRecord Record(Tensor t, bool includeDType, bool? requiresGrad)
    {
        t = t.detach().contiguous();
        long[] shape = t.shape;
        (string dtype, string[] values) = t.dtype switch
        {
            ScalarType.Float32 => ("float32", t.data<float>().ToArray().Select(Format).ToArray()),
            ScalarType.Int64 => ("int64", t.data<long>().ToArray().Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray()),
            ScalarType.Bool => ("bool", t.data<bool>().ToArray().Select(v => v ? "1" : "0").ToArray()),
            _ => throw new InvalidOperationException($"unsupported dtype {t.dtype}; the format has float32, int64 and bool"),
        };
        return new TensorRecord(shape, includeDType ? dtype : null, requiresGrad, values);
    }

    /// <summary>Shortest text that reads back to the same float32 ("R"), invariant culture.</summary>
    internal static string Format(float v)
    {
        if (!float.IsFinite(v))
            throw new InvalidOperationException($"non-finite value {v}; JSON has no spelling for it, choose another domain");
        return v.ToString("R", CultureInfo.InvariantCulture);
    }
}
