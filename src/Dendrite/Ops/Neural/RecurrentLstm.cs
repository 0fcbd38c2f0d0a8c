using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Dendrite.Autograd;
using Dendrite.Kernels;
using Dendrite.Tensors;

namespace Dendrite.Ops;

// A whole LSTM sequence, one direction of one layer, in one node (see Recurrent.cs for the plan;
// B = batch, T = steps, F = input features, H = hidden size, G = 4H).
//   A = X·W_ihᵀ,  [B·T, F]·[F, 4H]                                  one GEMM for the whole sequence
//   a_t = A_t + b_ih + b_hh + h_{t−1}·W_hhᵀ                         one GEMM per step (W_hh packed once)
//   (i, f, g, o, c̃_t, h̃_t) = cell(a_t, c_{t−1}, peepholes)         Kernels/RecurrentCells.cs (adds the biases too)
//   c_t = k_c⊙c_{t−1} + (1−k_c)⊙c̃_t,  h_t = k_h⊙h_{t−1} + (1−k_h)⊙h̃_t   (zoneout; without it c = c̃, h = h̃)
// The input projection is inside the node so that the GEMM writes straight into the buffer the steps
// add to, and the biases ride along in the gate kernel: no copy of the projections, no bias pass.
// The output holds both states of every step, [2, B, T, H]: [0] the hidden states h_t, [1] the cells
// c_t, so that callers take the outputs and the final (h, c) as views and gradients reach both.
// Backward through time, t from the last processed step to the first:
//   dh_t = dY_h[t] + dL/dh_t from step t+1,  dc_t = dY_c[t] + dL/dc_t from step t+1
//   zoneout splits them: dh̃ = (1−k_h)⊙dh_t, direct k_h⊙dh_t to h_{t−1} (and the same for c)
//   cell backward → da_t and dL/dc_{t−1}
//   dL/dh_{t−1} = da_t·W_hh (+ the direct zoneout part)                     one GEMM per step
// then, over all steps at once (dA = [da_t] as [B·T, 4H]):
//   [dW_ih | dW_hh]ᵀ = [X | H_prev]ᵀ·dA  [F + H, B·T]·[B·T, 4H] (one GEMM);   dX = dA·W_ih
//   db_ih = db_hh = Σ_rows dA;   dpeepholes = Σ over rows and steps of the kernel's per-row sums

public static partial class TensorOps
{
    extension(Tensor input)
    {
        /// <summary>
        /// Runs one direction of an LSTM layer over a whole sequence, as torch's LSTM (gates stacked
        /// i, f, g, o), and returns the hidden and cell state of every step. Differentiable in the input,
        /// every weight and bias, the initial states and the peepholes (backpropagation through time).
        /// </summary>
        /// <param name="inputWeight">W_ih [4H, F].</param>
        /// <param name="inputBias">b_ih [4H], or null.</param>
        /// <param name="hiddenBias">b_hh [4H], or null.</param>
        /// <param name="recurrentWeight">W_hh [4H, H].</param>
        /// <param name="initialHidden">h_0 [B, H].</param>
        /// <param name="initialCell">c_0 [B, H].</param>
        /// <param name="peepholes">Optional peephole weights [3, H] (rows p_i, p_f, p_o): i and f see c_{t−1}, o sees c_t.</param>
        /// <param name="zoneoutKeep">Optional zoneout mixing weights [2, B, T, H] (for h, then c), values in [0, 1]: 1 keeps the previous state (a zoned-out unit in training), p mixes by the expectation (evaluation). Not differentiated.</param>
        /// <param name="reverse">Read the sequence from the last step to the first (the backward direction of a bidirectional layer).</param>
        /// <returns>[2, B, T, H]: index 0 the hidden states h_t, index 1 the cell states c_t; the state after reading step t is at position t in both directions.</returns>
        public Tensor LstmSequence(Tensor inputWeight, Tensor? inputBias, Tensor? hiddenBias, Tensor recurrentWeight, Tensor initialHidden, Tensor initialCell,
            Tensor? peepholes = null, Tensor? zoneoutKeep = null, bool reverse = false)
        {
            if (input.Rank != 3)
                throw new ShapeMismatchException($"LstmSequence: the input must be [batch, time, features]; got {input.Shape}.");
            return LstmCore(input, null, input.Shape[0], input.Shape[1], inputWeight, inputBias, hiddenBias, recurrentWeight, initialHidden, initialCell, peepholes, zoneoutKeep, reverse);
        }
    }

    extension(Tensor embedding)
    {
        /// <summary>
        /// <see cref="LstmSequence"/> of embedded tokens, <c>embedding.IndexSelect(0, tokens).Reshape(B, T, F).LstmSequence(...)</c>,
        /// computed without embedding them: the table E·W_ihᵀ [V, 4H] is one small GEMM and each step's
        /// input projection is a row of it, and backward scatters dL/da into a [V, 4H] table before the
        /// weight products. Cheaper than the plain form when the vocabulary V is smaller than B·T (a
        /// character model: 96 symbols against 2,048 tokens a batch), and the same function of the same
        /// parameters. Differentiable in the embedding table and every parameter of the LSTM.
        /// </summary>
        /// <param name="tokens">Token indices in [0, V), B·T of them, batch-major.</param>
        /// <param name="batch">B (the number of sequences; T = tokens / B).</param>
        /// <param name="inputWeight">W_ih [4H, F].</param>
        /// <param name="inputBias">b_ih [4H], or null.</param>
        /// <param name="hiddenBias">b_hh [4H], or null.</param>
        /// <param name="recurrentWeight">W_hh [4H, H].</param>
        /// <param name="initialHidden">h_0 [B, H].</param>
        /// <param name="initialCell">c_0 [B, H].</param>
        /// <param name="peepholes">Optional peephole weights [3, H].</param>
        /// <param name="zoneoutKeep">Optional zoneout mixing weights [2, B, T, H].</param>
        /// <param name="reverse">Read the sequence from the last step to the first.</param>
        /// <returns>[2, B, T, H], as <see cref="LstmSequence"/>.</returns>
        public Tensor LstmSequenceOfTokens(ReadOnlySpan<int> tokens, int batch, Tensor inputWeight, Tensor? inputBias, Tensor? hiddenBias, Tensor recurrentWeight,
            Tensor initialHidden, Tensor initialCell, Tensor? peepholes = null, Tensor? zoneoutKeep = null, bool reverse = false)
        {
            var (vocabulary, _) = embedding.Shape.Dims2("LstmSequenceOfTokens embedding");
            if (batch <= 0 || tokens.Length % batch != 0)
                throw new ShapeMismatchException($"LstmSequenceOfTokens: {tokens.Length} tokens do not split into {batch} sequences of equal length.");
            int[] indices = new int[tokens.Length];
            for (int i = 0; i < tokens.Length; i++)
            {
                if ((uint)tokens[i] >= (uint)vocabulary)
                    throw new ArgumentOutOfRangeException(nameof(tokens), $"LstmSequenceOfTokens: token {tokens[i]} at position {i} is not in [0, {vocabulary}) (embedding {embedding.Shape}).");
                indices[i] = tokens[i];
            }
            return LstmCore(embedding, indices, batch, tokens.Length / batch, inputWeight, inputBias, hiddenBias, recurrentWeight, initialHidden, initialCell, peepholes, zoneoutKeep, reverse);
        }
    }

    /// <summary>
    /// The LSTM over <paramref name="source"/>: the input [B, T, F] itself, or, with <paramref name="tokens"/>,
    /// an embedding table [V, F] that the tokens index.
    /// </summary>
    private static Tensor LstmCore(Tensor source, int[]? tokens, int batch, int steps, Tensor inputWeight, Tensor? inputBias, Tensor? hiddenBias, Tensor recurrentWeight,
        Tensor initialHidden, Tensor initialCell, Tensor? peepholes, Tensor? zoneoutKeep, bool reverse)
    {
        if (recurrentWeight.Rank != 2 || recurrentWeight.Shape[0] != 4 * recurrentWeight.Shape[1])
            throw new ShapeMismatchException($"LstmSequence: the recurrent weight must be [4·hidden, hidden]; got {recurrentWeight.Shape}.");
        int features = source.Shape[-1], hidden = recurrentWeight.Shape[1], gates = 4 * hidden;
        if (inputWeight.Shape != new Shape(gates, features))
            throw new ShapeMismatchException($"LstmSequence: input {source.Shape} and recurrent weight {recurrentWeight.Shape} need an input weight [{gates}, {features}]; got {inputWeight.Shape}.");
        if ((inputBias is not null && inputBias.Shape != new Shape(gates)) || (hiddenBias is not null && hiddenBias.Shape != new Shape(gates)))
            throw new ShapeMismatchException($"LstmSequence: biases must be [{gates}]; got {inputBias?.Shape.ToString() ?? "none"} and {hiddenBias?.Shape.ToString() ?? "none"}.");
        if (steps == 0)
            throw new ShapeMismatchException($"LstmSequence: the sequence {source.Shape} has no time steps.");
        if (initialHidden.Shape != new Shape(batch, hidden) || initialCell.Shape != new Shape(batch, hidden))
            throw new ShapeMismatchException($"LstmSequence: the initial states must be [{batch}, {hidden}] for input {source.Shape}; got {initialHidden.Shape} and {initialCell.Shape}.");
        if (peepholes is not null && peepholes.Count != 3 * hidden)
            throw new ShapeMismatchException($"LstmSequence: peepholes must be [3, {hidden}] (p_i, p_f, p_o); got {peepholes.Shape}.");
        if (zoneoutKeep is not null && zoneoutKeep.Shape != new Shape(2, batch, steps, hidden))
            throw new ShapeMismatchException($"LstmSequence: the zoneout mask must be [2, {batch}, {steps}, {hidden}]; got {zoneoutKeep.Shape}.");

        Tensor x = source.Contiguous(), wi = inputWeight.Contiguous(), w = recurrentWeight.Contiguous();
        Tensor h0 = initialHidden.Contiguous(), c0 = initialCell.Contiguous();
        Tensor? bi = inputBias?.Contiguous(), bh = hiddenBias?.Contiguous(), p = peepholes?.Contiguous(), keep = zoneoutKeep?.Contiguous();
        int stateCount = batch * steps * hidden;

        // acts [B, T, 4H]: X·W_ihᵀ, then + h·W_hhᵀ step by step, then (with the biases) the gate activations in place.
        float[] acts = BufferPool.Rent(batch * steps * gates);
        float[]? table = null;
        if (tokens is null)
        {
            Gemm.Multiply(batch * steps, gates, features, x.Span, features, false, wi.Span, features, true, acts, gates);
        }
        else
        {
            // Each row is a row of the table E·W_ihᵀ [V, 4H], which the step's product adds (RecurrentGemm.MultiplyAdd).
            int vocabulary = x.Shape[0];
            table = BufferPool.Rent(vocabulary * gates);
            Gemm.Multiply(vocabulary, gates, features, x.Span, features, false, wi.Span, features, true, table, gates);
        }
        float[]? bias = null;
        if (bi is not null || bh is not null)
        {
            bias = BufferPool.Rent(gates);
            Span<float> b = bias.AsSpan(0, gates);
            if (bi is not null) bi.Span.CopyTo(b); else b.Clear();
            if (bh is not null) TensorPrimitives.Add(b, bh.Span, b);
        }
        var run = new LstmRun(batch, steps, hidden, reverse)
        {
            Acts = acts,
            Table = table,
            Tokens = tokens,
            Bias = bias,
            TanhCell = BufferPool.Rent(stateCount),
            Candidates = keep is null ? null : BufferPool.Rent(2 * stateCount),   // c̃ and h̃ before zoneout
            Output = Tensor.Uninitialized(new Shape(2, batch, steps, hidden)),
            InitialHidden = h0,
            InitialCell = c0,
            Peepholes = p,
            Keep = keep,
            Packed = PackRecurrentWeight(w.Span, gates, hidden, transpose: true),
            ZeroInitialHidden = h0.Span.IndexOfAnyExcept(0f) < 0,
        };
        ForEachBatchBlock(batch, (long)batch * steps * gates * hidden, run.Forward);
        if (bias is not null) BufferPool.Return(bias);
        if (table is not null) BufferPool.Return(table);
        Tensor output = run.Output;

        if (GradMode.IsEnabled && (x.RequiresGrad || wi.RequiresGrad || w.RequiresGrad || h0.RequiresGrad || c0.RequiresGrad
            || (bi?.RequiresGrad ?? false) || (bh?.RequiresGrad ?? false) || (p?.RequiresGrad ?? false)))
        {
            var node = LstmSequenceNode.Rent();
            node.Input0 = x;
            node.Input1 = wi;
            node.Input2 = w;
            node.Set(h0, c0, bi, bh, p);
            node.Keep = keep;
            node.Tokens = tokens;
            node.Acts = acts;
            node.TanhCell = run.TanhCell;
            node.Candidates = run.Candidates;
            node.Reverse = reverse;
            GradMode.Attach(output, node);
        }
        else
        {
            BufferPool.Return(acts);
            BufferPool.Return(run.TanhCell);
            if (run.Candidates is not null) BufferPool.Return(run.Candidates);
        }
        return output;
    }

    private sealed class LstmSequenceNode : Node<LstmSequenceNode>
    {
        // Inputs: x, W_ih, W_hh (Input0..2), then h0, c0 and the optional b_ih, b_hh, peepholes.
        public Tensor InitialHidden = null!, InitialCell = null!;
        public Tensor? InputBias, HiddenBias, Peepholes;
        private readonly Tensor[] _inputs = new Tensor[8];
        private int _count;
        public Tensor? Keep;
        public int[]? Tokens;   // set when Input0 is an embedding table [V, F] indexed by these B·T tokens
        public float[] Acts = [], TanhCell = [];
        public float[]? Candidates;
        public bool Reverse;

        public override string OperationName => "LstmSequence";

        public void Set(Tensor initialHidden, Tensor initialCell, Tensor? inputBias, Tensor? hiddenBias, Tensor? peepholes)
        {
            (InitialHidden, InitialCell, InputBias, HiddenBias, Peepholes) = (initialHidden, initialCell, inputBias, hiddenBias, peepholes);
            _count = 0;
            Add(Input0);
            Add(Input1);
            Add(Input2);
            Add(initialHidden);
            Add(initialCell);
            Add(inputBias);
            Add(hiddenBias);
            Add(peepholes);
        }

        private void Add(Tensor? input)
        {
            if (input is not null) _inputs[_count++] = input;
        }

        public override int InputCount => _count;

        public override Tensor GetInput(int index) => _inputs[index];

        public override void Backward(Tensor output)
        {
            Tensor x = Input0, wi = Input1!, w = Input2!, h0 = InitialHidden, c0 = InitialCell;
            Tensor? p = Peepholes;
            int batch = output.Shape[1], steps = output.Shape[2], features = x.Shape[-1], hidden = w.Shape[1], gates = 4 * hidden;
            int stateCount = batch * steps * hidden, rows = batch * steps;

            // dL/da for every step, [B·T, 4H]: written over the gate activations, which the cell kernel reads
            // row by row just before (the rows are in cache: no 8 MB of fresh lines fetched to be overwritten,
            // and 8 MB less in the caches), unless the graph is kept for another backward pass.
            bool overwrite = !BackwardExtensions.RetainingGraph;
            float[] dA = overwrite ? Acts : BufferPool.Rent(rows * gates);
            // The left operand of the one weight-gradient product for both weights, [B·T, X | H_prev], filled
            // by each batch block once its recurrence is done (in parallel, instead of one copy after it).
            bool both = Tokens is null && Wants(wi) && Wants(w), recurrentOnly = Wants(w) && !both;
            int width = features + hidden;
            float[]? operands = both ? BufferPool.Rent(rows * width) : null;
            // H_prev for dW_hh alone goes straight into the packed layout the weight-gradient pass reads.
            PackedMatrix? previousStates = null;
            if (recurrentOnly)
            {
                previousStates = _packedPreviousStates ??= new PackedMatrix();
                previousStates.Allocate(rows, hidden);
            }
            // The bias gradient Σ_rows dA: summed by the pass that computes dW_hh when it reads dA anyway, else
            // per batch row by the cell kernel during the recurrence.
            bool wantsBias = InputBias is not null || HiddenBias is not null, fusedBias = wantsBias && recurrentOnly && PackedMatrix.PanelledHere;
            float[]? biasSum = fusedBias ? BufferPool.Rent(gates) : null;
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
                InitialHiddenGradient = Wants(h0),
                PeepholeRows = p is null ? null : BufferPool.Rent(batch * 3 * hidden),
                BiasRows = wantsBias && !fusedBias ? BufferPool.Rent(batch * gates) : null,
                Operands = operands,
                PackedPreviousStates = previousStates,
                OperandInput = both ? x : null,
            };
            ForEachBatchBlock(batch, (long)batch * steps * gates * hidden, run.Backward);
            Span<float> gradient = dA.AsSpan(0, rows * gates);

            Span<float> dh = run.Carry.AsSpan(0, batch * hidden), dc = run.Carry.AsSpan(batch * hidden, batch * hidden);
            if (Wants(h0)) Accumulate(h0, dh);
            if (Wants(c0)) Accumulate(c0, dc);
            if (Tokens is not null)
            {
                // dL/d(table) [V, 4H]: the rows of dA summed by token (in row order), then dE = dTable·W_ih, dW_ih = dTableᵀ·E.
                int vocabulary = x.Shape[0];
                float[] tableGradient = BufferPool.Rent(vocabulary * gates);
                Span<float> dTable = tableGradient.AsSpan(0, vocabulary * gates);
                // dW_hh and the table gradient in one pass over dA where the panelled kernel exists.
                if (Wants(w)) RecurrentWeightGradient(w, previousStates!, dA, rows, hidden, Tokens, tableGradient, vocabulary, biasSum);
                else TableGradient.Run(Tokens, dA, tableGradient, vocabulary, gates);
                if (Wants(x))
                {
                    Span<float> dx = x.GradientTarget(out bool accumulate);
                    Gemm.Multiply(vocabulary, features, gates, dTable, gates, false, wi.Span, features, false, dx, features, accumulate);
                }
                if (Wants(wi))
                {
                    Span<float> dwi = wi.GradientTarget(out bool accumulate);
                    Gemm.Multiply(gates, features, vocabulary, dTable, gates, true, x.Span, features, false, dwi, features, accumulate);
                }
                BufferPool.Return(tableGradient);
            }
            else if (both)
            {
                // [dW_ih | dW_hh]ᵀ = [X | H_prev]ᵀ·dA in one GEMM, [F + H, B·T]·[B·T, 4H]: dA is read once for
                // both, and this orientation (wide, untransposed dA) ran at 187 GFLOP/s against 158 for dAᵀ·[X | H_prev].
                float[] product = BufferPool.Rent(width * gates);
                Gemm.Multiply(width, gates, rows, operands, width, true, gradient, gates, false, product, gates);
                Span<float> dwi = wi.GradientTarget(out bool accumulateInput), dw = w.GradientTarget(out bool accumulateHidden);
                AddTransposed(product, 0, features, gates, dwi, accumulateInput);
                AddTransposed(product, features * gates, hidden, gates, dw, accumulateHidden);
                BufferPool.Return(operands!);
                BufferPool.Return(product);
            }
            else if (Wants(wi))
            {
                Span<float> dwi = wi.GradientTarget(out bool accumulate);
                Gemm.Multiply(gates, features, rows, gradient, gates, true, x.Span, features, false, dwi, features, accumulate);
            }
            else if (Wants(w))
            {
                RecurrentWeightGradient(w, previousStates!, dA, rows, hidden, null, null, 0, biasSum);
            }
            if (Tokens is null && Wants(x))
            {
                Span<float> dx = x.GradientTarget(out bool accumulate);
                Gemm.Multiply(rows, features, gates, gradient, gates, false, wi.Span, features, false, dx, features, accumulate);
            }
            if (biasSum is not null)
            {
                Span<float> db = biasSum.AsSpan(0, gates);
                if (InputBias is not null && Wants(InputBias)) Accumulate(InputBias, db);
                if (HiddenBias is not null && Wants(HiddenBias)) Accumulate(HiddenBias, db);
                BufferPool.Return(biasSum);
            }
            if (run.BiasRows is not null)
            {
                // Σ over the batch in row order (each row summed its steps in time order): the same bits whatever the threads.
                Span<float> db = dA.AsSpan(0, gates);
                SumRows(run.BiasRows, batch, gates, db);
                if (InputBias is not null && Wants(InputBias)) Accumulate(InputBias, db);
                if (HiddenBias is not null && Wants(HiddenBias)) Accumulate(HiddenBias, db);
                BufferPool.Return(run.BiasRows);
            }
            if (p is not null && Wants(p))
            {
                Span<float> dp = run.Carry.AsSpan(0, 3 * hidden);
                SumRows(run.PeepholeRows!, batch, 3 * hidden, dp);
                Accumulate(p, dp);
            }
            if (run.PeepholeRows is not null) BufferPool.Return(run.PeepholeRows);
            BufferPool.Return(run.Carry);
            if (!overwrite) BufferPool.Return(dA);
        }

        /// <summary>
        /// dW_hh (+)= dAᵀ·H_prev [4H, H] from dA [B·T, 4H] and <paramref name="packed"/> H_prev [B·T, H]
        /// (filled row by row by the backward blocks), and with <paramref name="tokens"/> also dL/d(table) [V, 4H] into
        /// <paramref name="table"/>: the rows of dA summed by token in row order; with <paramref name="biasSum"/>
        /// also Σ_rows dA [4H] into it, in row order.
        /// </summary>
        private static unsafe void RecurrentWeightGradient(Tensor w, PackedMatrix packed, float[] gatesGradient, int rows, int hidden, int[]? tokens, float[]? table, int vocabulary, float[]? biasSum)
        {
            int gates = 4 * hidden;
            Span<float> dw = w.GradientTarget(out bool accumulate);
            if (packed.Panelled)
            {
                GateWeightGradient.Run(gatesGradient, rows, gates, packed, dw, accumulate, tokens, table, vocabulary, biasSum);
                return;
            }
            // Without AVX-512 the packed matrix is plain row-major H_prev: one GEMM, transposed into place.
            float[] product = BufferPool.Rent(hidden * gates);
            Gemm.Multiply(hidden, gates, rows, new ReadOnlySpan<float>(packed.Data, rows * hidden), hidden, true, gatesGradient.AsSpan(0, rows * gates), gates, false, product, gates);
            AddTransposed(product, 0, hidden, gates, dw, accumulate);
            BufferPool.Return(product);
            if (tokens is not null) TableGradient.Run(tokens, gatesGradient, table!, vocabulary, gates);
            if (biasSum is not null) SumRows(gatesGradient, rows, gates, biasSum);
        }

        [ThreadStatic] private static PackedMatrix? _packedPreviousStates;

        /// <summary>
        /// dW_hh = dAᵀ·H_prev without packing dA [B·T, 4H] (8 MB for a batch of 2,048 tokens of a 256-unit LSTM)
        /// into a GEMM's workspace and reading it back from memory, and, for a token model, without a
        /// second pass over dA for the table gradient. Chunk c owns gates [64c, 64c + 64): rows of dW_hh
        /// and columns of the table. For each block of 256 rows of dA it copies its 64 columns into 8-gate
        /// panels [256][8] (64 KB, stays in L2), adding each row into its token's table row and into the
        /// bias gradient on the way, then multiplies the panels by H_prev's packed panels (RecurrentGemm's
        /// kernel) into its rows of dW_hh. Each element of dW_hh is summed block by block in row order and
        /// each table and bias element row by row, by whichever thread runs its chunk: the same bits on any
        /// number of threads.
        /// </summary>
        private sealed unsafe class GateWeightGradient : ChunkJob
        {
            private const int ChunkGates = 64, BlockRows = 256, TileRows = 8;
            [ThreadStatic] private static GateWeightGradient? _instance;
            [ThreadStatic] private static float[]? _panels;
            private float* _gradient, _weightGradient, _table, _bias;
            private int* _tokens;
            private int _rows, _gates, _hidden, _vocabulary;
            private bool _accumulate;
            private PackedMatrix _previous = null!;

            public static void Run(float[] gatesGradient, int rows, int gates, PackedMatrix previous, Span<float> weightGradient, bool accumulate, int[]? tokens, float[]? table, int vocabulary, float[]? biasSum)
            {
                GateWeightGradient job = _instance ??= new GateWeightGradient();
                fixed (float* gradient = gatesGradient, dw = weightGradient, tablePointer = table, bias = biasSum)
                fixed (int* tokenPointer = tokens)
                {
                    job._gradient = gradient;
                    job._weightGradient = dw;
                    job._table = tokens is null ? null : tablePointer;
                    job._bias = bias;
                    job._tokens = tokenPointer;
                    (job._rows, job._gates, job._hidden, job._accumulate, job._previous, job._vocabulary) = (rows, gates, previous.Columns, accumulate, previous, vocabulary);
                    try
                    {
                        Gemm.RunParallel(job, (gates + ChunkGates - 1) / ChunkGates);
                    }
                    finally
                    {
                        job._gradient = job._weightGradient = job._table = job._bias = null;
                        job._tokens = null;
                        job._previous = null!;
                    }
                }
            }

            public override void RunChunk(int chunk)
            {
                int first = chunk * ChunkGates, width = Math.Min(ChunkGates, _gates - first), tiles = (width + TileRows - 1) / TileRows;
                int hidden = _hidden, panels = (hidden + PackedMatrix.PanelColumns - 1) / PackedMatrix.PanelColumns;
                float[] scratch = _panels ??= GC.AllocateUninitializedArray<float>(ChunkGates * BlockRows, pinned: true);
                float* tile = stackalloc float[TileRows * PackedMatrix.PanelColumns];
                if (_table is not null)
                    for (int v = 0; v < _vocabulary; v++) new Span<float>(_table + (long)v * _gates + first, width).Clear();
                if (_bias is not null) new Span<float>(_bias + first, width).Clear();
                fixed (float* panelData = scratch)
                {
                    for (int block = 0; block < _rows; block += BlockRows)
                    {
                        int depth = Math.Min(BlockRows, _rows - block);
                        CopyBlock(block, depth, first, width, tiles, panelData);
                        bool add = _accumulate || block > 0;
                        for (int panel = 0; panel < panels; panel++)
                        {
                            int column = panel * PackedMatrix.PanelColumns, columns = Math.Min(PackedMatrix.PanelColumns, hidden - column);
                            float* b = _previous.Data + ((long)panel * _rows + block) * PackedMatrix.PanelColumns;
                            for (int t = 0; t < tiles; t++)
                            {
                                int rowsInTile = Math.Min(TileRows, width - t * TileRows);
                                float* a = panelData + (long)t * depth * TileRows, c = _weightGradient + (long)(first + t * TileRows) * hidden + column;
                                if (columns == PackedMatrix.PanelColumns)
                                {
                                    RecurrentGemm.PackedTile(rowsInTile, depth, a, b, c, hidden, add);
                                    continue;
                                }
                                RecurrentGemm.PackedTile(rowsInTile, depth, a, b, tile, PackedMatrix.PanelColumns, accumulate: false);
                                Gemm.StoreEdgeTile(rowsInTile, columns, tile, PackedMatrix.PanelColumns, c, hidden, overwrite: !add);
                            }
                        }
                    }
                }
            }

            private static void AddRow(float* target, float* source, int width)
            {
                int j = 0;
                if (Vector512.IsHardwareAccelerated)
                    for (; j + 16 <= width; j += 16) Vector512.Store(Vector512.Load(target + j) + Vector512.Load(source + j), target + j);
                for (; j < width; j++) target[j] += source[j];
            }

            /// <summary>Rows [block, block + depth) of dA's columns [first, first + width) into panels [tile][depth][8]; adds each row into its token's table row and into the bias sum.</summary>
            private void CopyBlock(int block, int depth, int first, int width, int tiles, float* panels)
            {
                const int Ahead = 8;
                for (int r = 0; r < depth; r++)
                {
                    float* source = _gradient + (long)(block + r) * _gates + first;
                    // Rows of dA are 4H floats apart (4 KB for H = 256): each is on its own page, where the hardware
                    // prefetchers do not follow, so ask for the row a few ahead.
                    if (System.Runtime.Intrinsics.X86.Sse.IsSupported && r + Ahead < depth)
                        for (int j = 0; j < width; j += 16) System.Runtime.Intrinsics.X86.Sse.Prefetch0(source + (long)Ahead * _gates + j);
                    if (_table is not null) AddRow(_table + (long)_tokens[block + r] * _gates + first, source, width);
                    if (_bias is not null) AddRow(_bias + first, source, width);
                    for (int t = 0; t < tiles; t++)
                    {
                        float* to = panels + ((long)t * depth + r) * TileRows;
                        int count = Math.Min(TileRows, width - t * TileRows);
                        if (count == TileRows) Vector256.Store(Vector256.Load(source + t * TileRows), to);
                        else for (int i = 0; i < count; i++) to[i] = source[t * TileRows + i];
                    }
                }
            }
        }

        /// <summary>target[j, i] (+)= source[offset + i·columns + j] for a source [rows, columns], on the GEMM's team in chunks of 32 target rows.</summary>
        private static unsafe void AddTransposed(float[] source, int offset, int rows, int columns, Span<float> target, bool accumulate)
        {
            TransposeAdd job = _transposeAdd ??= new TransposeAdd();
            (job.Source, job.Offset, job.Rows, job.Columns, job.Accumulate) = (source, offset, rows, columns, accumulate);
            fixed (float* pointer = target)
            {
                job.Target = pointer;
                try
                {
                    Gemm.RunParallel(job, (columns + TransposeAdd.Block - 1) / TransposeAdd.Block);
                }
                finally
                {
                    job.Source = [];
                    job.Target = null;
                }
            }
        }

        [ThreadStatic] private static TransposeAdd? _transposeAdd;

        /// <summary>Chunk c: target rows [32c, 32c + 32) of the transposed add, in 32 x 32 blocks that stay in cache.</summary>
        private sealed unsafe class TransposeAdd : ChunkJob
        {
            public const int Block = 32;
            public float[] Source = [];
            public float* Target;
            public int Offset, Rows, Columns;
            public bool Accumulate;

            public override void RunChunk(int chunk)
            {
                int j0 = chunk * Block, j1 = Math.Min(Columns, j0 + Block);
                if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported && Rows % 16 == 0 && (j1 - j0) % 16 == 0)
                {
                    // 16 x 16 register transposes (the scalar loop below was 1.4 % of the one-core lstm step).
                    float* block = stackalloc float[256];
                    fixed (float* sourceData = Source)
                    {
                        for (int j = j0; j < j1; j += 16)
                        {
                            for (int i = 0; i < Rows; i += 16)
                            {
                                float* from = sourceData + Offset + (long)i * Columns + j, to = Target + (long)j * Rows + i;
                                if (!Accumulate)
                                {
                                    Gemm.Transpose16x16(from, Columns, 16, to, Rows);
                                    continue;
                                }
                                Gemm.Transpose16x16(from, Columns, 16, block, 16);
                                for (int t = 0; t < 16; t++)
                                    Vector512.Store(Vector512.Load(to + (long)t * Rows) + Vector512.Load(block + t * 16), to + (long)t * Rows);
                            }
                        }
                    }
                    return;
                }
                ReadOnlySpan<float> source = Source.AsSpan(Offset, Rows * Columns);
                for (int i0 = 0; i0 < Rows; i0 += Block)
                {
                    int i1 = Math.Min(Rows, i0 + Block);
                    for (int j = j0; j < j1; j++)
                    {
                        float* row = Target + (long)j * Rows;
                        if (Accumulate) for (int i = i0; i < i1; i++) row[i] += source[i * Columns + j];
                        else for (int i = i0; i < i1; i++) row[i] = source[i * Columns + j];
                    }
                }
            }
        }

        /// <summary>
        /// dL/d(table) [V, 4H]: the rows of dA summed by token in row order, on the GEMM's team in chunks of
        /// 128 columns (each element's sum has the same order whatever the chunking, so the same bits).
        /// </summary>
        private sealed class TableGradient : ChunkJob
        {
            private const int Columns = 128;
            [ThreadStatic] private static TableGradient? _instance;
            private int[] _tokens = [];
            private float[] _gradient = [], _table = [];
            private int _vocabulary, _gates;

            public static void Run(int[] tokens, float[] gradient, float[] table, int vocabulary, int gates)
            {
                TableGradient job = _instance ??= new TableGradient();
                (job._tokens, job._gradient, job._table, job._vocabulary, job._gates) = (tokens, gradient, table, vocabulary, gates);
                try
                {
                    Gemm.RunParallel(job, (gates + Columns - 1) / Columns);
                }
                finally
                {
                    (job._tokens, job._gradient, job._table) = ([], [], []);
                }
            }

            public override void RunChunk(int chunk)
            {
                int first = chunk * Columns, width = Math.Min(Columns, _gates - first);
                for (int v = 0; v < _vocabulary; v++) _table.AsSpan(v * _gates + first, width).Clear();
                if (width == Columns && Vector512.IsHardwareAccelerated)
                {
                    // The same element-wise adds as below, without a call per 128-float stretch.
                    ref float table = ref MemoryMarshal.GetArrayDataReference(_table), gradient = ref MemoryMarshal.GetArrayDataReference(_gradient);
                    for (int r = 0; r < _tokens.Length; r++)
                    {
                        ref float target = ref Unsafe.Add(ref table, _tokens[r] * _gates + first);
                        ref float source = ref Unsafe.Add(ref gradient, r * _gates + first);
                        for (nuint j = 0; j < Columns; j += 16)
                            (Vector512.LoadUnsafe(ref target, j) + Vector512.LoadUnsafe(ref source, j)).StoreUnsafe(ref target, j);
                    }
                    return;
                }
                for (int r = 0; r < _tokens.Length; r++)
                {
                    Span<float> target = _table.AsSpan(_tokens[r] * _gates + first, width);
                    TensorPrimitives.Add(target, _gradient.AsSpan(r * _gates + first, width), target);
                }
            }
        }

        private static void SumRows(float[] rows, int count, int width, Span<float> sum)
        {
            rows.AsSpan(0, width).CopyTo(sum);
            for (int b = 1; b < count; b++) TensorPrimitives.Add(sum, rows.AsSpan(b * width, width), sum);
        }

        protected override void ClearState()
        {
            InitialHidden = null!;
            InitialCell = null!;
            InputBias = HiddenBias = Peepholes = null;
            Tokens = null;
            Array.Clear(_inputs);
            _count = 0;
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
        public float[]? Bias, Candidates;
        public float[]? Table;   // forward of tokens: E·W_ihᵀ [V, 4H], a row per token
        public int[]? Tokens;
        public Tensor Output = null!, InitialHidden = null!, InitialCell = null!;
        public Tensor? Peepholes, Keep;
        public PackedMatrix Packed = null!;
        public bool ZeroInitialHidden;   // h_0 is all zeros: the first step's product is skipped

        // Backward only: dA [B, T, 4H]; Carry = dh, dc, dh_t, dc_t and zoneout's share for c, each [B, H];
        // per-row sums of the bias gradient [B, 4H] and of the peephole gradients [B, 3H].
        public float[] GatesGradient = [], Carry = [];
        public float[]? PeepholeRows, BiasRows;
        public bool InitialHiddenGradient = true;   // whether dL/dh_0 is wanted (else the last step's product is skipped)

        // Backward only, optional, each block filling its own rows when done: the left operand of the product
        // for both weights [B·T, F + H], rows [x_t | h_{t−1}] with x_t from OperandInput; or H_prev [B·T, H]
        // packed for dW_hh alone.
        public float[]? Operands;
        public Tensor? OperandInput;
        public PackedMatrix? PackedPreviousStates;

        /// <summary>The recurrence for rows [first, end) of the batch, all steps.</summary>
        public void Forward(int first, int end)
        {
            int gates = 4 * hidden, stateCount = batch * steps * hidden, rows = end - first;
            Span<float> y = Output.Span, states = y[..stateCount], cells = y[stateCount..];
            ReadOnlySpan<float> h0 = InitialHidden.Span, c0 = InitialCell.Span;
            ReadOnlySpan<float> bias = Bias is null ? default : Bias.AsSpan(0, gates);
            ReadOnlySpan<float> peep = Peepholes is null ? default : Peepholes.Span, keep = Keep is null ? default : Keep.Span;
            Span<int> tokenRows = Table is null ? default : rows <= 64 ? stackalloc int[rows] : new int[rows];
            for (int s = 0; s < steps; s++)
            {
                int t = TimeAt(s, steps, reverse), previous = reverse ? t + 1 : t - 1;
                bool first0 = s == 0;
                // a_t += h_{t−1}·W_hhᵀ: [rows, H] (rows T·H apart in the output) · [H, 4H] into rows T·4H apart;
                // for tokens, a_t = (their rows of the table) + h_{t−1}·W_hhᵀ, the table read in place.
                if (first0 && ZeroInitialHidden)
                {
                    // h_0 = 0 (a layer called without a state): the product adds nothing, so skip it.
                    if (Table is not null)
                        for (int b = first; b < end; b++) Table.AsSpan(Tokens![b * steps + t] * gates, gates).CopyTo(Acts.AsSpan((b * steps + t) * gates, gates));
                }
                else if (Table is not null)
                {
                    for (int b = first; b < end; b++) tokenRows[b - first] = Tokens![b * steps + t];
                    ReadOnlySpan<float> previousStates = first0 ? h0[(first * hidden)..] : states[((first * steps + previous) * hidden)..];
                    RecurrentGemm.MultiplyAdd(rows, previousStates, first0 ? hidden : steps * hidden, Packed, Table, tokenRows, Acts.AsSpan((first * steps + t) * gates), steps * gates);
                }
                else if (first0) RecurrentGemm.Multiply(rows, h0[(first * hidden)..], hidden, Packed, Acts.AsSpan((first * steps + t) * gates), steps * gates, accumulate: true);
                else RecurrentGemm.Multiply(rows, states[((first * steps + previous) * hidden)..], steps * hidden, Packed, Acts.AsSpan((first * steps + t) * gates), steps * gates, accumulate: true);
                for (int b = first; b < end; b++)
                {
                    int row = (b * steps + t) * hidden;
                    ReadOnlySpan<float> cellPrevious = first0 ? c0.Slice(b * hidden, hidden) : cells.Slice((b * steps + previous) * hidden, hidden);
                    Span<float> cell = cells.Slice(row, hidden), state = states.Slice(row, hidden);
                    if (Candidates is null)
                    {
                        RecurrentCells.LstmForward(Acts.AsSpan(row * 4, gates), bias, cellPrevious, peep, cell, TanhCell.AsSpan(row, hidden), state);
                        continue;
                    }
                    Span<float> cellCandidate = Candidates.AsSpan(stateCount + row, hidden), stateCandidate = Candidates.AsSpan(row, hidden);
                    RecurrentCells.LstmForward(Acts.AsSpan(row * 4, gates), bias, cellPrevious, peep, cellCandidate, TanhCell.AsSpan(row, hidden), stateCandidate);
                    ReadOnlySpan<float> statePrevious = first0 ? h0.Slice(b * hidden, hidden) : states.Slice((b * steps + previous) * hidden, hidden);
                    cellCandidate.CopyTo(cell);
                    RecurrentCells.ZoneoutForward(keep.Slice(stateCount + row, hidden), cellPrevious, cell);
                    stateCandidate.CopyTo(state);
                    RecurrentCells.ZoneoutForward(keep.Slice(row, hidden), statePrevious, state);
                }
            }
        }

        /// <summary>Backpropagation through time for rows [first, end): dA, per-row bias and peephole sums, and dL/dh_0, dL/dc_0 left in the first two blocks of <see cref="Carry"/>.</summary>
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
            if (BiasRows is not null) BiasRows.AsSpan(first * gates, rows * gates).Clear();
            for (int s = steps - 1; s >= 0; s--)
            {
                int t = TimeAt(s, steps, reverse), previous = reverse ? t + 1 : t - 1;
                bool first0 = s == 0;
                for (int b = first; b < end; b++)
                {
                    int row = (b * steps + t) * hidden;
                    Span<float> dhCarry = dh.Slice(b * hidden, hidden), dcCarry = dc.Slice(b * hidden, hidden);
                    ReadOnlySpan<float> cellPrevious = first0 ? c0.Slice(b * hidden, hidden) : cells.Slice((b * steps + previous) * hidden, hidden);
                    Span<float> dp = PeepholeRows is null ? default : PeepholeRows.AsSpan(b * 3 * hidden, 3 * hidden);
                    Span<float> db = BiasRows is null ? default : BiasRows.AsSpan(b * gates, gates);
                    if (Candidates is null)
                    {
                        // dL/dh_t = the step's output gradient + the carry, summed inside the kernel; dc_{t−1} overwrites the cell carry.
                        RecurrentCells.LstmBackward(Acts.AsSpan(row * 4, gates), cellPrevious, cells.Slice(row, hidden), TanhCell.AsSpan(row, hidden), peep,
                            dStates.Slice(row, hidden), dhCarry, dCells.Slice(row, hidden), dcCarry, dA.Slice(row * 4, gates), dcCarry, dp, db);
                        continue;
                    }
                    // Zoneout: the summed gradients are split into the candidate's share and the direct shares for
                    // h_{t−1} (left in the hidden carry; the product adds to it below) and c_{t−1}.
                    Span<float> dhRow = dhStep.Slice(b * hidden, hidden), dcRow = dcStep.Slice(b * hidden, hidden), share = direct.Slice(b * hidden, hidden);
                    TensorPrimitives.Add(dStates.Slice(row, hidden), dhCarry, dhRow);
                    TensorPrimitives.Add(dCells.Slice(row, hidden), dcCarry, dcRow);
                    RecurrentCells.ZoneoutBackward(keep.Slice(row, hidden), dhRow, dhCarry);
                    RecurrentCells.ZoneoutBackward(keep.Slice(stateCount + row, hidden), dcRow, share);
                    RecurrentCells.LstmBackward(Acts.AsSpan(row * 4, gates), cellPrevious, Candidates.AsSpan(stateCount + row, hidden), TanhCell.AsSpan(row, hidden), peep,
                        dhRow, default, dcRow, default, dA.Slice(row * 4, gates), dcCarry, dp, db);
                    TensorPrimitives.Add(dcCarry, share, dcCarry);
                }
                // dL/dh_{t−1} = da_t·W_hh: [rows, 4H] (rows T·4H apart) · [4H, H]; at the first step only for dL/dh_0.
                if (first0 && !InitialHiddenGradient) break;
                RecurrentGemm.Multiply(rows, dA[((first * steps + t) * gates)..], steps * gates, Packed, dh[(first * hidden)..], hidden, accumulate: Candidates is not null);
            }
            if (PackedPreviousStates is not null)
            {
                ReadOnlySpan<float> states = y[..stateCount], initial = InitialHidden.Span;
                for (int b = first; b < end; b++)
                    for (int t = 0; t < steps; t++)
                    {
                        int previous = reverse ? t + 1 : t - 1;
                        PackedPreviousStates.SetRow(b * steps + t, previous < 0 || previous >= steps
                            ? initial.Slice(b * hidden, hidden) : states.Slice((b * steps + previous) * hidden, hidden));
                    }
            }
            if (Operands is not null)
            {
                int features = OperandInput!.Shape[-1], width = features + hidden;
                ReadOnlySpan<float> xs = OperandInput.Span;
                for (int r = first * steps; r < end * steps; r++) xs.Slice(r * features, features).CopyTo(Operands.AsSpan(r * width, features));
                PreviousStates(y[..stateCount], InitialHidden.Span, batch, steps, hidden, reverse, Operands, width, features, first, end);
            }
        }
    }
}
