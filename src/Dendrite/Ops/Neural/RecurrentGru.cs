using Dendrite.Autograd;
using Dendrite.Kernels;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// A whole GRU sequence in one node (see Recurrent.cs for the plan and the letters; G = 3H).
//   u_t = x_t·W_ihᵀ + b_ih   (given, [B, T, 3H])
//   v_t = h_{t−1}·W_hhᵀ + b_hh                          one GEMM per step
//   h̃_t = cell(u_t, v_t, h_{t−1})                       Kernels/RecurrentCells.cs (torch's r, z, n)
//   h_t = k⊙h_{t−1} + (1−k)⊙h̃_t                          (zoneout; without it h = h̃)
// b_hh stays apart from b_ih because r multiplies W_hn·h + b_hn, bias included.
// Backward through time, t from the last processed step to the first:
//   dh_t = dY[t] + dL/dh_t from step t+1; zoneout passes k⊙dh_t straight to h_{t−1}
//   cell backward → du_t (= dL/d(input projection)[t]), dv_t, and z⊙dh̃ straight to h_{t−1}
//   dL/dh_{t−1} += dv_t·W_hh                                             one GEMM per step
//   dW_hh = Σ_t dv_tᵀ·h_{t−1} = dVᵀ·H_prev  [3H, B·T]·[B·T, H];  db_hh = Σ dv   one GEMM

public static partial class TensorOps
{
    extension(Tensor inputGates)
    {
        /// <summary>
        /// Runs a GRU over a whole sequence, given the input projections of every step
        /// (<c>x·W_ihᵀ + b_ih</c>, gates stacked r, z, n as in torch), and returns the hidden state of
        /// every step. Differentiable in the projections, the recurrent weight and bias, and the initial
        /// state (backpropagation through time).
        /// </summary>
        /// <param name="recurrentWeight">W_hh [3H, H].</param>
        /// <param name="recurrentBias">b_hh [3H], or null for none.</param>
        /// <param name="initialHidden">h_0 [B, H].</param>
        /// <param name="zoneoutKeep">Optional zoneout mixing weights [B, T, H] in [0, 1] (1 keeps the previous state). Not differentiated.</param>
        /// <param name="reverse">Read the sequence from the last step to the first.</param>
        /// <returns>[B, T, H]: the state after reading step t at position t (in both directions).</returns>
        public Tensor GruSequence(Tensor recurrentWeight, Tensor? recurrentBias, Tensor initialHidden, Tensor? zoneoutKeep = null, bool reverse = false)
        {
            var (batch, steps, hidden) = CheckSequence("GruSequence", inputGates, 3, recurrentWeight, initialHidden, zoneoutKeep, keepBlocks: 1);
            if (recurrentBias is not null && recurrentBias.Shape != new Shape(3 * hidden))
                throw new ShapeMismatchException($"GruSequence: the recurrent bias must be [{3 * hidden}]; got {recurrentBias.Shape}.");
            Tensor x = inputGates.Contiguous(), w = recurrentWeight.Contiguous(), h0 = initialHidden.Contiguous();
            Tensor? bias = recurrentBias?.Contiguous(), keep = zoneoutKeep?.Contiguous();
            int gates = 3 * hidden, stateCount = batch * steps * hidden;

            float[] saved = BufferPool.Rent(batch * steps * 4 * hidden);                  // (r, z, n, v_n) per step, [B, T, 4H]
            float[] projection = BufferPool.Rent(batch * gates);                          // v_t [B, 3H]
            float[]? candidates = keep is null ? null : BufferPool.Rent(stateCount);       // h̃ before zoneout
            Tensor output = Tensor.Uninitialized(new Shape(batch, steps, hidden));
            Span<float> states = output.Span;
            ReadOnlySpan<float> u = x.Span, weight = w.Span;
            Span<float> v = projection.AsSpan(0, batch * gates);
            for (int s = 0; s < steps; s++)
            {
                int t = TimeAt(s, steps, reverse), previous = reverse ? t + 1 : t - 1;
                bool first = s == 0;
                if (first) Gemm.Multiply(batch, gates, hidden, h0.Span, hidden, false, weight, hidden, true, v, gates);
                else Gemm.Multiply(batch, gates, hidden, states[(previous * hidden)..], steps * hidden, false, weight, hidden, true, v, gates);
                for (int b = 0; b < batch; b++)
                {
                    int row = (b * steps + t) * hidden;
                    Span<float> vRow = v.Slice(b * gates, gates);
                    if (bias is not null) TensorPrimitives.Add(vRow, bias.Span, vRow);
                    ReadOnlySpan<float> statePrevious = first ? h0.Span.Slice(b * hidden, hidden) : states.Slice((b * steps + previous) * hidden, hidden);
                    Span<float> state = states.Slice(row, hidden);
                    if (candidates is null)
                    {
                        RecurrentCells.GruForward(u.Slice(row * 3, gates), vRow, statePrevious, saved.AsSpan(row * 4, 4 * hidden), state);
                        continue;
                    }
                    Span<float> candidate = candidates.AsSpan(row, hidden);
                    RecurrentCells.GruForward(u.Slice(row * 3, gates), vRow, statePrevious, saved.AsSpan(row * 4, 4 * hidden), candidate);
                    candidate.CopyTo(state);
                    RecurrentCells.ZoneoutForward(keep!.Span.Slice(row, hidden), statePrevious, state);
                }
            }
            BufferPool.Return(projection);

            if (GradMode.IsEnabled && (x.RequiresGrad || w.RequiresGrad || h0.RequiresGrad || (bias?.RequiresGrad ?? false)))
            {
                var node = GruSequenceNode.Rent();
                node.Input0 = x;
                node.Input1 = w;
                node.Input2 = h0;
                node.Input3 = bias;
                node.Keep = keep;
                node.Saved = saved;
                node.Candidates = candidates;
                node.Reverse = reverse;
                GradMode.Attach(output, node);
            }
            else
            {
                BufferPool.Return(saved);
                if (candidates is not null) BufferPool.Return(candidates);
            }
            return output;
        }
    }

    private sealed class GruSequenceNode : Node<GruSequenceNode>
    {
        public Tensor? Input3;
        public Tensor? Keep;
        public float[] Saved = [];
        public float[]? Candidates;
        public bool Reverse;

        public override string OperationName => "GruSequence";

        public override int InputCount => Input3 is null ? 3 : 4;

        public override Tensor GetInput(int index) => index == 3 ? Input3! : base.GetInput(index);

        public override void Backward(Tensor output)
        {
            Tensor x = Input0, w = Input1!, h0 = Input2!;
            Tensor? bias = Input3;
            int batch = x.Shape[0], steps = x.Shape[1], hidden = w.Shape[1], gates = 3 * hidden;
            int stateCount = batch * steps * hidden;
            ReadOnlySpan<float> states = output.Span, dStates = output.GradientSpan, weight = w.Span;
            ReadOnlySpan<float> keep = Keep is null ? default : Keep.Span;

            bool wantsInput = Wants(x);
            float[]? scratch = wantsInput ? null : BufferPool.Rent(batch * steps * gates);
            var writer = wantsInput ? new GradientWriter(x) : default;
            Span<float> du = wantsInput ? writer.Destination : scratch.AsSpan(0, batch * steps * gates);
            float[] hiddenGates = BufferPool.Rent(batch * steps * gates);                 // dV [B, T, 3H]
            Span<float> dv = hiddenGates.AsSpan(0, batch * steps * gates);

            float[] carry = BufferPool.Rent(2 * batch * hidden + hidden);
            Span<float> dh = carry.AsSpan(0, batch * hidden);
            Span<float> dhStep = carry.AsSpan(batch * hidden, batch * hidden);
            Span<float> direct = carry.AsSpan(2 * batch * hidden, hidden);
            dh.Clear();

            for (int s = steps - 1; s >= 0; s--)
            {
                int t = TimeAt(s, steps, Reverse), previous = Reverse ? t + 1 : t - 1;
                bool first = s == 0;
                for (int b = 0; b < batch; b++)
                {
                    int row = (b * steps + t) * hidden;
                    Span<float> dhRow = dhStep.Slice(b * hidden, hidden), dhCarry = dh.Slice(b * hidden, hidden);
                    TensorPrimitives.Add(dStates.Slice(row, hidden), dhCarry, dhRow);
                    ReadOnlySpan<float> statePrevious = first ? h0.Span.Slice(b * hidden, hidden) : states.Slice((b * steps + previous) * hidden, hidden);
                    if (Candidates is not null) RecurrentCells.ZoneoutBackward(keep.Slice(row, hidden), dhRow, direct);
                    RecurrentCells.GruBackward(Saved.AsSpan(row * 4, 4 * hidden), statePrevious, dhRow, du.Slice(row * 3, gates), dv.Slice(row * 3, gates), dhCarry);
                    if (Candidates is not null) TensorPrimitives.Add(dhCarry, direct, dhCarry);
                }
                // dL/dh_{t−1} += dv_t·W_hh: [B, 3H] (rows T·3H apart) · [3H, H].
                Gemm.Multiply(batch, hidden, gates, dv[(t * gates)..], steps * gates, false, weight, hidden, false, dh, hidden, accumulate: true);
            }

            if (Wants(h0)) Accumulate(h0, dh);
            if (Wants(w))
            {
                float[] previousStates = BufferPool.Rent(stateCount);
                PreviousStates(states, h0.Span, batch, steps, hidden, Reverse, previousStates.AsSpan(0, stateCount));
                Span<float> dw = w.GradientTarget(out bool accumulate);
                Gemm.Multiply(gates, hidden, batch * steps, dv, gates, true, previousStates, hidden, false, dw, hidden, accumulate);
                BufferPool.Return(previousStates);
            }
            if (bias is not null && Wants(bias))
            {
                Span<float> db = bias.GradientTarget(out bool accumulate);
                if (!accumulate) db.Clear();
                for (int r = 0; r < batch * steps; r++) TensorPrimitives.Add(db, dv.Slice(r * gates, gates), db);
            }
            if (wantsInput) writer.Commit();
            if (scratch is not null) BufferPool.Return(scratch);
            BufferPool.Return(hiddenGates);
            BufferPool.Return(carry);
        }

        protected override void ClearState()
        {
            Input3 = null;
            Keep = null;
            if (Saved.Length > 0) BufferPool.Return(Saved);
            if (Candidates is not null) BufferPool.Return(Candidates);
            Saved = [];
            Candidates = null;
        }
    }
}
