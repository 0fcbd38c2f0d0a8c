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
            var (batch, steps, hidden) = CheckSequence("GruSequence", inputGates, 3, recurrentWeight, initialHidden, zoneoutKeep);
            if (recurrentBias is not null && recurrentBias.Shape != new Shape(3 * hidden))
                throw new ShapeMismatchException($"GruSequence: the recurrent bias must be [{3 * hidden}]; got {recurrentBias.Shape}.");
            Tensor x = inputGates.Contiguous(), w = recurrentWeight.Contiguous(), h0 = initialHidden.Contiguous();
            Tensor? bias = recurrentBias?.Contiguous(), keep = zoneoutKeep?.Contiguous();
            int gates = 3 * hidden, stateCount = batch * steps * hidden;

            var run = new GruRun(batch, steps, hidden, reverse)
            {
                Input = x,
                Saved = BufferPool.Rent(batch * steps * 4 * hidden),                          // (r, z, n, v_n) per step, [B, T, 4H]
                Projection = BufferPool.Rent(batch * gates),                                 // v_t [B, 3H]
                Candidates = keep is null ? null : BufferPool.Rent(stateCount),               // h̃ before zoneout
                Output = Tensor.Uninitialized(new Shape(batch, steps, hidden)),
                InitialHidden = h0,
                Bias = bias,
                Keep = keep,
                Packed = PackRecurrentWeight(w.Span, gates, hidden, transpose: true),
            };
            ForEachBatchBlock(batch, (long)batch * steps * gates * hidden, run.Forward);
            BufferPool.Return(run.Projection);
            float[] saved = run.Saved;
            float[]? candidates = run.Candidates;
            Tensor output = run.Output;

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

            bool accumulateInput = false;
            float[] du;
            if (Wants(x))
            {
                x.GradientTarget(out accumulateInput);
                du = accumulateInput ? BufferPool.Rent(batch * steps * gates) : x._gradBuffer!;
            }
            else
            {
                du = BufferPool.Rent(batch * steps * gates);
            }
            var run = new GruRun(batch, steps, hidden, Reverse)
            {
                Saved = Saved,
                Candidates = Candidates,
                Output = output,
                InitialHidden = h0,
                Keep = Keep,
                Packed = PackRecurrentWeight(w.Span, gates, hidden, transpose: false),
                InputGradient = du,
                HiddenGradient = BufferPool.Rent(batch * steps * gates),                      // dV [B, T, 3H]
                Carry = BufferPool.Rent(3 * batch * hidden),
            };
            ForEachBatchBlock(batch, (long)batch * steps * gates * hidden, run.Backward);
            Span<float> dv = run.HiddenGradient.AsSpan(0, batch * steps * gates);

            if (Wants(h0)) Accumulate(h0, run.Carry.AsSpan(0, batch * hidden));
            if (Wants(w))
            {
                float[] previousStates = BufferPool.Rent(stateCount);
                PreviousStates(output.Span, h0.Span, batch, steps, hidden, Reverse, previousStates.AsSpan(0, stateCount));
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
            if (Wants(x) && accumulateInput)
            {
                Span<float> target = x.GradientSpan;
                TensorPrimitives.Add(target, du.AsSpan(0, target.Length), target);
            }
            if (!Wants(x) || accumulateInput) BufferPool.Return(du);
            BufferPool.Return(run.HiddenGradient);
            BufferPool.Return(run.Carry);
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

    /// <summary>One GRU sequence's buffers, shared by the threads that each run a block of its rows.</summary>
    private sealed class GruRun(int batch, int steps, int hidden, bool reverse)
    {
        public Tensor Input = null!, Output = null!, InitialHidden = null!;
        public Tensor? Bias, Keep;
        public float[] Saved = [], Projection = [];
        public float[]? Candidates;
        public PackedMatrix Packed = null!;

        // Backward only: dU and dV [B, T, 3H]; Carry = dh, dh_t and zoneout's share, each [B, H].
        public float[] InputGradient = [], HiddenGradient = [], Carry = [];

        /// <summary>The recurrence for rows [first, end) of the batch, all steps.</summary>
        public void Forward(int first, int end)
        {
            int gates = 3 * hidden, rows = end - first;
            Span<float> states = Output.Span;
            ReadOnlySpan<float> u = Input.Span, h0 = InitialHidden.Span, keep = Keep is null ? default : Keep.Span;
            Span<float> v = Projection.AsSpan(0, batch * gates);
            for (int s = 0; s < steps; s++)
            {
                int t = TimeAt(s, steps, reverse), previous = reverse ? t + 1 : t - 1;
                bool first0 = s == 0;
                // v_t = h_{t−1}·W_hhᵀ: [rows, H] (rows T·H apart) · [H, 3H].
                if (first0) RecurrentGemm.Multiply(rows, h0[(first * hidden)..], hidden, Packed, v[(first * gates)..], gates, accumulate: false);
                else RecurrentGemm.Multiply(rows, states[((first * steps + previous) * hidden)..], steps * hidden, Packed, v[(first * gates)..], gates, accumulate: false);
                for (int b = first; b < end; b++)
                {
                    int row = (b * steps + t) * hidden;
                    Span<float> vRow = v.Slice(b * gates, gates);
                    if (Bias is not null) TensorPrimitives.Add(vRow, Bias.Span, vRow);
                    ReadOnlySpan<float> statePrevious = first0 ? h0.Slice(b * hidden, hidden) : states.Slice((b * steps + previous) * hidden, hidden);
                    Span<float> state = states.Slice(row, hidden);
                    if (Candidates is null)
                    {
                        RecurrentCells.GruForward(u.Slice(row * 3, gates), vRow, statePrevious, Saved.AsSpan(row * 4, 4 * hidden), state);
                        continue;
                    }
                    Span<float> candidate = Candidates.AsSpan(row, hidden);
                    RecurrentCells.GruForward(u.Slice(row * 3, gates), vRow, statePrevious, Saved.AsSpan(row * 4, 4 * hidden), candidate);
                    candidate.CopyTo(state);
                    RecurrentCells.ZoneoutForward(keep.Slice(row, hidden), statePrevious, state);
                }
            }
        }

        /// <summary>Backpropagation through time for rows [first, end): dU, dV, and dL/dh_0 left in the first block of <see cref="Carry"/>.</summary>
        public void Backward(int first, int end)
        {
            int gates = 3 * hidden, rows = end - first, n = batch * hidden;
            ReadOnlySpan<float> states = Output.Span, dStates = Output.GradientSpan, h0 = InitialHidden.Span;
            ReadOnlySpan<float> keep = Keep is null ? default : Keep.Span;
            Span<float> du = InputGradient.AsSpan(0, batch * steps * gates), dv = HiddenGradient.AsSpan(0, batch * steps * gates);
            Span<float> dh = Carry.AsSpan(0, n), dhStep = Carry.AsSpan(n, n), direct = Carry.AsSpan(2 * n, n);
            dh.Slice(first * hidden, rows * hidden).Clear();
            for (int s = steps - 1; s >= 0; s--)
            {
                int t = TimeAt(s, steps, reverse), previous = reverse ? t + 1 : t - 1;
                bool first0 = s == 0;
                for (int b = first; b < end; b++)
                {
                    int row = (b * steps + t) * hidden;
                    Span<float> dhRow = dhStep.Slice(b * hidden, hidden), dhCarry = dh.Slice(b * hidden, hidden), share = direct.Slice(b * hidden, hidden);
                    TensorPrimitives.Add(dStates.Slice(row, hidden), dhCarry, dhRow);
                    ReadOnlySpan<float> statePrevious = first0 ? h0.Slice(b * hidden, hidden) : states.Slice((b * steps + previous) * hidden, hidden);
                    if (Candidates is not null) RecurrentCells.ZoneoutBackward(keep.Slice(row, hidden), dhRow, share);
                    RecurrentCells.GruBackward(Saved.AsSpan(row * 4, 4 * hidden), statePrevious, dhRow, du.Slice(row * 3, gates), dv.Slice(row * 3, gates), dhCarry);
                    if (Candidates is not null) TensorPrimitives.Add(dhCarry, share, dhCarry);
                }
                // dL/dh_{t−1} += dv_t·W_hh: [rows, 3H] (rows T·3H apart) · [3H, H].
                RecurrentGemm.Multiply(rows, dv[((first * steps + t) * gates)..], steps * gates, Packed, dh[(first * hidden)..], hidden, accumulate: true);
            }
        }
    }
}
