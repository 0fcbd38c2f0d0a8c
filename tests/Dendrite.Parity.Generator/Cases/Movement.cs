using static Dendrite.Parity.Generator.Row;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Dendrite.Parity.Generator.Cases;

/// <summary>Shape and movement ops: views, concatenation, splitting, indexing.</summary>
static class Movement
{
    public static OpCase[] Cases =>
    [
        new("reshape_3d_to_2d", "reshape", "reshape(a[2,3,4], shape = [6,4])",
            [In.Normal(2, 3, 4)], x => [x[0].reshape(6, 4)]) { Attributes = A(("shape", new[] { 6, 4 })) },
        new("transpose_2d", "transpose", "transpose(a[3,4], dim0 = 0, dim1 = 1) -> [4,3]",
            [In.Normal(3, 4)], x => [x[0].transpose(0, 1)]) { Attributes = A(("dim0", 0), ("dim1", 1)) },
        new("permute_201", "permute", "permute(a[2,3,4], dims = [2,0,1]) -> [4,2,3]",
            [In.Normal(2, 3, 4)], x => [x[0].permute(2, 0, 1)]) { Attributes = A(("dims", new[] { 2, 0, 1 })) },
        new("narrow_dim1", "narrow", "narrow(a[3,5], dim = 1, start = 1, length = 2) -> [3,2]",
            [In.Normal(3, 5)], x => [x[0].narrow(1, 1, 2)]) { Attributes = A(("dim", 1), ("start", 1), ("length", 2)) },
        new("squeeze_dim1", "squeeze", "squeeze(a[3,1,4], dim = 1) -> [3,4]",
            [In.Normal(3, 1, 4)], x => [x[0].squeeze(1)]) { Attributes = A(("dim", 1)) },
        new("unsqueeze_dim0", "unsqueeze", "unsqueeze(a[3,4], dim = 0) -> [1,3,4]",
            [In.Normal(3, 4)], x => [x[0].unsqueeze(0)]) { Attributes = A(("dim", 0)) },
        new("expand_col", "expand", "expand(a[3,1], shape = [3,4])",
            [In.Normal(3, 1)], x => [x[0].expand(3, 4)]) { Attributes = A(("shape", new[] { 3, 4 })) },

        new("cat_dim0", "cat", "cat([a[2,3], b[4,3]], dim = 0) -> [6,3]",
            [In.Normal(2, 3), In.Normal(4, 3)], x => [cat([x[0], x[1]], 0)]) { Attributes = A(("dim", 0)) },
        new("cat_dim1", "cat", "cat([a[2,3], b[2,2]], dim = 1) -> [2,5]",
            [In.Normal(2, 3), In.Normal(2, 2)], x => [cat([x[0], x[1]], 1)]) { Attributes = A(("dim", 1)) },
        new("stack_dim1", "stack", "stack([a[2,3], b[2,3], c[2,3]], dim = 1) -> [2,3,3]",
            [In.Normal(2, 3), In.Normal(2, 3), In.Normal(2, 3)], x => [stack([x[0], x[1], x[2]], 1)]) { Attributes = A(("dim", 1)) },
        new("split_sizes_dim0", "split", "split(a[5,4], sizes = [2,3], dim = 0) -> ([2,4], [3,4])",
            [In.Normal(5, 4)], x => x[0].split([2L, 3L], 0)) { Attributes = A(("sizes", new[] { 2, 3 }), ("dim", 0)) },

        new("index_select_dim0", "index_select", "index_select(a[5,3], dim = 0, index int64[4] = [4,0,2,2]) -> [4,3] (a repeated index accumulates)",
            [In.Normal(5, 3), In.Int64([4, 0, 2, 2])], x => [x[0].index_select(0, x[1])]) { Attributes = A(("dim", 0)) },
        new("gather_dim1", "gather", "gather(a[3,4], dim = 1, index int64[3,2] = [[3,0],[1,1],[2,3]]) -> [3,2] (a repeated index accumulates)",
            [In.Normal(3, 4), In.Int64([3, 0, 1, 1, 2, 3], 3, 2)], x => [x[0].gather(1, x[1])]) { Attributes = A(("dim", 1)) },
        new("one_hot_5", "one_hot", "one_hot(t int64[4] = [0,3,1,2], num_classes = 5) -> int64[4,5]; forward only",
            [In.Int64([0, 3, 1, 2])], x => [F.one_hot(x[0], 5)]) { Attributes = A(("num_classes", 5)) },
    ];
}
