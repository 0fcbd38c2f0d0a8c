using TorchSharp;
using static Dendrite.Parity.Generator.Cases.Layers;
using static Dendrite.Parity.Generator.Row;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Dendrite.Parity.Generator.Cases;

/// <summary>
/// Convolution and pooling, NCHW (NCL for 1-d). Every size attribute is a list with one entry per
/// spatial dimension ([h, w] or [l]); Conv2d's padding is a list or the string "same". Max pooling
/// rejects draws where the largest two values of any window are within 1e-3 (ties).
/// </summary>
static class Convolution
{
    public static LayerCase[] Cases =>
    [
        Conv2d("conv2d_k3", 3, 4, (3, 3), stride: (1, 1), padding: (0, 0), dilation: (1, 1), groups: 1, bias: true, input: [2, 3, 7, 7]),
        Conv2d("conv2d_stride2_pad1", 3, 4, (3, 3), stride: (2, 2), padding: (1, 1), dilation: (1, 1), groups: 1, bias: true, input: [2, 3, 7, 7]),
        Conv2d("conv2d_pad2", 3, 4, (3, 3), stride: (1, 1), padding: (2, 2), dilation: (1, 1), groups: 1, bias: true, input: [2, 3, 7, 7]),
        ConvSame("conv2d_same_k3", 3,
            "Conv2d(3, 4, kernel_size = 3, stride = 1, padding = 'same')(input[2,3,7,7]) -> [2,4,7,7]: zero padding 1 on every side"),
        ConvSame("conv2d_same_k4", 4,
            "Conv2d(3, 4, kernel_size = 4, stride = 1, padding = 'same')(input[2,3,7,7]) -> [2,4,7,7]: the total padding 3 per dimension is split 1 before, 2 after (top/left get total/2 rounded down, bottom/right the rest)"),
        Conv2d("conv2d_dilation2", 3, 4, (3, 3), stride: (1, 1), padding: (2, 2), dilation: (2, 2), groups: 1, bias: true, input: [2, 3, 7, 7]),
        Conv2d("conv2d_depthwise", 3, 6, (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 3, bias: true, input: [2, 3, 7, 7],
            note: "; groups = 3: output channels 2g and 2g+1 see input channel g only, weight [6,1,3,3]"),
        Conv2d("conv2d_no_bias", 3, 4, (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1, bias: false, input: [2, 3, 7, 7]),
        Conv2d("conv2d_rect_k2x3_stride2x1", 3, 4, (2, 3), stride: (2, 1), padding: (0, 0), dilation: (1, 1), groups: 1, bias: true, input: [2, 3, 7, 7],
            note: "; weight [4,3,2,3], sizes are (height, width)"),
        Conv2d("conv2d_1x1", 3, 4, (1, 1), stride: (1, 1), padding: (0, 0), dilation: (1, 1), groups: 1, bias: true, input: [2, 3, 5, 5]),

        Conv1d("conv1d_pad1", stride: 1, "Conv1d(3, 2, kernel_size = 3, stride = 1, padding = 1)(input[2,3,10]) -> [2,2,10]"),
        Conv1d("conv1d_stride2", stride: 2, "Conv1d(3, 2, kernel_size = 3, stride = 2, padding = 1)(input[2,3,10]) -> [2,2,5]"),

        new("maxpool2d_k2", "MaxPool2d", "MaxPool2d(kernel_size = 2) (stride = kernel_size)(input[2,3,6,6]) -> [2,3,3,3]; no near-ties in a window",
            () => nn.MaxPool2d(2), [In.Normal(2, 3, 6, 6)], Call)
        { Attributes = MaxPool2dAttributes(2, 2, 0), Accept = NoTieInWindows(2, 2, 2, 2) },
        new("maxpool2d_k3_s2_p1", "MaxPool2d", "MaxPool2d(kernel_size = 3, stride = 2, padding = 1)(input[1,2,7,7]) -> [1,2,4,4]; padding counts as -inf; overlapping windows; no near-ties in a window",
            () => nn.MaxPool2d(3, 2, 1), [In.Normal(1, 2, 7, 7)], Call)
        { Attributes = MaxPool2dAttributes(3, 2, 1), Accept = NoTieInWindows(3, 3, 2, 2, 1, 1) },
        new("avgpool2d_k2", "AvgPool2d", "AvgPool2d(kernel_size = 2) (stride = kernel_size)(input[2,3,6,6]) -> [2,3,3,3]",
            () => nn.AvgPool2d(2), [In.Normal(2, 3, 6, 6)], Call)
        { Attributes = AvgPool2dAttributes(2, 2, 0, countIncludePad: true) },
        new("avgpool2d_k3_s2_p1_include_pad", "AvgPool2d",
            "AvgPool2d(kernel_size = 3, stride = 2, padding = 1, count_include_pad = True)(input[1,2,7,7]) -> [1,2,4,4]: every window divides by 9, padded zeros included",
            () => nn.AvgPool2d(3, 2, 1, count_include_pad: true), [In.Normal(1, 2, 7, 7)], Call)
        { Attributes = AvgPool2dAttributes(3, 2, 1, countIncludePad: true) },
        new("avgpool2d_k3_s2_p1_exclude_pad", "AvgPool2d",
            "AvgPool2d(kernel_size = 3, stride = 2, padding = 1, count_include_pad = False)(input[1,2,7,7]) -> [1,2,4,4]: a window divides by the number of its elements inside the input",
            () => nn.AvgPool2d(3, 2, 1, count_include_pad: false), [In.Normal(1, 2, 7, 7)], Call)
        { Attributes = AvgPool2dAttributes(3, 2, 1, countIncludePad: false) },
        new("adaptiveavgpool2d_1", "AdaptiveAvgPool2d", "AdaptiveAvgPool2d(output_size = 1)(input[2,3,4,4]) -> [2,3,1,1]: the mean of each channel (global average pooling)",
            () => nn.AdaptiveAvgPool2d(1), [In.Normal(2, 3, 4, 4)], Call)
        { Attributes = A2(("output_size", new[] { 1, 1 })) },
        new("adaptivemaxpool2d_1", "AdaptiveMaxPool2d", "AdaptiveMaxPool2d(output_size = 1)(input[2,3,4,4]) -> [2,3,1,1]: the max of each channel (global max pooling); no near-ties",
            () => nn.AdaptiveMaxPool2d([1L, 1L]), [In.Normal(2, 3, 4, 4)], Call)
        { Attributes = A2(("output_size", new[] { 1, 1 }), ("return_indices", false)), Accept = NoTieInWindows(4, 4, 4, 4) },
        new("maxpool1d_k2", "MaxPool1d", "MaxPool1d(kernel_size = 2) (stride = kernel_size)(input[2,3,8]) -> [2,3,4]; no near-ties in a window",
            () => nn.MaxPool1d(2), [In.Normal(2, 3, 8)], Call)
        {
            Attributes = A2(("kernel_size", new[] { 2 }), ("stride", new[] { 2 }), ("padding", new[] { 0 }), ("dilation", new[] { 1 }), ("ceil_mode", false), ("return_indices", false)),
            Accept = x => NoTieInWindows(1, 2, 1, 2)([x[0].unsqueeze(2)]),
        },
    ];

    static LayerCase Conv2d(string name, long cin, long cout, (long H, long W) k, (long H, long W) stride, (long H, long W) padding,
        (long H, long W) dilation, long groups, bool bias, long[] input, string note = "")
    {
        long oh = (input[2] + 2 * padding.H - dilation.H * (k.H - 1) - 1) / stride.H + 1;
        long ow = (input[3] + 2 * padding.W - dilation.W * (k.W - 1) - 1) / stride.W + 1;
        string desc = $"Conv2d({cin}, {cout}, kernel_size = ({k.H},{k.W}), stride = ({stride.H},{stride.W}), padding = ({padding.H},{padding.W}), dilation = ({dilation.H},{dilation.W}), groups = {groups}, bias = {(bias ? "True" : "False")})"
            + $"(input[{string.Join(",", input)}]) -> [{input[0]},{cout},{oh},{ow}]{note}";
        return new(name, "Conv2d", desc,
            () => nn.Conv2d(cin, cout, k, stride, padding, dilation, groups: groups, bias: bias), [In.Normal(input)], Call)
        {
            Attributes = A2(("in_channels", cin), ("out_channels", cout), ("kernel_size", new[] { k.H, k.W }), ("stride", new[] { stride.H, stride.W }),
                ("padding", new[] { padding.H, padding.W }), ("dilation", new[] { dilation.H, dilation.W }), ("groups", groups), ("bias", bias), ("padding_mode", "zeros")),
        };
    }

    static LayerCase ConvSame(string name, long k, string description) =>
        new(name, "Conv2d", description, () => nn.Conv2d(3, 4, k, Padding.Same), [In.Normal(2, 3, 7, 7)], Call)
        {
            Attributes = A2(("in_channels", 3), ("out_channels", 4), ("kernel_size", new[] { k, k }), ("stride", new[] { 1, 1 }),
                ("padding", "same"), ("dilation", new[] { 1, 1 }), ("groups", 1), ("bias", true), ("padding_mode", "zeros")),
        };

    static LayerCase Conv1d(string name, long stride, string description) =>
        new(name, "Conv1d", description, () => nn.Conv1d(3, 2, 3, stride: stride, padding: 1), [In.Normal(2, 3, 10)], Call)
        {
            Attributes = A2(("in_channels", 3), ("out_channels", 2), ("kernel_size", new[] { 3 }), ("stride", new[] { stride }),
                ("padding", new[] { 1 }), ("dilation", new[] { 1 }), ("groups", 1), ("bias", true), ("padding_mode", "zeros")),
        };

    static (string, object?)[] MaxPool2dAttributes(int k, int s, int p) =>
        A2(("kernel_size", new[] { k, k }), ("stride", new[] { s, s }), ("padding", new[] { p, p }), ("dilation", new[] { 1, 1 }), ("ceil_mode", false), ("return_indices", false));

    static (string, object?)[] AvgPool2dAttributes(int k, int s, int p, bool countIncludePad) =>
        A2(("kernel_size", new[] { k, k }), ("stride", new[] { s, s }), ("padding", new[] { p, p }), ("ceil_mode", false), ("count_include_pad", countIncludePad));

    /// <summary>
    /// Accepts when, in every pooling window of input 0 ([N,C,H,W]; padding counts as -inf), the largest
    /// two values are at least <see cref="Margin"/> apart, so the max's gradient goes to one element.
    /// </summary>
    static Func<Tensor[], bool> NoTieInWindows(long kh, long kw, long sh, long sw, long ph = 0, long pw = 0) => x =>
    {
        Tensor t = x[0];
        if (ph > 0 || pw > 0)
            t = F.pad(t, [pw, pw, ph, ph], value: double.NegativeInfinity);
        var windows = t.unfold(2, kh, sh).unfold(3, kw, sw).flatten(-2);
        var top2 = windows.topk(2, -1).values;
        return (top2.select(-1, 0) - top2.select(-1, 1)).min().item<float>() >= Margin;
    };
}
