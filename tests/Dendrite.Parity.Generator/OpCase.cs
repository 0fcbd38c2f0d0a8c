using TorchSharp;
using static TorchSharp.torch;

namespace Dendrite.Parity.Generator;

/// <summary>
/// One reference case: an op applied to inputs drawn at random, run forward and backward in libtorch.
/// A row of a case table (see Cases/); <see cref="CaseRunner"/> turns it into one JSON file.
/// </summary>
/// <param name="Name">File name without extension, e.g. <c>add_broadcast_row</c>; also seeds the draws.</param>
/// <param name="Op">The Dendrite/torch op the case exercises, e.g. <c>add</c>, <c>softmax</c>.</param>
/// <param name="Description">The call in torch notation with shapes, naming every attribute.</param>
/// <param name="Inputs">How to draw each input, in the op's argument order.</param>
/// <param name="Forward">The op in TorchSharp: inputs (in order) to outputs (in order).</param>
sealed record OpCase(string Name, string Op, string Description, In[] Inputs, Func<Tensor[], Tensor[]> Forward)
{
    /// <summary>Every non-tensor argument, in the order written to the file.</summary>
    public (string Key, object Value)[] Attributes { get; init; } = [];

    /// <summary>
    /// Rejects a draw whose inputs sit too close to a kink or a tie (relu at 0, max between near-equal
    /// values); the runner then draws again from the same generator, so the result stays reproducible.
    /// </summary>
    public Func<Tensor[], bool>? Accept { get; init; }
}

/// <summary>How one input is drawn. Draws use the global torch generator, seeded per case.</summary>
/// <param name="Shape">The stored shape.</param>
/// <param name="Draw">Draws the values (float32, int64 or bool) given the shape.</param>
/// <param name="RequiresGrad">Whether the file carries a gradient for it (float inputs only).</param>
sealed record In(long[] Shape, Func<long[], Tensor> Draw, bool RequiresGrad = true)
{
    /// <summary>When set, the input is computed from the other (non-derived) inputs after they are drawn.</summary>
    public Func<Tensor[], Tensor>? Derive { get; init; }

    /// <summary>normal(0, 1).</summary>
    public static In Normal(params long[] shape) => new(shape, s => randn(s));

    /// <summary>uniform(lo, hi): for log, sqrt, fractional powers.</summary>
    public static In Uniform(double lo, double hi, params long[] shape) =>
        new(shape, s => rand(s) * (hi - lo) + lo);

    /// <summary>Random sign times uniform(0.5, 2): a denominator bounded away from zero.</summary>
    public static In Denominator(params long[] shape) =>
        new(shape, s => rand(s).mul(1.5).add(0.5) * (rand(s).lt(0.5).to_type(ScalarType.Float32) * 2 - 1));

    /// <summary>Whole numbers in [-2, 2] stored as float32, so that comparisons meet ties.</summary>
    public static In SmallIntegers(params long[] shape) =>
        new(shape, s => randint(-2, 3, s).to_type(ScalarType.Float32), RequiresGrad: false);

    /// <summary>Fixed int64 values (indices, class targets), no gradient.</summary>
    public static In Int64(long[] values, params long[] shape) =>
        new(shape.Length == 0 ? [values.Length] : shape, s => tensor(values, s), RequiresGrad: false);

    /// <summary>Random int64 values in [0, high) (class targets), no gradient.</summary>
    public static In RandInt(long high, params long[] shape) =>
        new(shape, s => randint(0, high, s), RequiresGrad: false);

    /// <summary>An input computed from the drawn ones, e.g. the mask <c>a > 0</c> of <c>where</c>.</summary>
    public static In Derived(long[] shape, Func<Tensor[], Tensor> derive) =>
        new(shape, _ => throw new InvalidOperationException("derived"), RequiresGrad: false) { Derive = derive };

    /// <summary>Any other distribution, e.g. log-probabilities for nll_loss.</summary>
    public static In Custom(long[] shape, Func<long[], Tensor> draw) => new(shape, draw);

    /// <summary>The same input without a gradient (targets, forward-only cases).</summary>
    public In NoGrad() => this with { RequiresGrad = false };
}

/// <summary>Short helpers for writing case rows.</summary>
static class Row
{
    /// <summary>Smallest allowed distance to a kink or a tie; finite differences use steps below it.</summary>
    public const double Margin = 1e-3;

    public static (string, object)[] A(params (string, object)[] attributes) => attributes;

    public static long[] S(params long[] shape) => shape;

    /// <summary>Accepts when every element of input <paramref name="index"/> is at least <see cref="Margin"/> from each point.</summary>
    public static Func<Tensor[], bool> AwayFrom(int index, params double[] points) =>
        x => points.All(p => (x[index] - p).abs().min().item<float>() >= Margin);

    /// <summary>Accepts when inputs <paramref name="i"/> and <paramref name="j"/> differ by at least <see cref="Margin"/> everywhere (after broadcasting).</summary>
    public static Func<Tensor[], bool> Apart(int i, int j) =>
        x => (x[i] - x[j]).abs().min().item<float>() >= Margin;

    /// <summary>Accepts when the largest and the second largest (or smallest) values along <paramref name="dim"/> differ by at least <see cref="Margin"/>.</summary>
    public static Func<Tensor[], bool> NoTieAlong(int index, int dim, bool largest = true) =>
        x =>
        {
            var top2 = x[index].topk(2, dim, largest).values;
            return (top2.narrow(dim, 0, 1) - top2.narrow(dim, 1, 1)).abs().min().item<float>() >= Margin;
        };
}
