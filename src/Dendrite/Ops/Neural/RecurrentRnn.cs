using Dendrite.Autograd;
using Dendrite.Kernels;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// A whole plain (Elman) RNN sequence in one node (see Recurrent.cs for the plan and letters; G = H).
//   a_t = x_t·W_ihᵀ + b_ih + b_hh  (given, [B, T, H])  +  h_{t−1}·W_hhᵀ     one GEMM per step
//   h̃_t = tanh(a_t)  (or relu)
//   h_t = k⊙h_{t−1} + (1−k)⊙h̃_t      (zoneout; without it h = h̃)
// Backward through time, t from the last processed step to the first:
//   dh_t = dY[t] + dL/dh_t from step t+1; zoneout passes k⊙dh_t straight to h_{t−1}
//   da_t = dh̃_t⊙(1 − h̃_t²)   (relu: dh̃_t where h̃_t > 0)      = dL/d(input projection)[t]
//   dL/dh_{t−1} (+)= da_t·W_hh                                              one GEMM per step
//   dW_hh = Σ_t da_tᵀ·h_{t−1} = dAᵀ·H_prev,  [H, B·T]·[B·T, H]              one GEMM
// The repeated factor W_hh·diag(1 − h²) in dL/dh_{t−1} is what makes gradients vanish (or explode)
// over many steps.

public static partial class TensorOps
{
    extension(Tensor inputProjection)
    {
        /// <summary>
        /// Runs a plain tanh (or ReLU) RNN over a whole sequence, given the input projections of every
        /// step (<c>x·W_ihᵀ + b_ih + b_hh</c>), and returns the hidden state of every step.
        /// Differentiable in the projections, the recurrent weight and the initial state
        /// (backpropagation through time).
        /// </summary>
        /// <param name="recurrentWeight">W_hh [H, H].</param>
        /// <param name="initialHidden">h_0 [B, H].</param>
        /// <param name="zoneoutKeep">Optional zoneout mixing weights [B, T, H] in [0, 1] (1 keeps the previous state). Not differentiated.</param>
        /// <param name="reverse">Read the sequence from the last step to the first.</param>
        /// <param name="relu">Use max(0, a) instead of tanh.</param>
        /// <returns>[B, T, H]: the state after reading step t at position t (in both directions).</returns>
        public Tensor RnnSequence(Tensor recurrentWeight, Tensor initialHidden, Tensor? zoneoutKeep = null, bool reverse = false, bool relu = false)
        {
            var (batch, steps, hidden) = CheckSequence("RnnSequence", inputProjection, 1, recurrentWeight, initialHidden, zoneoutKeep, keepBlocks: 1);
            Tensor x = inputProjection.Contiguous(), w = recurrentWeight.Contiguous(), h0 = initialHidden.Contiguous();
            Tensor? keep = zoneoutKeep?.Contiguous();
            int stateCount = batch * steps * hidden;

            // With zoneout the activations h̃ are kept apart from the mixed states; without, they are the output.
            float[]? candidates = keep is null ? null : BufferPool.Rent(stateCount);
            Tensor output = Tensor.Uninitialized(new Shape(batch, steps, hidden));
            Span<float> states = output.Span;
            Span<float> acts = candidates is null ? states : candidates.AsSpan(0, stateCount);
            x.Span.CopyTo(acts);
            ReadOnlySpan<float> weight = w.Span;
            for (int s = 0; s < steps; s++)
            {
                int t = TimeAt(s, steps, reverse), previous = reverse ? t + 1 : t - 1;
                bool first = s == 0;
                if (first) Gemm.Multiply(batch, hidden, hidden, h0.Span, hidden, false, weight, hidden, true, acts[(t * hidden)..], steps * hidden, accumulate: true);
                else Gemm.Multiply(batch, hidden, hidden, states[(previous * hidden)..], steps * hidden, false, weight, hidden, true, acts[(t * hidden)..], steps * hidden, accumulate: true);
                for (int b = 0; b < batch; b++)
                {
                    int row = (b * steps + t) * hidden;
                    RecurrentCells.RnnForward(acts.Slice(row, hidden), relu);
                    if (candidates is null) continue;
                    Span<float> state = states.Slice(row, hidden);
                    acts.Slice(row, hidden).CopyTo(state);
                    ReadOnlySpan<float> statePrevious = first ? h0.Span.Slice(b * hidden, hidden) : states.Slice((b * steps + previous) * hidden, hidden);
                    RecurrentCells.ZoneoutForward(keep!.Span.Slice(row, hidden), statePrevious, state);
                }
            }

            if (GradMode.ShouldRecord(x, w, h0))
            {
                var node = RnnSequenceNode.Rent();
                node.Input0 = x;
                node.Input1 = w;
                node.Input2 = h0;
                node.Keep = keep;
                node.Candidates = candidates;
                node.Reverse = reverse;
                node.Relu = relu;
                GradMode.Attach(output, node);
            }
            else if (candidates is not null)
            {
                BufferPool.Return(candidates);
            }
            return output;
        }
    }

    private sealed class RnnSequenceNode : Node<RnnSequenceNode>
    {
        public Tensor? Keep;
        public float[]? Candidates;
        public bool Reverse, Relu;

        public override string OperationName => "RnnSequence";

        public override void Backward(Tensor output)
        {
            Tensor x = Input0, w = Input1!, h0 = Input2!;
            int batch = x.Shape[0], steps = x.Shape[1], hidden = w.Shape[1];
            int stateCount = batch * steps * hidden;
            ReadOnlySpan<float> states = output.Span, dStates = output.GradientSpan, weight = w.Span;
            ReadOnlySpan<float> acts = Candidates is null ? states : Candidates.AsSpan(0, stateCount);
            ReadOnlySpan<float> keep = Keep is null ? default : Keep.Span;

            bool wantsInput = Wants(x);
            float[]? scratch = wantsInput ? null : BufferPool.Rent(stateCount);
            var writer = wantsInput ? new GradientWriter(x) : default;
            Span<float> dA = wantsInput ? writer.Destination : scratch.AsSpan(0, stateCount);

            float[] carry = BufferPool.Rent(2 * batch * hidden);
            Span<float> dh = carry.AsSpan(0, batch * hidden);
            Span<float> dhStep = carry.AsSpan(batch * hidden, batch * hidden);
            dh.Clear();

            for (int s = steps - 1; s >= 0; s--)
            {
                int t = TimeAt(s, steps, Reverse);
                for (int b = 0; b < batch; b++)
                {
                    int row = (b * steps + t) * hidden;
                    Span<float> dhRow = dhStep.Slice(b * hidden, hidden), dhCarry = dh.Slice(b * hidden, hidden);
                    TensorPrimitives.Add(dStates.Slice(row, hidden), dhCarry, dhRow);
                    if (Keep is not null) RecurrentCells.ZoneoutBackward(keep.Slice(row, hidden), dhRow, dhCarry);
                    RecurrentCells.RnnBackward(acts.Slice(row, hidden), dhRow, dA.Slice(row, hidden), Relu);
                }
                // dL/dh_{t−1} = da_t·W_hh: [B, H] (rows T·H apart) · [H, H].
                Gemm.Multiply(batch, hidden, hidden, dA[(t * hidden)..], steps * hidden, false, weight, hidden, false, dh, hidden, accumulate: Keep is not null);
            }

            if (Wants(h0)) Accumulate(h0, dh);
            if (Wants(w))
            {
                float[] previousStates = BufferPool.Rent(stateCount);
                PreviousStates(states, h0.Span, batch, steps, hidden, Reverse, previousStates.AsSpan(0, stateCount));
                Span<float> dw = w.GradientTarget(out bool accumulate);
                Gemm.Multiply(hidden, hidden, batch * steps, dA, hidden, true, previousStates, hidden, false, dw, hidden, accumulate);
                BufferPool.Return(previousStates);
            }
            if (wantsInput) writer.Commit();
            if (scratch is not null) BufferPool.Return(scratch);
            BufferPool.Return(carry);
        }

        protected override void ClearState()
        {
            Keep = null;
            if (Candidates is not null) BufferPool.Return(Candidates);
            Candidates = null;
        }
    }
}
