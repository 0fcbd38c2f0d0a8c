using Dendrite.Autograd;
using Dendrite.Kernels;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// A whole LSTM sequence in one node (see Recurrent.cs for the plan and the letters; G = 4H).
//   a_t = x_t·W_ihᵀ + b  (given, [B, T, 4H])  +  h_{t−1}·W_hhᵀ      one GEMM per step
//   (i, f, g, o, c̃_t, h̃_t) = cell(a_t, c_{t−1}, peepholes)         Kernels/RecurrentCells.cs
//   c_t = k_c⊙c_{t−1} + (1−k_c)⊙c̃_t,  h_t = k_h⊙h_{t−1} + (1−k_h)⊙h̃_t   (zoneout; without it c = c̃, h = h̃)
// The output holds both states of every step, [2, B, T, H]: [0] the hidden states h_t, [1] the cells
// c_t, so that callers take the outputs and the final (h, c) as views and gradients reach both.
// Backward through time, t from the last processed step to the first:
//   dh_t = dY_h[t] + dL/dh_t from step t+1,  dc_t = dY_c[t] + dL/dc_t from step t+1
//   zoneout splits them: dh̃ = (1−k_h)⊙dh_t, direct k_h⊙dh_t to h_{t−1} (and the same for c)
//   cell backward → da_t (which is dL/d(input projection)[t]) and dL/dc_{t−1}
//   dL/dh_{t−1} = da_t·W_hh (+ the direct zoneout part)                     one GEMM per step
//   dW_hh = Σ_t da_tᵀ·h_{t−1} = dAᵀ·H_prev,  [4H, B·T]·[B·T, H]             one GEMM
//   dpeepholes = Σ over rows and steps of the kernel's per-row sums

public static partial class TensorOps
{
    extension(Tensor inputGates)
    {
        /// <summary>
        /// Runs an LSTM over a whole sequence, given the input projections of every step
        /// (<c>x·W_ihᵀ + b_ih + b_hh</c>, gates stacked i, f, g, o as in torch), and returns the hidden
        /// and cell state of every step. Differentiable in the projections, the recurrent weight, the
        /// initial states and the peepholes (backpropagation through time).
        /// </summary>
        /// <param name="recurrentWeight">W_hh [4H, H].</param>
        /// <param name="initialHidden">h_0 [B, H].</param>
        /// <param name="initialCell">c_0 [B, H].</param>
        /// <param name="peepholes">Optional peephole weights [3, H] (rows p_i, p_f, p_o): i and f see c_{t−1}, o sees c_t.</param>
        /// <param name="zoneoutKeep">Optional zoneout mixing weights [2, B, T, H] (for h, then c), values in [0, 1]: 1 keeps the previous state (a zoned-out unit in training), p mixes by the expectation (evaluation). Not differentiated.</param>
        /// <param name="reverse">Read the sequence from the last step to the first (the backward direction of a bidirectional layer).</param>
        /// <returns>[2, B, T, H]: index 0 the hidden states h_t, index 1 the cell states c_t; the state after reading step t is at position t in both directions.</returns>
        public Tensor LstmSequence(Tensor recurrentWeight, Tensor initialHidden, Tensor initialCell, Tensor? peepholes = null, Tensor? zoneoutKeep = null, bool reverse = false)
        {
            var (batch, steps, hidden) = CheckSequence("LstmSequence", inputGates, 4, recurrentWeight, initialHidden, zoneoutKeep, keepBlocks: 2);
            if (initialCell.Shape != initialHidden.Shape)
                throw new ShapeMismatchException($"LstmSequence: the initial cell state must be [{batch}, {hidden}] like the hidden state; got {initialCell.Shape}.");
            if (peepholes is not null && peepholes.Count != 3 * hidden)
                throw new ShapeMismatchException($"LstmSequence: peepholes must be [3, {hidden}] (p_i, p_f, p_o); got {peepholes.Shape}.");
            Tensor x = inputGates.Contiguous(), w = recurrentWeight.Contiguous(), h0 = initialHidden.Contiguous(), c0 = initialCell.Contiguous();
            Tensor? p = peepholes?.Contiguous(), keep = zoneoutKeep?.Contiguous();
            int gates = 4 * hidden, stateCount = batch * steps * hidden;

            // acts [B, T, 4H]: the input projections, then + h·W_hhᵀ, then the gate activations in place.
            var run = new LstmRun(batch, steps, hidden, reverse)
            {
                Acts = BufferPool.Rent(batch * steps * gates),
                TanhCell = BufferPool.Rent(stateCount),
                Candidates = keep is null ? null : BufferPool.Rent(2 * stateCount),   // c̃ and h̃ before zoneout
                Output = Tensor.Uninitialized(new Shape(2, batch, steps, hidden)),
                InitialHidden = h0,
                InitialCell = c0,
                Peepholes = p,
                Keep = keep,
                Packed = PackRecurrentWeight(w.Span, gates, hidden, transpose: true),
            };
            x.Span.CopyTo(run.Acts);
            ForEachBatchBlock(batch, (long)batch * steps * gates * hidden, run.Forward);
            float[] acts = run.Acts, tanhCell = run.TanhCell;
            float[]? candidates = run.Candidates;
            Tensor output = run.Output;

            if (GradMode.IsEnabled && (x.RequiresGrad || w.RequiresGrad || h0.RequiresGrad || c0.RequiresGrad || (p?.RequiresGrad ?? false)))
            {
                var node = LstmSequenceNode.Rent();
                node.Input0 = x;
                node.Input1 = w;
                node.Input2 = h0;
                node.Input3 = c0;
                node.Input4 = p;
                node.Keep = keep;
                node.Acts = acts;
                node.TanhCell = tanhCell;
                node.Candidates = candidates;
                node.Reverse = reverse;
                GradMode.Attach(output, node);
            }
            else
            {
                BufferPool.Return(acts);
                BufferPool.Return(tanhCell);
                if (candidates is not null) BufferPool.Return(candidates);
            }
            return output;
        }
    }

    private sealed class LstmSequenceNode : Node<LstmSequenceNode>
    {
        public Tensor Input3 = null!;
        public Tensor? Input4;
        public Tensor? Keep;
        public float[] Acts = [], TanhCell = [];
        public float[]? Candidates;
        public bool Reverse;

        public override string OperationName => "LstmSequence";

        public override int InputCount => Input4 is null ? 4 : 5;

        public override Tensor GetInput(int index) => index switch
        {
            3 => Input3,
            4 => Input4!,
            _ => base.GetInput(index),
        };

        public override void Backward(Tensor output)
        {
            Tensor x = Input0, w = Input1!, h0 = Input2!, c0 = Input3;
            Tensor? p = Input4;
            int batch = x.Shape[0], steps = x.Shape[1], hidden = w.Shape[1], gates = 4 * hidden;
            int stateCount = batch * steps * hidden;

            // dA [B, T, 4H]: written straight into the projections' gradient when it is empty.
            bool accumulateInput = false;
            float[] dA;
            if (Wants(x))
            {
                x.GradientTarget(out accumulateInput);
                dA = accumulateInput ? BufferPool.Rent(batch * steps * gates) : x._gradBuffer!;
            }
            else
            {
                dA = BufferPool.Rent(batch * steps * gates);
            }
            var run = new LstmRun(batch, steps, hidden, Reverse)
            {
                Acts = Acts,
                TanhCell = TanhCell,
                Candidates = Candidates,
                Output = output,
                InitialHidden = h0,
                InitialCell = c0,
                Peepholes = p,
                Keep = Keep,
                Packed = PackRecurrentWeight(w.Span, gates, hidden, transpose: false),
                GatesGradient = dA,
                Carry = BufferPool.Rent(5 * batch * hidden),
                PeepholeRows = p is null ? null : BufferPool.Rent(batch * 3 * hidden),
            };
            ForEachBatchBlock(batch, (long)batch * steps * gates * hidden, run.Backward);

            Span<float> dh = run.Carry.AsSpan(0, batch * hidden), dc = run.Carry.AsSpan(batch * hidden, batch * hidden);
            if (Wants(h0)) Accumulate(h0, dh);
            if (Wants(c0)) Accumulate(c0, dc);
            if (Wants(w))
            {
                float[] previousStates = BufferPool.Rent(stateCount);
                PreviousStates(output.Span[..stateCount], h0.Span, batch, steps, hidden, Reverse, previousStates.AsSpan(0, stateCount));
                Span<float> dw = w.GradientTarget(out bool accumulate);
                Gemm.Multiply(gates, hidden, batch * steps, dA, gates, true, previousStates, hidden, false, dw, hidden, accumulate);
                BufferPool.Return(previousStates);
            }
            if (p is not null && Wants(p))
            {
                // Σ over the batch in row order (each row summed its steps in time order): the same bits whatever the threads.
                Span<float> dp = run.Carry.AsSpan(0, 3 * hidden);
                run.PeepholeRows.AsSpan(0, 3 * hidden).CopyTo(dp);
                for (int b = 1; b < batch; b++) TensorPrimitives.Add(dp, run.PeepholeRows.AsSpan(b * 3 * hidden, 3 * hidden), dp);
                Accumulate(p, dp);
            }
            if (Wants(x) && accumulateInput)
            {
                Span<float> target = x.GradientSpan;
                TensorPrimitives.Add(target, dA.AsSpan(0, target.Length), target);
            }
            if (!Wants(x) || accumulateInput) BufferPool.Return(dA);
            if (run.PeepholeRows is not null) BufferPool.Return(run.PeepholeRows);
            BufferPool.Return(run.Carry);
        }

        protected override void ClearState()
        {
            Input3 = null!;
            Input4 = null;
            Keep = null;
            if (Acts.Length > 0) BufferPool.Return(Acts);
            if (TanhCell.Length > 0) BufferPool.Return(TanhCell);
            if (Candidates is not null) BufferPool.Return(Candidates);
            Acts = [];
            TanhCell = [];
            Candidates = null;
        }
    }

    /// <summary>One LSTM sequence's buffers, shared by the threads that each run a block of its rows.</summary>
    private sealed class LstmRun(int batch, int steps, int hidden, bool reverse)
    {
        public float[] Acts = [], TanhCell = [];
        public float[]? Candidates;
        public Tensor Output = null!, InitialHidden = null!, InitialCell = null!;
        public Tensor? Peepholes, Keep;
        public PackedMatrix Packed = null!;

        // Backward only: dA [B, T, 4H]; Carry = dh, dc, dh_t, dc_t and zoneout's share for c, each [B, H]; peephole gradients per row [B, 3H].
        public float[] GatesGradient = [], Carry = [];
        public float[]? PeepholeRows;

        /// <summary>The recurrence for rows [first, end) of the batch, all steps.</summary>
        public void Forward(int first, int end)
        {
            int gates = 4 * hidden, stateCount = batch * steps * hidden, rows = end - first;
            Span<float> y = Output.Span, states = y[..stateCount], cells = y[stateCount..];
            ReadOnlySpan<float> h0 = InitialHidden.Span, c0 = InitialCell.Span;
            ReadOnlySpan<float> peep = Peepholes is null ? default : Peepholes.Span, keep = Keep is null ? default : Keep.Span;
            for (int s = 0; s < steps; s++)
            {
                int t = TimeAt(s, steps, reverse), previous = reverse ? t + 1 : t - 1;
                bool first0 = s == 0;
                // a_t += h_{t−1}·W_hhᵀ: [rows, H] (rows T·H apart in the output) · [H, 4H] into rows T·4H apart.
                if (first0) RecurrentGemm.Multiply(rows, h0[(first * hidden)..], hidden, Packed, Acts.AsSpan((first * steps + t) * gates), steps * gates, accumulate: true);
                else RecurrentGemm.Multiply(rows, states[((first * steps + previous) * hidden)..], steps * hidden, Packed, Acts.AsSpan((first * steps + t) * gates), steps * gates, accumulate: true);
                for (int b = first; b < end; b++)
                {
                    int row = (b * steps + t) * hidden;
                    ReadOnlySpan<float> cellPrevious = first0 ? c0.Slice(b * hidden, hidden) : cells.Slice((b * steps + previous) * hidden, hidden);
                    Span<float> cell = cells.Slice(row, hidden), state = states.Slice(row, hidden);
                    if (Candidates is null)
                    {
                        RecurrentCells.LstmForward(Acts.AsSpan(row * 4, gates), cellPrevious, peep, cell, TanhCell.AsSpan(row, hidden), state);
                        continue;
                    }
                    Span<float> cellCandidate = Candidates.AsSpan(stateCount + row, hidden), stateCandidate = Candidates.AsSpan(row, hidden);
                    RecurrentCells.LstmForward(Acts.AsSpan(row * 4, gates), cellPrevious, peep, cellCandidate, TanhCell.AsSpan(row, hidden), stateCandidate);
                    ReadOnlySpan<float> statePrevious = first0 ? h0.Slice(b * hidden, hidden) : states.Slice((b * steps + previous) * hidden, hidden);
                    cellCandidate.CopyTo(cell);
                    RecurrentCells.ZoneoutForward(keep.Slice(stateCount + row, hidden), cellPrevious, cell);
                    stateCandidate.CopyTo(state);
                    RecurrentCells.ZoneoutForward(keep.Slice(row, hidden), statePrevious, state);
                }
            }
        }

        /// <summary>Backpropagation through time for rows [first, end): dA, and dL/dh_0, dL/dc_0 left in the first two blocks of <see cref="Carry"/>.</summary>
        public void Backward(int first, int end)
        {
            int gates = 4 * hidden, stateCount = batch * steps * hidden, rows = end - first, n = batch * hidden;
            ReadOnlySpan<float> y = Output.Span, dy = Output.GradientSpan;
            ReadOnlySpan<float> cells = y[stateCount..], dStates = dy[..stateCount], dCells = dy[stateCount..];
            ReadOnlySpan<float> c0 = InitialCell.Span;
            ReadOnlySpan<float> peep = Peepholes is null ? default : Peepholes.Span, keep = Keep is null ? default : Keep.Span;
            Span<float> dA = GatesGradient.AsSpan(0, batch * steps * gates);
            Span<float> dh = Carry.AsSpan(0, n), dc = Carry.AsSpan(n, n), dhStep = Carry.AsSpan(2 * n, n), dcStep = Carry.AsSpan(3 * n, n), direct = Carry.AsSpan(4 * n, n);
            dh.Slice(first * hidden, rows * hidden).Clear();
            dc.Slice(first * hidden, rows * hidden).Clear();
            if (PeepholeRows is not null) PeepholeRows.AsSpan(first * 3 * hidden, rows * 3 * hidden).Clear();
            for (int s = steps - 1; s >= 0; s--)
            {
                int t = TimeAt(s, steps, reverse), previous = reverse ? t + 1 : t - 1;
                bool first0 = s == 0;
                for (int b = first; b < end; b++)
                {
                    int row = (b * steps + t) * hidden;
                    Span<float> dhRow = dhStep.Slice(b * hidden, hidden), dcRow = dcStep.Slice(b * hidden, hidden);
                    Span<float> dhCarry = dh.Slice(b * hidden, hidden), dcCarry = dc.Slice(b * hidden, hidden);
                    TensorPrimitives.Add(dStates.Slice(row, hidden), dhCarry, dhRow);
                    TensorPrimitives.Add(dCells.Slice(row, hidden), dcCarry, dcRow);
                    ReadOnlySpan<float> cellPrevious = first0 ? c0.Slice(b * hidden, hidden) : cells.Slice((b * steps + previous) * hidden, hidden);
                    ReadOnlySpan<float> cell = Candidates is null ? cells.Slice(row, hidden) : Candidates.AsSpan(stateCount + row, hidden);
                    if (Candidates is not null)
                    {
                        // The carries become zoneout's direct shares for h_{t−1} and c_{t−1}; the product adds to dh below.
                        RecurrentCells.ZoneoutBackward(keep.Slice(row, hidden), dhRow, dhCarry);
                        RecurrentCells.ZoneoutBackward(keep.Slice(stateCount + row, hidden), dcRow, direct.Slice(b * hidden, hidden));
                    }
                    Span<float> dp = PeepholeRows is null ? default : PeepholeRows.AsSpan(b * 3 * hidden, 3 * hidden);
                    RecurrentCells.LstmBackward(Acts.AsSpan(row * 4, gates), cellPrevious, cell, TanhCell.AsSpan(row, hidden), peep,
                        dhRow, dcRow, dA.Slice(row * 4, gates), dcCarry, dp);
                    if (Candidates is not null) TensorPrimitives.Add(dcCarry, direct.Slice(b * hidden, hidden), dcCarry);
                }
                // dL/dh_{t−1} = da_t·W_hh: [rows, 4H] (rows T·4H apart) · [4H, H].
                RecurrentGemm.Multiply(rows, dA[((first * steps + t) * gates)..], steps * gates, Packed, dh[(first * hidden)..], hidden, accumulate: Candidates is not null);
            }
        }
    }
}
