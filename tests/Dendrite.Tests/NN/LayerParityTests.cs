using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Tests.Support;

namespace Dendrite.Tests.NN;

/// <summary>
/// Layers and losses against libtorch (tests/reference/layers): the same parameters and inputs,
/// then outputs, input gradients, parameter gradients and updated buffers compared.
/// </summary>
public class LayerParityTests
{
    /// <summary>How to build the Dendrite counterpart of a reference case: a module (parameters copied in by name) or a plain function of the inputs.</summary>
    private sealed record Row(Func<ReferenceCase, Module>? Module = null, Func<ReferenceCase, Tensor[], Tensor>? Function = null,
        Func<string, string>? ParameterName = null, double Rtol = 1e-4, double Atol = 1e-5);

    private static float[] Floats(ReferenceCase c, string name) => c.Attributes.GetProperty(name).EnumerateArray().Select(e => e.GetSingle()).ToArray();
    private static Reduction ReductionOf(ReferenceCase c) => c.String("reduction") switch { "sum" => Reduction.Sum, "none" => Reduction.None, _ => Reduction.Mean };

    private static readonly Dictionary<string, Row> Rows = new()
    {
        ["linear_bias"] = new(c => new Dense(c.Int("in_features"), c.Int("out_features"))),
        ["linear_no_bias"] = new(c => new Dense(c.Int("in_features"), c.Int("out_features"), bias: false)),
        ["linear_3d_input"] = new(c => new Dense(c.Int("in_features"), c.Int("out_features"))),
        ["linear_relu"] = new(c => new Dense(c.Int("in_features"), c.Int("out_features"), new Relu()), ParameterName: name => name.Replace("linear.", "", StringComparison.Ordinal)),
        ["batchnorm1d_train"] = new(c => new BatchNorm(c.Int("num_features"), c.Float("momentum"), c.Float("eps"))),
        ["batchnorm1d_train_ncl"] = new(c => new BatchNorm(c.Int("num_features"), c.Float("momentum"), c.Float("eps"))),
        ["batchnorm1d_eval"] = new(c => new BatchNorm(c.Int("num_features"), c.Float("momentum"), c.Float("eps"))),
        ["batchnorm2d_train"] = new(c => new BatchNorm(c.Int("num_features"), c.Float("momentum"), c.Float("eps"))),
        ["batchnorm2d_eval"] = new(c => new BatchNorm(c.Int("num_features"), c.Float("momentum"), c.Float("eps"))),
        ["layernorm_last"] = new(c => new LayerNorm(c.Ints("normalized_shape"), c.Float("eps"))),
        ["layernorm_last2"] = new(c => new LayerNorm(c.Ints("normalized_shape"), c.Float("eps"))),
        ["embedding_repeats"] = new(c => new Embedding(c.Int("num_embeddings"), c.Int("embedding_dim"))),
        ["conv2d_k3"] = new(Conv), ["conv2d_stride2_pad1"] = new(Conv), ["conv2d_pad2"] = new(Conv), ["conv2d_same_k3"] = new(Conv),
        ["conv2d_same_k4"] = new(Conv), ["conv2d_dilation2"] = new(Conv), ["conv2d_depthwise"] = new(Conv), ["conv2d_no_bias"] = new(Conv),
        ["conv2d_rect_k2x3_stride2x1"] = new(Conv), ["conv2d_1x1"] = new(Conv),
        ["conv1d_pad1"] = new(Conv1), ["conv1d_stride2"] = new(Conv1),
        ["maxpool2d_k2"] = new(Function: (c, x) => x[0].MaxPool2d(c.Ints("kernel_size")[0], c.Ints("kernel_size")[^1], c.Ints("stride")[0], c.Ints("stride")[^1], c.Ints("padding")[0], c.Ints("padding")[^1])),
        ["maxpool2d_k3_s2_p1"] = new(Function: (c, x) => x[0].MaxPool2d(c.Ints("kernel_size")[0], c.Ints("kernel_size")[^1], c.Ints("stride")[0], c.Ints("stride")[^1], c.Ints("padding")[0], c.Ints("padding")[^1])),
        ["maxpool1d_k2"] = new(Function: (c, x) => x[0].MaxPool1d(c.Ints("kernel_size")[0], c.Ints("stride")[0], c.Ints("padding")[0])),
        ["avgpool2d_k2"] = new(Function: (c, x) => x[0].AvgPool2d(c.Ints("kernel_size")[0], c.Ints("kernel_size")[^1], c.Ints("stride")[0], c.Ints("stride")[^1], c.Ints("padding")[0], c.Ints("padding")[^1], c.Bool("count_include_pad"))),
        ["avgpool2d_k3_s2_p1_include_pad"] = new(Function: (c, x) => x[0].AvgPool2d(c.Ints("kernel_size")[0], c.Ints("kernel_size")[^1], c.Ints("stride")[0], c.Ints("stride")[^1], c.Ints("padding")[0], c.Ints("padding")[^1], c.Bool("count_include_pad"))),
        ["avgpool2d_k3_s2_p1_exclude_pad"] = new(Function: (c, x) => x[0].AvgPool2d(c.Ints("kernel_size")[0], c.Ints("kernel_size")[^1], c.Ints("stride")[0], c.Ints("stride")[^1], c.Ints("padding")[0], c.Ints("padding")[^1], c.Bool("count_include_pad"))),
        ["adaptiveavgpool2d_1"] = new(Function: (c, x) => x[0].GlobalAveragePool().Reshape(x[0].Shape[0], x[0].Shape[1], 1, 1)),
        ["adaptivemaxpool2d_1"] = new(Function: (c, x) => x[0].GlobalMaxPool().Reshape(x[0].Shape[0], x[0].Shape[1], 1, 1)),
        ["mseloss_mean"] = new(Function: (c, x) => new MeanSquaredError(reduction: ReductionOf(c)).Compute(x[0], x[1])),
        ["mseloss_sum"] = new(Function: (c, x) => new MeanSquaredError(reduction: ReductionOf(c)).Compute(x[0], x[1])),
        ["mseloss_none"] = new(Function: (c, x) => new MeanSquaredError(reduction: ReductionOf(c)).Compute(x[0], x[1])),
        ["l1loss_mean"] = new(Function: (c, x) => new MeanAbsoluteError(ReductionOf(c)).Compute(x[0], x[1])),
        ["huberloss_delta1"] = new(Function: (c, x) => new Huber(c.Float("delta"), ReductionOf(c)).Compute(x[0], x[1])),
        ["huberloss_delta0p5"] = new(Function: (c, x) => new Huber(c.Float("delta"), ReductionOf(c)).Compute(x[0], x[1])),
        // Smooth L1 with β = 1 is Huber with δ = 1 (in general SmoothL1 = Huber(δ = β)/β).
        ["smoothl1loss_beta1"] = new(Function: (c, x) => new Huber(1f, ReductionOf(c)).Compute(x[0], x[1]) * (1f / c.Float("beta"))),
        ["bceloss_mean"] = new(Function: (c, x) => new BinaryCrossEntropy(false, ReductionOf(c)).Compute(x[0], x[1])),
        ["bcewithlogitsloss_mean"] = new(Function: (c, x) => new BinaryCrossEntropy(true, ReductionOf(c)).Compute(x[0], x[1])),
        ["crossentropyloss_label_smoothing"] = new(Function: CrossEntropyCase),
        ["crossentropyloss_none"] = new(Function: CrossEntropyCase),
        ["crossentropyloss_weight"] = new(Function: CrossEntropyCase),
        ["crossentropyloss_weight_label_smoothing"] = new(Function: CrossEntropyCase),
        ["crossentropyloss_weight_label_smoothing_none"] = new(Function: CrossEntropyCase),
        ["nllloss_weight"] = new(Function: (c, x) => new NegativeLogLikelihood(ReductionOf(c), Floats(c, "weight")).Compute(x[0], c.Inputs[1].ToTensor())),
    };

    private static Module Conv(ReferenceCase c)
    {
        int[] kernel = c.Ints("kernel_size"), stride = c.Ints("stride"), dilation = c.Ints("dilation");
        Padding padding = c.Attributes.GetProperty("padding").ValueKind == System.Text.Json.JsonValueKind.String ? Padding.SameSize : new Padding(c.Ints("padding")[0]);
        return new Conv2d(c.Int("in_channels"), c.Int("out_channels"), (kernel[0], kernel[1]), (stride[0], stride[1]), padding, (dilation[0], dilation[1]), c.Int("groups"), c.Bool("bias"));
    }

    private static Module Conv1(ReferenceCase c) =>
        new Conv1d(c.Int("in_channels"), c.Int("out_channels"), c.Ints("kernel_size")[0], c.Ints("stride")[0], new Padding(c.Ints("padding")[0]), c.Ints("dilation")[0], c.Int("groups"), c.Bool("bias"));

    private static Tensor CrossEntropyCase(ReferenceCase c, Tensor[] x)
    {
        float[]? weights = c.Attributes.TryGetProperty("weight", out var w) && w.ValueKind == System.Text.Json.JsonValueKind.Array ? Floats(c, "weight") : null;
        return new CrossEntropy(c.Float("label_smoothing"), weights, ReductionOf(c)).Compute(x[0], c.Inputs[1].ToTensor());
    }

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (string name in Rows.Keys.Order()) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackwardAgreeWithLibtorch(string name)
    {
        ReferenceCase c = ReferenceCase.Load("layers", name);
        Row row = Rows[name];
        Tensor[] inputs = c.Inputs.Select(i =>
        {
            Tensor t = i.ToTensor();
            t.RequiresGrad = i.RequiresGrad && i.DType == "float32";
            return t;
        }).ToArray();

        Module? module = row.Module?.Invoke(c);
        if (module is not null)
        {
            var state = module.StateDict();
            foreach (var (key, value) in c.Parameters.Concat(c.BuffersBefore))
            {
                string own = row.ParameterName?.Invoke(key) ?? key;
                if (state.TryGetValue(own, out Tensor? target)) target.CopyFrom(value.ToTensor());
                else Assert.True(key == "num_batches_tracked", $"{name}: reference parameter '{key}' has no counterpart in {module.Describe()}");
            }
            module.Train(!c.Attributes.TryGetProperty("training", out var training) || training.GetBoolean());
        }
        Tensor output = module is not null ? module.Forward(inputs[0]) : row.Function!(c, inputs);
        Assert.Equal(c.Outputs[0].Shape, output.Shape.ToArray());
        Assertions.AllClose(c.Outputs[0].Data, output.ToArray(), row.Rtol, row.Atol, $"{name} output");

        if (c.GradOutputs.Count > 0 && c.GradOutputs[0] is { } g)
        {
            (output * g.ToTensor()).Sum().Backward();
            for (int i = 0; i < inputs.Length; i++)
                if (i < c.Grads.Count && c.Grads[i] is { } expected)
                    Assertions.AllClose(expected.Data, inputs[i].Grad!.ToArray(), row.Rtol, row.Atol, $"{name} gradient of input {i}");
            if (module is not null)
            {
                var parameters = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
                foreach (var (key, expected) in c.ParameterGrads)
                    Assertions.AllClose(expected.Data, parameters[row.ParameterName?.Invoke(key) ?? key].Grad!.ToArray(), row.Rtol, row.Atol, $"{name} gradient of {key}");
            }
        }
        if (module is not null)
        {
            var state = module.StateDict();
            foreach (var (key, expected) in c.BuffersAfter)
                if (state.TryGetValue(key, out Tensor? actual))
                    Assertions.AllClose(expected.Data, actual.ToArray(), row.Rtol, row.Atol, $"{name} buffer {key} after the forward");
        }
    }
}
