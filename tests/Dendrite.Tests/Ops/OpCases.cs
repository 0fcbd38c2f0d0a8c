using Dendrite.Tests.Support;

namespace Dendrite.Tests.Ops;

/// <summary>
/// One row per op case: how to compute, in Dendrite, what a libtorch reference file computed.
/// Each row runs through every check in <see cref="OpTests"/>: forward and backward against
/// libtorch, and the gradient against finite differences.
/// </summary>
public static class OpCases
{
    /// <summary>Builds the outputs from the case's inputs (float inputs as tensors, integer inputs read from the case).</summary>
    public delegate Tensor[] Builder(ReferenceCase c, Tensor[] x);

    private static Tensor[] One(Tensor t) => [t];

    public static readonly IReadOnlyDictionary<string, Builder> Rows = new Dictionary<string, Builder>
    {
        // Element-wise binary, broadcasting.
        ["add_broadcast_row"] = (c, x) => One(x[0] + x[1]),
        ["add_broadcast_outer"] = (c, x) => One(x[0] + x[1]),
        ["sub_broadcast_col"] = (c, x) => One(x[0] - x[1]),
        ["mul_broadcast_batch"] = (c, x) => One(x[0] * x[1]),
        ["div_same_shape"] = (c, x) => One(x[0] / x[1]),
        ["div_broadcast_row"] = (c, x) => One(x[0] / x[1]),
        ["add_scalar"] = (c, x) => One(x[0] + c.Float("scalar")),
        ["mul_scalar"] = (c, x) => One(x[0] * c.Float("scalar")),
        ["pow_scalar_fractional"] = (c, x) => One(x[0].Pow(c.Float("exponent"))),
        ["pow_scalar_integer"] = (c, x) => One(x[0].Pow(c.Float("exponent"))),
        ["pow_tensor"] = (c, x) => One(x[0].Pow(x[1])),
        ["maximum_same_shape"] = (c, x) => One(x[0].Maximum(x[1])),
        ["maximum_broadcast_row"] = (c, x) => One(x[0].Maximum(x[1])),
        ["minimum_same_shape"] = (c, x) => One(x[0].Minimum(x[1])),
        ["minimum_broadcast_row"] = (c, x) => One(x[0].Minimum(x[1])),

        // Unary and activations.
        ["neg"] = (c, x) => One(-x[0]),
        ["exp"] = (c, x) => One(x[0].Exp()),
        ["log"] = (c, x) => One(x[0].Log()),
        ["sqrt"] = (c, x) => One(x[0].Sqrt()),
        ["abs"] = (c, x) => One(x[0].Abs()),
        ["sign"] = (c, x) => One(x[0].Sign()),
        ["square"] = (c, x) => One(x[0].Square()),
        ["reciprocal"] = (c, x) => One(x[0].Reciprocal()),
        ["clamp"] = (c, x) => One(x[0].Clamp(c.Float("min"), c.Float("max"))),
        ["sigmoid"] = (c, x) => One(x[0].Sigmoid()),
        ["tanh"] = (c, x) => One(x[0].Tanh()),
        ["lecun_tanh"] = (c, x) => One(x[0].LecunTanh()),
        ["relu"] = (c, x) => One(x[0].Relu()),
        ["leaky_relu_0p01"] = (c, x) => One(x[0].LeakyRelu(c.Float("negative_slope"))),
        ["leaky_relu_0p2"] = (c, x) => One(x[0].LeakyRelu(c.Float("negative_slope"))),
        ["elu_alpha1"] = (c, x) => One(x[0].Elu(c.Float("alpha"))),
        ["elu_alpha0p5"] = (c, x) => One(x[0].Elu(c.Float("alpha"))),
        ["softplus"] = (c, x) => One(x[0].Softplus()),
        ["gelu"] = (c, x) => One(x[0].Gelu()),
        ["silu"] = (c, x) => One(x[0].Silu()),

        // Selection and comparison.
        ["where_mask"] = (c, x) => One(TensorOps.Where(x[0], x[1], x[2])),
        ["gt_broadcast_row"] = (c, x) => One(x[0].Greater(x[1])),
        ["lt_broadcast_row"] = (c, x) => One(x[0].Less(x[1])),
        ["ge_broadcast_row"] = (c, x) => One(x[0].GreaterOrEqual(x[1])),
        ["le_broadcast_row"] = (c, x) => One(x[0].LessOrEqual(x[1])),
        ["eq_broadcast_row"] = (c, x) => One(x[0].Equal(x[1])),

        // Reductions.
        ["sum_all"] = (c, x) => One(x[0].Sum()),
        ["sum_dim1"] = (c, x) => One(x[0].Sum(c.Int("dim"), c.Bool("keepdim"))),
        ["sum_dims02_keepdim"] = (c, x) => One(x[0].Sum(c.Ints("dims"), c.Bool("keepdim"))),
        ["mean_all"] = (c, x) => One(x[0].Mean()),
        ["mean_last_keepdim"] = (c, x) => One(x[0].Mean(c.Int("dim"), c.Bool("keepdim"))),
        ["max_dim1"] = (c, x) => [x[0].Max(c.Int("dim"), c.Bool("keepdim")), x[0].ArgMax(c.Int("dim"), c.Bool("keepdim"))],
        ["min_dim0"] = (c, x) => [x[0].Min(c.Int("dim"), c.Bool("keepdim")), x[0].ArgMin(c.Int("dim"), c.Bool("keepdim"))],
        ["argmax_dim1"] = (c, x) => One(x[0].ArgMax(c.Int("dim"), c.Bool("keepdim"))),
        ["var_dim1_unbiased"] = (c, x) => One(x[0].Variance(c.Int("dim"), c.Int("correction"), c.Bool("keepdim"))),
        ["var_all_unbiased"] = (c, x) => One(x[0].Variance(c.Int("correction"))),
        ["logsumexp_dim1"] = (c, x) => One(x[0].LogSumExp(c.Int("dim"), c.Bool("keepdim"))),
        ["softmax_dim1_2d"] = (c, x) => One(x[0].Softmax(c.Int("dim"))),
        ["softmax_last_3d"] = (c, x) => One(x[0].Softmax(c.Int("dim"))),
        ["softmax_dim1_3d"] = (c, x) => One(x[0].Softmax(c.Int("dim"))),
        ["log_softmax_dim1_2d"] = (c, x) => One(x[0].LogSoftmax(c.Int("dim"))),
        ["log_softmax_last_3d"] = (c, x) => One(x[0].LogSoftmax(c.Int("dim"))),

        // Matrix products; transposed operands are views passed to the GEMM without a copy.
        ["matmul_2d"] = (c, x) => One(x[0].MatMul(x[1])),
        ["matmul_batched"] = (c, x) => One(x[0].MatMul(x[1])),
        ["matmul_broadcast_b"] = (c, x) => One(x[0].MatMul(x[1])),
        ["matmul_broadcast_batch_dims"] = (c, x) => One(x[0].MatMul(x[1])),
        ["matmul_transpose_a"] = (c, x) => One(x[0].T.MatMul(x[1])),
        ["matmul_transpose_b"] = (c, x) => One(x[0].MatMul(x[1].T)),

        // Movement.
        ["reshape_3d_to_2d"] = (c, x) => One(x[0].Reshape(c.Ints("shape"))),
        ["transpose_2d"] = (c, x) => One(x[0].Transpose(c.Int("dim0"), c.Int("dim1"))),
        ["permute_201"] = (c, x) => One(x[0].Permute(c.Ints("dims"))),
        ["narrow_dim1"] = (c, x) => One(x[0].Narrow(c.Int("dim"), c.Int("start"), c.Int("length"))),
        ["squeeze_dim1"] = (c, x) => One(x[0].Squeeze(c.Int("dim"))),
        ["unsqueeze_dim0"] = (c, x) => One(x[0].Unsqueeze(c.Int("dim"))),
        ["expand_col"] = (c, x) => One(x[0].Expand(c.Ints("shape"))),
        ["cat_dim0"] = (c, x) => One(TensorOps.Concat(x, c.Int("dim"))),
        ["cat_dim1"] = (c, x) => One(TensorOps.Concat(x, c.Int("dim"))),
        ["stack_dim1"] = (c, x) => One(TensorOps.Stack(x, c.Int("dim"))),
        ["split_sizes_dim0"] = (c, x) => x[0].Split(c.Ints("sizes"), c.Int("dim")),
        ["index_select_dim0"] = (c, x) => One(x[0].IndexSelect(c.Int("dim"), c.Inputs[1].ToInts())),
        ["gather_dim1"] = (c, x) => One(x[0].Gather(c.Int("dim"), c.Inputs[1].ToTensor())),
        ["one_hot_5"] = (c, x) => One(TensorOps.OneHot(c.Inputs[0].ToTensor(), c.Int("num_classes"))),

        // Losses.
        ["cross_entropy_mean"] = (c, x) => One(x[0].SoftmaxCrossEntropy(c.Inputs[1].ToInts(), Reduction.Mean)),
        ["cross_entropy_sum"] = (c, x) => One(x[0].SoftmaxCrossEntropy(c.Inputs[1].ToInts(), Reduction.Sum)),
        ["nll_loss_mean"] = (c, x) => One(x[0].NllLoss(c.Inputs[1].ToInts())),
        ["bce_with_logits_mean"] = (c, x) => One(x[0].BinaryCrossEntropyWithLogits(x[1])),
        ["mse_loss_mean"] = (c, x) => One((x[0] - x[1]).Square().Mean()),
    };
}
