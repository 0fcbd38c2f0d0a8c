using System.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Dendrite.Parity.Generator.Optim;

/// <summary>
/// Trains the fixed problem with a <see cref="TrajectoryCase"/>'s optimiser and writes the optim format of
/// tests/reference/README.md: the problem, the initial parameters, and per step the loss before it and the
/// parameters after it.
/// </summary>
static class TrajectoryRunner
{
    public const int Steps = 20;

    /// <summary>
    /// Under the case seed, in this order: the network Sequential(Linear(3,4), Tanh, Linear(4,2)) with torch's
    /// default init, then inputs X [8,3] and targets Y [8,2], both normal(0, 1).
    /// </summary>
    public static string Run(TrajectoryCase c)
    {
        using var scope = NewDisposeScope();
        manual_seed(CaseRunner.SeedOf(c.Name));

        var net = nn.Sequential(("0", nn.Linear(3, 4)), ("1", nn.Tanh()), ("2", nn.Linear(4, 2)));
        Tensor x = randn(8, 3);
        Tensor y = randn(8, 2);
        var named = net.named_parameters().ToArray();
        Parameter[] parameters = named.Select(p => p.parameter).ToArray();
        var initial = Snapshot(named);

        Func<Tensor> closure = () =>
        {
            net.zero_grad();
            Tensor loss;
            using (enable_grad())
            {
                loss = F.mse_loss(net.call(x), y, nn.Reduction.Mean);
                loss.backward();
            }
            return loss;
        };
        var step = c.Make(parameters);

        var steps = new List<(string Loss, (string Name, TensorRecord Tensor)[] Parameters)>();
        for (int k = 0; k < Steps; k++)
        {
            float loss = step(closure).item<float>();
            steps.Add((CaseRunner.Format(loss), Snapshot(named)));
        }

        var sb = new StringBuilder();
        sb.Append("{\n");
        sb.Append("  \"name\": ").Append(ReferenceJson.Str(c.Name)).Append(",\n");
        sb.Append("  \"optimizer\": ").Append(ReferenceJson.Str(c.Optimizer)).Append(",\n");
        sb.Append("  \"description\": ").Append(ReferenceJson.Str(c.Description)).Append(",\n");
        LayerJson.Attributes(sb, c.Attributes);
        sb.Append("  \"grad_clipping\": ");
        if (c.GradClipping is null)
            sb.Append("null,\n");
        else
            sb.Append("{ ").Append(string.Join(", ", c.GradClipping.Select(a => $"{ReferenceJson.Str(a.Item1)}: {ReferenceJson.Value(a.Item2)}"))).Append(" },\n");
        sb.Append("  \"inputs\": ").Append(LayerJson.Tensor(Record(x))).Append(",\n");
        sb.Append("  \"targets\": ").Append(LayerJson.Tensor(Record(y))).Append(",\n");
        LayerJson.Object(sb, "initial_parameters", initial);
        sb.Append("  \"steps\": [");
        for (int k = 0; k < steps.Count; k++)
        {
            sb.Append(k == 0 ? "\n" : ",\n");
            sb.Append("    {\n      \"loss\": ").Append(steps[k].Loss).Append(",\n");
            LayerJson.Object(sb, "parameters", steps[k].Parameters, last: true, indent: "      ");
            sb.Append("    }");
        }
        sb.Append("\n  ]\n}\n");
        return sb.ToString();
    }

    static TensorRecord Record(Tensor t) => CaseRunner.Record(t, includeDType: true, requiresGrad: null);

    static (string Name, TensorRecord Tensor)[] Snapshot((string name, Parameter parameter)[] named) =>
        named.Select(p => (p.name, Record(p.parameter))).ToArray();
}
