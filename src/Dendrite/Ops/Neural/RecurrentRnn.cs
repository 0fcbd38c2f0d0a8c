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
            var (batch, steps, hidden) = CheckSequence("RnnSequence", inputProjection, 1, recurrentWeight, initialHidden, zoneoutKeep);
            Tensor x = inputProjection.Contiguous(), w = recurrentWeight.Contiguous(), h0 = initialHidden.Contiguous();
            Tensor? keep = zoneoutKeep?.Contiguous();
            int stateCount = batch * steps * hidden;

            // With zoneout the activations h̃ are kept apart from the mixed states; without, they are the output.
            var run = new RnnRun(batch, steps, hidden, reverse, relu)
            {
                Candidates = keep is null ? null : BufferPool.Rent(stateCount),
                Output = Tensor.Uninitialized(new Shape(batch, steps, hidden)),
                InitialHidden = h0,
                Keep = keep,
                Packed = PackRecurrentWeight(w.Span, hidden, hidden, transpose: true),
            };
            x.Span.CopyTo(run.Candidates is null ? run.Output.Span : run.Candidates.AsSpan(0, stateCount));
            ForEachBatchBlock(batch, (long)batch * steps * hidden * hidden, run.Forward);
            float[]? candidates = run.Candidates;
            Tensor output = run.Output;

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

            bool accumulateInput = false;
            float[] dA;
            if (Wants(x))
            {
                x.GradientTarget(out accumulateInput);
                dA = accumulateInput ? BufferPool.Rent(stateCount) : x._gradBuffer!;
            }
            else
            {
                dA = BufferPool.Rent(stateCount);
            }
            var run = new RnnRun(batch, steps, hidden, Reverse, Relu)
            {
                Candidates = Candidates,
                Output = output,
                InitialHidden = h0,
                Keep = Keep,
                Packed = PackRecurrentWeight(w.Span, hidden, hidden, transpose: false),
                InputGradient = dA,
                Carry = BufferPool.Rent(2 * batch * hidden),
            };
            ForEachBatchBlock(batch, (long)batch * steps * hidden * hidden, run.Backward);

            if (Wants(h0)) Accumulate(h0, run.Carry.AsSpan(0, batch * hidden));
            if (Wants(w))
            {
                float[] previousStates = BufferPool.Rent(stateCount);
                PreviousStates(output.Span, h0.Span, batch, steps, hidden, Reverse, previousStates.AsSpan(0, stateCount));
                Span<float> dw = w.GradientTarget(out bool accumulate);
                Gemm.Multiply(hidden, hidden, batch * steps, dA, hidden, true, previousStates, hidden, false, dw, hidden, accumulate);
                BufferPool.Return(previousStates);
            }
            if (Wants(x) && accumulateInput)
            {
                Span<float> target = x.GradientSpan;
                TensorPrimitives.Add(target, dA.AsSpan(0, target.Length), target);
            }
            if (!Wants(x) || accumulateInput) BufferPool.Return(dA);
            BufferPool.Return(run.Carry);
        }

        protected override void ClearState()
        {
            Keep = null;
            if (Candidates is not null) BufferPool.Return(Candidates);
            Candidates = null;
        }
    }

    /// <summary>One plain RNN sequence's buffers, shared by the threads that each run a block of its rows.</summary>
    private sealed class RnnRun(int batch, int steps, int hidden, bool reverse, bool relu)
    {
        public Tensor Output = null!, InitialHidden = null!;
        public Tensor? Keep;
        public float[]? Candidates;
        public PackedMatrix Packed = null!;

        // Backward only: dA [B, T, H]; Carry = dh and dh_t, each [B, H].
        public float[] InputGradient = [], Carry = [];

        /// <summary>The recurrence for rows [first, end) of the batch, all steps.</summary>
        public void Forward(int first, int end)
        {
            int stateCount = batch * steps * hidden, rows = end - first;
            Span<float> states = Output.Span;
            Span<float> acts = Candidates is null ? states : Candidates.AsSpan(0, stateCount);
            ReadOnlySpan<float> h0 = InitialHidden.Span, keep = Keep is null ? default : Keep.Span;
            for (int s = 0; s < steps; s++)
            {
                int t = TimeAt(s, steps, reverse), previous = reverse ? t + 1 : t - 1;
                bool first0 = s == 0;
                // a_t += h_{t−1}·W_hhᵀ: [rows, H] (rows T·H apart) · [H, H] into rows T·H apart.
                if (first0) RecurrentGemm.Multiply(rows, h0[(first * hidden)..], hidden, Packed, acts[((first * steps + t) * hidden)..], steps * hidden, accumulate: true);
                else RecurrentGemm.Multiply(rows, states[((first * steps + previous) * hidden)..], steps * hidden, Packed, acts[((first * steps + t) * hidden)..], steps * hidden, accumulate: true);
                for (int b = first; b < end; b++)
                {
                    int row = (b * steps + t) * hidden;
                    RecurrentCells.RnnForward(acts.Slice(row, hidden), relu);
                    if (Candidates is null) continue;
                    Span<float> state = states.Slice(row, hidden);
                    acts.Slice(row, hidden).CopyTo(state);
                    ReadOnlySpan<float> statePrevious = first0 ? h0.Slice(b * hidden, hidden) : states.Slice((b * steps + previous) * hidden, hidden);
                    RecurrentCells.ZoneoutForward(keep.Slice(row, hidden), statePrevious, state);
                }
            }
        }

        /// <summary>Backpropagation through time for rows [first, end): dA, and dL/dh_0 left in the first block of <see cref="Carry"/>.</summary>
        public void Backward(int first, int end)
        {
            int stateCount = batch * steps * hidden, rows = end - first, n = batch * hidden;
            ReadOnlySpan<float> states = Output.Span, dStates = Output.GradientSpan;
            ReadOnlySpan<float> acts = Candidates is null ? states : Candidates.AsSpan(0, stateCount);
            ReadOnlySpan<float> keep = Keep is null ? default : Keep.Span;
            Span<float> dA = InputGradient.AsSpan(0, stateCount);
            Span<float> dh = Carry.AsSpan(0, n), dhStep = Carry.AsSpan(n, n);
            dh.Slice(first * hidden, rows * hidden).Clear();
            for (int s = steps - 1; s >= 0; s--)
            {
                int t = TimeAt(s, steps, reverse);
                for (int b = first; b < end; b++)
                {
                    int row = (b * steps + t) * hidden;
                    Span<float> dhRow = dhStep.Slice(b * hidden, hidden), dhCarry = dh.Slice(b * hidden, hidden);
                    TensorPrimitives.Add(dStates.Slice(row, hidden), dhCarry, dhRow);
                    if (Keep is not null) RecurrentCells.ZoneoutBackward(keep.Slice(row, hidden), dhRow, dhCarry);
                    RecurrentCells.RnnBackward(acts.Slice(row, hidden), dhRow, dA.Slice(row, hidden), relu);
                }
                // dL/dh_{t−1} (+)= da_t·W_hh: [rows, H] (rows T·H apart) · [H, H].
                RecurrentGemm.Multiply(rows, dA[((first * steps + t) * hidden)..], steps * hidden, Packed, dh[(first * hidden)..], hidden, accumulate: Keep is not null);
            }
        }
    }
}
