using Dendrite.Tests.Support;

namespace Dendrite.Tests.Ops;

/// <summary>Runs every row of <see cref="OpCases"/> through every check.</summary>
public class OpTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (string name in ReferenceCase.Names("ops")) data.Add(name);
        return data;
    }

    /// <summary>The float inputs as leaf tensors (requiring gradients where the case does); integer inputs stay in the case.</summary>
    private static Tensor[] Inputs(ReferenceCase c) =>
        c.Inputs.Select(i =>
        {
            Tensor t = i.ToTensor();
            t.RequiresGrad = i.RequiresGrad && i.DType == "float32";
            return t;
        }).ToArray();

    private static Tensor[] Run(ReferenceCase c, Tensor[] inputs)
    {
        Assert.True(OpCases.Rows.TryGetValue(c.Name, out var builder), $"Reference case {c.Name} ({c.Description}) has no row in OpCases.");
        // Integer inputs are read from the case by the row; pass only what the row expects as tensors.
        return builder!(c, inputs);
    }

    [Fact]
    public void EveryReferenceCaseHasARow()
    {
        var missing = ReferenceCase.Names("ops").Where(n => !OpCases.Rows.ContainsKey(n)).ToList();
        Assert.True(missing.Count == 0, "Reference cases without a row: " + string.Join(", ", missing));
        Assert.True(ReferenceCase.Names("ops").Count() >= 80, "The reference files are missing from the test output.");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackwardAgreeWithLibtorch(string name)
    {
        ReferenceCase c = ReferenceCase.Load("ops", name);
        Tensor[] inputs = Inputs(c);
        Tensor[] outputs = Run(c, inputs);
        Assert.Equal(c.Outputs.Count, outputs.Length);
        for (int i = 0; i < outputs.Length; i++)
        {
            Assert.Equal(c.Outputs[i].Shape, outputs[i].Shape.ToArray());
            Assertions.AllClose(c.Outputs[i].Data, outputs[i].ToArray(), what: $"{name} output {i}");
        }

        // Backward: the gradient of Σ_i <out_i, g_i> for the differentiable outputs.
        Tensor? total = null;
        for (int i = 0; i < outputs.Length; i++)
        {
            ReferenceTensor? g = i < c.GradOutputs.Count ? c.GradOutputs[i] : null;
            if (g is null || !outputs[i].RequiresGrad) continue;
            Tensor term = (outputs[i] * g.ToTensor()).Sum();
            total = total is null ? term : total + term;
        }
        if (total is null)
        {
            Assert.All(c.Grads, g => Assert.Null(g));
            return;
        }
        total.Backward();
        for (int i = 0; i < inputs.Length; i++)
        {
            ReferenceTensor? expected = i < c.Grads.Count ? c.Grads[i] : null;
            if (expected is null) continue;
            Tensor? actual = inputs[i].Grad;
            Assert.True(actual is not null, $"{name}: input {i} received no gradient.");
            Assertions.AllClose(expected.Data, actual!.ToArray(), what: $"{name} gradient of input {i}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientsMatchFiniteDifferences(string name)
    {
        ReferenceCase c = ReferenceCase.Load("ops", name);
        Tensor[] inputs = Inputs(c);
        Tensor[] differentiable = inputs.Where(t => t.RequiresGrad).ToArray();
        if (differentiable.Length == 0 || c.GradOutputs.All(g => g is null)) return;
        var result = GradCheck.Run(() =>
        {
            Tensor[] outputs = Run(c, inputs);
            // Several outputs: check their concatenation (integer outputs carry no gradient and are left out).
            var parts = outputs.Where((o, i) => i < c.GradOutputs.Count && c.GradOutputs[i] is not null).Select(o => o.Flatten()).ToList();
            return parts.Count == 1 ? parts[0] : TensorOps.Concat(parts);
        }, differentiable);
        Assert.True(result.Passed, result.ToString());
    }
}
