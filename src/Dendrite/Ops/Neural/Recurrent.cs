using Dendrite.Kernels;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// What the fused sequence ops (RecurrentLstm.cs, RecurrentGru.cs, RecurrentRnn.cs) share.
// B = batch, T = time steps, H = hidden size, G = gate rows (4H for LSTM, 3H for GRU, H for RNN).
//
// Each op runs a whole sequence in one graph node: the caller has already computed the input
// projection of every step with one GEMM ([B·T, F]·[F, G]); the op adds the recurrent projection with
// one GEMM per step ([B, H]·[H, G]) and runs the fused gate kernels of Kernels/RecurrentCells.cs. Its
// backward is backpropagation through time: one GEMM per step for dL/dh_prev, and one GEMM over all
// steps for dL/dW_hh ([G, B·T]·[B·T, H]).
//
// Speed: W_hh is packed once per sequence (Kernels/RecurrentGemm.cs) instead of at every step, and
// the batch is split into row blocks that run the whole recurrence on different cores: sequences of a
// batch never interact, so the blocks need no synchronisation between steps (a per-step split of each
// small product would need two per step). Every row is computed the same way whatever the split, so
// results do not depend on the number of threads.
//
// Direction: forward reads t = 0, 1, ..., T−1; reverse reads t = T−1, ..., 0 and still writes the
// state after reading step t at position t (so a reverse layer's final state sits at t = 0).

public static partial class TensorOps
{
    [ThreadStatic] private static PackedMatrix? _packedRecurrentWeight;

    /// <summary>
    /// Packs op(W) for the per-step products into this thread's reusable buffer: W_hhᵀ [H, G] for the
    /// forward pass (<paramref name="transpose"/>), W_hh [G, H] for the backward pass.
    /// </summary>
    private static PackedMatrix PackRecurrentWeight(ReadOnlySpan<float> weight, int gates, int hidden, bool transpose)
    {
        PackedMatrix packed = _packedRecurrentWeight ??= new PackedMatrix();
        if (transpose) packed.Pack(hidden, gates, weight, hidden, transposeB: true);
        else packed.Pack(gates, hidden, weight, hidden, transposeB: false);
        return packed;
    }

    /// <summary>
    /// Runs <paramref name="body"/>(first row, end row) over blocks of the batch, on several cores when the
    /// sequence is worth it (at least 4 rows and a few million multiply-adds per block).
    /// </summary>
    /// <remarks>
    /// The blocks run on the GEMM's thread team (<see cref="Gemm.RunParallel"/>): its worker is usually still
    /// spinning from the product before and takes the second block at once, where a thread-pool thread would
    /// have to be woken and would then share the second core with that spinning worker.
    /// </remarks>
    private static void ForEachBatchBlock(int batch, long multiplyAdds, Action<int, int> body)
    {
        int blocks = Math.Min(Math.Min(Gemm.MaxThreads, Environment.ProcessorCount), batch / 4);
        blocks = (int)Math.Min(blocks, multiplyAdds / 2_000_000);
        if (blocks <= 1)
        {
            body(0, batch);
            return;
        }
        BatchBlocks job = _batchBlocks ??= new BatchBlocks();
        (job.Body, job.Batch, job.Blocks) = (body, batch, blocks);
        try
        {
            Gemm.RunParallel(job, blocks);
        }
        finally
        {
            job.Body = null!;
        }
    }

    [ThreadStatic] private static BatchBlocks? _batchBlocks;

    /// <summary>Block c of <see cref="Blocks"/> runs <see cref="Body"/> on rows [Batch·c/Blocks, Batch·(c+1)/Blocks).</summary>
    private sealed class BatchBlocks : ChunkJob
    {
        public Action<int, int> Body = null!;
        public int Batch, Blocks;

        public override void RunChunk(int chunk) => Body(Batch * chunk / Blocks, Batch * (chunk + 1) / Blocks);
    }

    /// <summary>The time index of processing step <paramref name="step"/>.</summary>
    private static int TimeAt(int step, int steps, bool reverse) => reverse ? steps - 1 - step : step;

    /// <summary>
    /// Copies into <paramref name="destination"/> [B, T, H] (rows <paramref name="stride"/> apart, from
    /// column <paramref name="column"/>) the state each step started from: the initial state at the first
    /// processed step, else the previous step's state, read from <paramref name="states"/> [B, T, H];
    /// only batch rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) when given (−1: to the last).
    /// </summary>
    private static void PreviousStates(ReadOnlySpan<float> states, ReadOnlySpan<float> initial, int batch, int steps, int hidden, bool reverse, Span<float> destination,
        int stride = 0, int column = 0, int firstRow = 0, int endRow = -1)
    {
        if (stride == 0) stride = hidden;
        if (endRow < 0) endRow = batch;
        for (int b = firstRow; b < endRow; b++)
        {
            for (int t = 0; t < steps; t++)
            {
                Span<float> row = destination.Slice((b * steps + t) * stride + column, hidden);
                int previous = reverse ? t + 1 : t - 1;
                if (previous < 0 || previous >= steps) initial.Slice(b * hidden, hidden).CopyTo(row);
                else states.Slice((b * steps + previous) * hidden, hidden).CopyTo(row);
            }
        }
    }

    /// <summary>Checks the shapes shared by the GRU and RNN sequence ops; returns (B, T, H).</summary>
    private static (int Batch, int Steps, int Hidden) CheckSequence(string op, Tensor gates, int gateCount, Tensor recurrentWeight, Tensor initialHidden, Tensor? zoneoutKeep)
    {
        if (gates.Rank != 3)
            throw new ShapeMismatchException($"{op}: the input projections must be [batch, time, {gateCount}·hidden]; got {gates.Shape}.");
        if (recurrentWeight.Rank != 2 || recurrentWeight.Shape[0] != gateCount * recurrentWeight.Shape[1])
            throw new ShapeMismatchException($"{op}: the recurrent weight must be [{gateCount}·hidden, hidden]; got {recurrentWeight.Shape}.");
        int batch = gates.Shape[0], steps = gates.Shape[1], hidden = recurrentWeight.Shape[1];
        if (gates.Shape[2] != gateCount * hidden)
            throw new ShapeMismatchException($"{op}: input projections {gates.Shape} do not fit recurrent weight {recurrentWeight.Shape}; the last dimension must be {gateCount * hidden}.");
        if (steps == 0)
            throw new ShapeMismatchException($"{op}: the sequence {gates.Shape} has no time steps.");
        if (initialHidden.Shape != new Shape(batch, hidden))
            throw new ShapeMismatchException($"{op}: the initial hidden state must be [{batch}, {hidden}] for input projections {gates.Shape}; got {initialHidden.Shape}.");
        var keepShape = new Shape(batch, steps, hidden);
        if (zoneoutKeep is not null && zoneoutKeep.Shape != keepShape)
            throw new ShapeMismatchException($"{op}: the zoneout mask must be {keepShape}; got {zoneoutKeep.Shape}.");
        return (batch, steps, hidden);
    }
}
