using System.Globalization;
using System.Text;
using Dendrite.Autograd;
using Dendrite.Tensors;

namespace Dendrite.NN;

/// <summary>One row of a model summary.</summary>
/// <param name="Name">Dotted module name (<c>0</c>, <c>encoder.1</c>).</param>
/// <param name="Description">Type and arguments, e.g. <c>Dense(784->500, relu)</c>.</param>
/// <param name="OutputShape">Output shape with the batch dimension shown as −1, or null when not recorded.</param>
/// <param name="Parameters">Scalar parameters owned directly by the module.</param>
/// <param name="Initializer">How its first parameter was initialised, or "-".</param>
public sealed record SummaryRow(string Name, string Description, int[]? OutputShape, long Parameters, string Initializer);

/// <summary>A table of a model's layers like Keras' <c>model.summary()</c>: name, type, output shape, parameter count, initialiser, and totals.</summary>
public sealed class ModelSummary
{
    private ModelSummary(IReadOnlyList<SummaryRow> rows, long trainable, long frozen)
    {
        Rows = rows;
        TrainableParameters = trainable;
        FrozenParameters = frozen;
    }

    /// <summary>Every module below the root, depth first.</summary>
    public IReadOnlyList<SummaryRow> Rows { get; }

    /// <summary>Scalar parameters the optimiser updates.</summary>
    public long TrainableParameters { get; }

    /// <summary>Scalar parameters that are frozen.</summary>
    public long FrozenParameters { get; }

    /// <summary>All scalar parameters.</summary>
    public long TotalParameters => TrainableParameters + FrozenParameters;

    /// <summary>
    /// Summarises <paramref name="model"/>. With <paramref name="inputShape"/> (one sample's shape,
    /// without the batch dimension), runs one forward pass on zeros in evaluation mode, without
    /// recording gradients, to show each layer's output shape.
    /// </summary>
    public static ModelSummary Create(Module model, Shape? inputShape = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Dictionary<Module, Shape>? shapes = null;
        if (inputShape is { } sample)
        {
            bool wasTraining = model.IsTraining;
            var recorder = SummaryRecorder.Begin();
            try
            {
                model.Eval();
                using var _ = new NoGrad();
                Tensor output = model.Forward(Tensor.Zeros([1, .. sample]));
                recorder.Note(model, output);
                shapes = recorder.OutputShapes;
            }
            finally
            {
                SummaryRecorder.End();
                model.Train(wasTraining);
            }
        }
        var rows = new List<SummaryRow>();
        foreach (var (name, module) in model.NamedModules())
        {
            if (ReferenceEquals(module, model)) continue;
            long count = module.OwnParameters().Sum(p => (long)p.Parameter.Count);
            string initializer = module.OwnParameters().Select(p => p.Parameter.Initializer).FirstOrDefault() ?? "-";
            int[]? shape = null;
            if (shapes is not null && shapes.TryGetValue(module, out Shape s))
            {
                shape = s.ToArray();
                if (shape.Length > 0) shape[0] = -1;
            }
            rows.Add(new SummaryRow(name, module.Describe(), shape, count, initializer));
        }
        var (trainable, frozen) = model.ParameterCount();
        return new ModelSummary(rows, trainable, frozen);
    }

    /// <summary>The table as text, the batch dimension shown as N.</summary>
    public override string ToString()
    {
        var table = Rows.Select(r => new[]
        {
            r.Name, r.Description,
            r.OutputShape is null ? "-" : "[" + string.Join(", ", r.OutputShape.Select((d, i) => i == 0 && d == -1 ? "N" : d.ToString(CultureInfo.InvariantCulture))) + "]",
            r.Parameters.ToString("N0", CultureInfo.InvariantCulture), r.Initializer,
        }).ToList();
        string[] header = ["Name", "Layer", "Output shape", "Params", "Initializer"];
        int[] widths = header.Select((h, i) => Math.Max(h.Length, table.Count == 0 ? 0 : table.Max(row => row[i].Length))).ToArray();
        var builder = new StringBuilder();
        void Line(string[] cells) => builder.AppendLine(string.Join("  ", cells.Select((c, i) => i == 3 ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd());
        int total = widths.Sum() + 2 * (widths.Length - 1);
        Line(header);
        builder.AppendLine(new string('=', total));
        foreach (var row in table) Line(row);
        builder.AppendLine(new string('=', total));
        builder.AppendLine(CultureInfo.InvariantCulture, $"Total params: {TotalParameters:N0}");
        builder.AppendLine(CultureInfo.InvariantCulture, $"Trainable params: {TrainableParameters:N0}");
        builder.Append(CultureInfo.InvariantCulture, $"Frozen params: {FrozenParameters:N0}");
        return builder.ToString();
    }
}
