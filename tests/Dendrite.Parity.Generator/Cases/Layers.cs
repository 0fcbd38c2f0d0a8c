using TorchSharp;
using static Dendrite.Parity.Generator.Row;
using static TorchSharp.torch;

namespace Dendrite.Parity.Generator.Cases;

/// <summary>
/// Linear, BatchNorm, LayerNorm and Embedding as torch modules. Parameters come from torch's default
/// init, then constants are redrawn (<see cref="LayerRunner.RedrawConstants"/>): BatchNorm's and
/// LayerNorm's weight (1) and bias (0) and BatchNorm's running_mean (0) and running_var (1) are random.
/// </summary>
static class Layers
{
    public static LayerCase[] Cases =>
    [
        new("linear_bias", "Linear", "Linear(in_features = 5, out_features = 3, bias = True)(input[4,5]) -> [4,3]",
            () => nn.Linear(5, 3, hasBias: true), [In.Normal(4, 5)], Call)
        { Attributes = A2(("in_features", 5), ("out_features", 3), ("bias", true)) },
        new("linear_no_bias", "Linear", "Linear(in_features = 5, out_features = 3, bias = False)(input[4,5]) -> [4,3]",
            () => nn.Linear(5, 3, hasBias: false), [In.Normal(4, 5)], Call)
        { Attributes = A2(("in_features", 5), ("out_features", 3), ("bias", false)) },
        new("linear_relu", "Linear+ReLU", "Sequential(Linear(in_features = 6, out_features = 5, bias = True), ReLU())(input[7,6]) -> [7,5]: Dense with a ReLU activation, which Dendrite fuses into one op",
            () => nn.Sequential(("linear", nn.Linear(6, 5, hasBias: true)), ("relu", nn.ReLU())), [In.Normal(7, 6)], Call)
        { Attributes = A2(("in_features", 6), ("out_features", 5), ("bias", true)) },
        new("linear_3d_input", "Linear", "Linear(in_features = 5, out_features = 3, bias = True)(input[2,3,5]) -> [2,3,3] (applied to the last dimension)",
            () => nn.Linear(5, 3, hasBias: true), [In.Normal(2, 3, 5)], Call)
        { Attributes = A2(("in_features", 5), ("out_features", 3), ("bias", true)) },

        new("batchnorm1d_train", "BatchNorm1d",
            "BatchNorm1d(num_features = 4, eps = 1e-5, momentum = 0.1, affine = True, track_running_stats = True), training, on input[6,4]: normalises with the batch statistics (biased variance) and updates running_mean/running_var (unbiased variance) and num_batches_tracked",
            () => nn.BatchNorm1d(4), [In.Normal(6, 4)], Call)
        { Attributes = BatchNormAttributes(4) },
        new("batchnorm1d_eval", "BatchNorm1d",
            "BatchNorm1d(num_features = 4, eps = 1e-5, momentum = 0.1, affine = True, track_running_stats = True), eval, on input[6,4]: normalises with running_mean/running_var, which do not change",
            () => nn.BatchNorm1d(4), [In.Normal(6, 4)], Call)
        { Attributes = BatchNormAttributes(4), Training = false },
        new("batchnorm1d_train_ncl", "BatchNorm1d",
            "BatchNorm1d(num_features = 4, eps = 1e-5, momentum = 0.1, affine = True, track_running_stats = True), training, on input[5,4,3] (N, C, L): statistics over N and L per channel",
            () => nn.BatchNorm1d(4), [In.Normal(5, 4, 3)], Call)
        { Attributes = BatchNormAttributes(4) },
        new("batchnorm2d_train", "BatchNorm2d",
            "BatchNorm2d(num_features = 3, eps = 1e-5, momentum = 0.1, affine = True, track_running_stats = True), training, on input[4,3,5,5]: statistics over N, H, W per channel",
            () => nn.BatchNorm2d(3), [In.Normal(4, 3, 5, 5)], Call)
        { Attributes = BatchNormAttributes(3) },
        new("batchnorm2d_eval", "BatchNorm2d",
            "BatchNorm2d(num_features = 3, eps = 1e-5, momentum = 0.1, affine = True, track_running_stats = True), eval, on input[2,3,4,4]",
            () => nn.BatchNorm2d(3), [In.Normal(2, 3, 4, 4)], Call)
        { Attributes = BatchNormAttributes(3), Training = false },

        new("layernorm_last", "LayerNorm", "LayerNorm(normalized_shape = [6], eps = 1e-5, elementwise_affine = True)(input[4,6]): over the last dimension",
            () => nn.LayerNorm([6L]), [In.Normal(4, 6)], Call)
        { Attributes = A2(("normalized_shape", new[] { 6 }), ("eps", 1e-5), ("elementwise_affine", true), ("bias", true)) },
        new("layernorm_last2", "LayerNorm", "LayerNorm(normalized_shape = [3,4], eps = 1e-5, elementwise_affine = True)(input[2,3,4]): over the last two dimensions, weight and bias [3,4]",
            () => nn.LayerNorm([3L, 4L]), [In.Normal(2, 3, 4)], Call)
        { Attributes = A2(("normalized_shape", new[] { 3, 4 }), ("eps", 1e-5), ("elementwise_affine", true), ("bias", true)) },

        new("embedding_repeats", "Embedding",
            "Embedding(num_embeddings = 10, embedding_dim = 4)(indices int64[3,5] in [0,10)) -> [3,5,4]; some index occurs more than once, so weight's gradient sums several rows",
            () => nn.Embedding(10, 4), [In.RandInt(10, 3, 5)], Call)
        {
            Attributes = A2(("num_embeddings", 10), ("embedding_dim", 4)),
            Accept = x =>
            {
                var sorted = x[0].flatten().sort().Values;
                return sorted.narrow(0, 1, 14).eq(sorted.narrow(0, 0, 14)).any().item<bool>();
            },
        },
    ];

    /// <summary>Attributes that may hold null (layer files), unlike <see cref="Row.A"/>.</summary>
    public static (string, object?)[] A2(params (string, object?)[] attributes) => attributes;

    /// <summary>A module of one tensor to one tensor.</summary>
    public static Tensor[] Call(nn.Module? m, Tensor[] x) => [((nn.Module<Tensor, Tensor>)m!).call(x[0])];

    static (string, object?)[] BatchNormAttributes(int features) =>
        A2(("num_features", features), ("eps", 1e-5), ("momentum", 0.1), ("affine", true), ("track_running_stats", true));
}
