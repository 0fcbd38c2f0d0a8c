using static Dendrite.Parity.Generator.Row;

namespace Dendrite.Parity.Generator.Cases;

/// <summary>torch.matmul: plain, batched, broadcast batch dimensions, and transposed operands.</summary>
static class Matmul
{
    public static OpCase[] Cases =>
    [
        new("matmul_2d", "matmul", "a[3,4] @ b[4,5] -> [3,5]",
            [In.Normal(3, 4), In.Normal(4, 5)], x => [x[0].matmul(x[1])]),
        new("matmul_batched", "matmul", "a[2,3,4] @ b[2,4,5] -> [2,3,5]",
            [In.Normal(2, 3, 4), In.Normal(2, 4, 5)], x => [x[0].matmul(x[1])]),
        new("matmul_broadcast_b", "matmul", "a[2,3,4] @ b[4,5] -> [2,3,5] (b shared by the batch)",
            [In.Normal(2, 3, 4), In.Normal(4, 5)], x => [x[0].matmul(x[1])]),
        new("matmul_transpose_a", "matmul", "a.t() @ b with a stored [4,3], b[4,5] -> [3,5]; transpose_a = true",
            [In.Normal(4, 3), In.Normal(4, 5)], x => [x[0].t().matmul(x[1])]) { Attributes = A(("transpose_a", true)) },
        new("matmul_transpose_b", "matmul", "a @ b.t() with a[3,4], b stored [5,4] -> [3,5]; transpose_b = true",
            [In.Normal(3, 4), In.Normal(5, 4)], x => [x[0].matmul(x[1].t())]) { Attributes = A(("transpose_b", true)) },
        new("matmul_broadcast_batch_dims", "matmul", "a[2,1,3,4] @ b[3,4,2] -> [2,3,3,2] (batch dims [2,1] and [3] broadcast)",
            [In.Normal(2, 1, 3, 4), In.Normal(3, 4, 2)], x => [x[0].matmul(x[1])]),
    ];
}
