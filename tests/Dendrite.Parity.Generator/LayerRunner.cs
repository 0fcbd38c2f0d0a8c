using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Dendrite.Parity.Generator;

/// <summary>
/// Builds a <see cref="LayerCase"/>'s module under the case seed, records its parameters and buffers,
/// runs it forward and backward in libtorch, and writes the layers format of tests/reference/README.md.
/// </summary>
static class LayerRunner
{
    /// <summary>
    /// Every draw comes from the global generator seeded with the case name, in this order: the module's
    /// default init, <see cref="RedrawConstants"/>, the case's Setup, the inputs, the upstream gradients.
    /// </summary>
    public static string Run(LayerCase c)
    {
        using var scope = NewDisposeScope();
        manual_seed(CaseRunner.SeedOf(c.Name));

        nn.Module? module = c.Build?.Invoke();
        if (module is not null)
        {
            using (no_grad())
            {
                RedrawConstants(module);
                c.Setup?.Invoke(module);
            }
            module.train(c.Training);
        }

        var parameters = module?.named_parameters().ToArray() ?? [];
        var parametersBefore = parameters.Select(p => (p.name, Record(p.parameter, dtype: true))).ToArray();
        var buffersBefore = module?.named_buffers().Select(b => (b.name, Record(b.buffer, dtype: true))).ToArray() ?? [];

        if (c.InputNames.Length != c.Inputs.Length)
            throw new InvalidOperationException($"{c.Name}: {c.Inputs.Length} inputs but {c.InputNames.Length} input names");
        Tensor[] drawn = CaseRunner.DrawAccepted(c.Name, c.Inputs, c.Accept);
        Tensor[] inputs = drawn
            .Select((t, i) => c.Inputs[i].RequiresGrad ? t.detach().requires_grad_(true) : t.detach())
            .ToArray();
        var inputRecords = inputs.Select((t, i) => CaseRunner.Record(t, includeDType: true, requiresGrad: c.Inputs[i].RequiresGrad)).ToArray();

        Tensor[] outputs;
        using (enable_grad())
            outputs = c.Forward(module, inputs);
        if (c.OutputNames.Length != outputs.Length)
            throw new InvalidOperationException($"{c.Name}: {outputs.Length} outputs but {c.OutputNames.Length} output names");

        // Random normal upstream gradients, drawn after the forward in output order, for every
        // differentiable output the case does not mark forward-only.
        bool[] differentiable = outputs
            .Select((o, i) => o.is_floating_point() && o.requires_grad && !c.ForwardOnlyOutputs.Contains(i))
            .ToArray();
        Tensor?[] gradOutputs = outputs.Select((o, i) => differentiable[i] ? randn(o.shape) : null).ToArray();

        int[] withGrad = Enumerable.Range(0, inputs.Length).Where(i => c.Inputs[i].RequiresGrad).ToArray();
        var sources = withGrad.Select(i => inputs[i]).Concat(parameters.Select(p => (Tensor)p.parameter)).ToList();
        Tensor?[] grads = new Tensor?[inputs.Length];
        Tensor[] parameterGrads = new Tensor[parameters.Length];
        if (!differentiable.Any(d => d))
            throw new InvalidOperationException($"{c.Name}: no differentiable output");
        var result = autograd.grad(
            outputs.Where((_, i) => differentiable[i]).ToList(),
            sources,
            gradOutputs.Where((_, i) => differentiable[i]).Select(g => g!).ToList(),
            allow_unused: true);
        for (int k = 0; k < sources.Count; k++)
        {
            Tensor g = result[k] is { } r && !r.IsInvalid ? r : zeros_like(sources[k]);
            if (k < withGrad.Length)
                grads[withGrad[k]] = g;
            else
                parameterGrads[k - withGrad.Length] = g;
        }

        var buffersAfter = module?.named_buffers().Select(b => (b.name, Record(b.buffer, dtype: true))).ToArray() ?? [];

        var sb = new StringBuilder();
        sb.Append("{\n");
        sb.Append("  \"name\": ").Append(ReferenceJson.Str(c.Name)).Append(",\n");
        sb.Append("  \"layer\": ").Append(ReferenceJson.Str(c.Layer)).Append(",\n");
        sb.Append("  \"description\": ").Append(ReferenceJson.Str(c.Description)).Append(",\n");
        var attributes = module is null ? c.Attributes : [.. c.Attributes, ("training", c.Training)];
        LayerJson.Attributes(sb, attributes);
        LayerJson.Object(sb, "parameters", parametersBefore);
        if (buffersBefore.Length > 0)
            LayerJson.Object(sb, "buffers_before", buffersBefore);
        LayerJson.Array(sb, "inputs", inputRecords.Select((r, i) => (string?)LayerJson.Tensor(r, c.InputNames[i])).ToArray());
        LayerJson.Array(sb, "outputs", outputs.Select((o, i) => (string?)LayerJson.Tensor(CaseRunner.Record(o, includeDType: true, requiresGrad: null), c.OutputNames[i])).ToArray());
        LayerJson.Array(sb, "grad_outputs", gradOutputs.Select(g => g is null ? null : LayerJson.Tensor(Record(g, dtype: false))).ToArray());
        LayerJson.Array(sb, "grads", grads.Select(g => g is null ? null : LayerJson.Tensor(Record(g, dtype: false))).ToArray());
        LayerJson.Object(sb, "parameter_grads", parameters.Select((p, i) => (p.name, Record(parameterGrads[i], dtype: false))).ToArray(), last: buffersAfter.Length == 0);
        if (buffersAfter.Length > 0)
            LayerJson.Object(sb, "buffers_after", buffersAfter, last: true);
        sb.Append("}\n");
        return sb.ToString();
    }

    static TensorRecord Record(Tensor t, bool dtype) => CaseRunner.Record(t, includeDType: dtype, requiresGrad: null);

    /// <summary>
    /// Parameters and float buffers that torch initialises to a constant (norm weights and running_var 1;
    /// norm biases, running_mean and MultiheadAttention's in_proj_bias and out_proj.bias 0) are redrawn in
    /// state_dict order: a constant 1 becomes uniform(0.5, 1.5), a constant 0 becomes 0.5 * normal(0, 1).
    /// A bias of zeros or a scale of ones would hide a layer that ignores it.
    /// </summary>
    public static void RedrawConstants(nn.Module module)
    {
        var tensors = module.named_parameters().Select(p => (Tensor)p.parameter)
            .Concat(module.named_buffers().Select(b => b.buffer).Where(b => b.dtype == ScalarType.Float32));
        foreach (Tensor t in tensors)
        {
            if (t.numel() < 2)
                continue;
            float first = t.flatten()[0].item<float>();
            if (!t.eq(first).all().item<bool>())
                continue;
            if (first == 1f)
                t.copy_(rand(t.shape) + 0.5);
            else if (first == 0f)
                t.copy_(randn(t.shape) * 0.5);
        }
    }
}

/// <summary>Pieces of the JSON of the layers and optim families; one tensor per line.</summary>
static class LayerJson
{
    public static void Attributes(StringBuilder sb, (string Key, object? Value)[] attributes)
    {
        sb.Append("  \"attributes\": {");
        if (attributes.Length > 0)
            sb.Append(' ').Append(string.Join(", ", attributes.Select(a => $"{ReferenceJson.Str(a.Key)}: {ReferenceJson.Value(a.Value)}"))).Append(' ');
        sb.Append("},\n");
    }

    /// <summary>A tensor object; with <paramref name="name"/> its first key is "name".</summary>
    public static string Tensor(TensorRecord t, string? name = null)
    {
        string body = ReferenceJson.Tensor(t);
        return name is null ? body : "{ \"name\": " + ReferenceJson.Str(name) + ", " + body[2..];
    }

    /// <summary>A list of tensor objects (already written) or nulls, one per line.</summary>
    public static void Array(StringBuilder sb, string key, string?[] items, bool last = false, string indent = "  ")
    {
        sb.Append(indent).Append(ReferenceJson.Str(key)).Append(": [");
        for (int i = 0; i < items.Length; i++)
            sb.Append(i == 0 ? "\n" : ",\n").Append(indent).Append("  ").Append(items[i] ?? "null");
        sb.Append(items.Length > 0 ? "\n" + indent + "]" : "]").Append(last ? "\n" : ",\n");
    }

    /// <summary>An object from names to tensors, one per line, in the given (state_dict) order.</summary>
    public static void Object(StringBuilder sb, string key, (string Name, TensorRecord Tensor)[] items, bool last = false, string indent = "  ")
    {
        sb.Append(indent).Append(ReferenceJson.Str(key)).Append(": {");
        for (int i = 0; i < items.Length; i++)
            sb.Append(i == 0 ? "\n" : ",\n").Append(indent).Append("  ").Append(ReferenceJson.Str(items[i].Name)).Append(": ").Append(Tensor(items[i].Tensor));
        sb.Append(items.Length > 0 ? "\n" + indent + "}" : "}").Append(last ? "\n" : ",\n");
    }
}
