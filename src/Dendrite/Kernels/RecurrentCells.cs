using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

// The element-wise gate math of recurrent cells, for one row (one sequence of the batch at one time
// step), fused so that each value is read and written once per pass. The matrix products around it
// (x·W_ihᵀ for the whole sequence, h·W_hhᵀ per step) are GEMMs in the op that calls these.
// H = hidden size. Gate order and formulas are torch's (tests/reference/README.md).
//
// LSTM, gates stacked i, f, g, o; a = x·W_ihᵀ + b_ih + h_prev·W_hhᵀ + b_hh [4H]; optional peepholes
// p = (p_i, p_f, p_o) [3H] let the gates see the cell (Gers, Schraudolph and Schmidhuber 2002):
//   i = σ(a_i + p_i⊙c_prev)   f = σ(a_f + p_f⊙c_prev)   g = tanh(a_g)
//   c = f⊙c_prev + i⊙g        o = σ(a_o + p_o⊙c)        h = o⊙tanh(c)
// backward, from dh and dc (the gradient reaching c from later steps and from the outputs):
//   do = dh⊙tanh(c)                  da_o = do⊙o(1−o)
//   dc' = dc + dh⊙o⊙(1 − tanh²c) + da_o⊙p_o
//   da_i = dc'⊙g⊙i(1−i)   da_f = dc'⊙c_prev⊙f(1−f)   da_g = dc'⊙i⊙(1−g²)
//   dc_prev = dc'⊙f + da_i⊙p_i + da_f⊙p_f
//   dp_i += da_i⊙c_prev   dp_f += da_f⊙c_prev   dp_o += da_o⊙c
//
// GRU, gates stacked r, z, n; u = x·W_ihᵀ + b_ih [3H], v = h_prev·W_hhᵀ + b_hh [3H]:
//   r = σ(u_r + v_r)   z = σ(u_z + v_z)   n = tanh(u_n + r⊙v_n)   h = (1−z)⊙n + z⊙h_prev
// backward, from dh:
//   dn = dh⊙(1−z)   dz = dh⊙(h_prev − n)   da_n = dn⊙(1−n²)   dr = da_n⊙v_n
//   du = (dr⊙r(1−r), dz⊙z(1−z), da_n)   dv = (du_r, du_z, da_n⊙r)   dh_prev (direct part) = dh⊙z
//
// Plain RNN: h = tanh(a) (or relu(a)); da = dh⊙(1 − h²) (or dh where h > 0).
//
// Zoneout (Krueger et al. 2017) mixes a state with its previous value: s = k⊙s_prev + (1−k)⊙s',
// k = 1 where a unit keeps its value (training, with probability p) or k = p (evaluation).
//
// The LSTM forward takes Vector512 lanes where AVX-512 runs them, for the single-precision e^x at the end
// of the file (the backward has no exponential and is bound by memory, so 512-bit lanes gained nothing
// there); then Vector<float> lanes, then the same formulas one value at a time for the tail. Identical to
// RecurrentCellsReference except: tanh is computed as 1 − 2/(e^{2x} + 1) (one exponential, exact
// limits ±1, absolute error about 1e-7 near 0) and rounding of fused operations.

/// <summary>
/// The fused element-wise gate math of LSTM, GRU and plain RNN cells and of zoneout, one row (one
/// sequence at one time step) per call, forward and backward; the formulas are at the top of this
/// file and <see cref="RecurrentCellsReference"/> is the plain twin.
/// </summary>
public static class RecurrentCells
{
    /// <summary>
    /// One LSTM step for one row: turns the pre-activations in <paramref name="gates"/> [4H] into the
    /// gate activations (i, f, g, o) in place and writes the new cell, its tanh and the new hidden state.
    /// </summary>
    /// <param name="gates">[4H]: in, a = the summed projections; out, the activations i, f, g, o.</param>
    /// <param name="bias">b [4H] added to a first (the input and hidden biases summed), or empty.</param>
    /// <param name="cellPrevious">c_prev [H].</param>
    /// <param name="peepholes">(p_i, p_f, p_o) [3H], or empty for none.</param>
    /// <param name="cell">c [H], written.</param>
    /// <param name="tanhCell">tanh(c) [H], written (kept for the backward pass).</param>
    /// <param name="hidden">h [H], written.</param>
    public static void LstmForward(Span<float> gates, ReadOnlySpan<float> bias, ReadOnlySpan<float> cellPrevious, ReadOnlySpan<float> peepholes,
        Span<float> cell, Span<float> tanhCell, Span<float> hidden)
    {
        int h = cell.Length;
        Check(gates.Length == 4 * h && cellPrevious.Length == h && tanhCell.Length == h && hidden.Length == h
            && (peepholes.IsEmpty || peepholes.Length == 3 * h) && (bias.IsEmpty || bias.Length == 4 * h), "LstmForward");
        bool peep = !peepholes.IsEmpty, biased = !bias.IsEmpty;
        ref float a = ref MemoryMarshal.GetReference(gates);
        ref float bb = ref biased ? ref MemoryMarshal.GetReference(bias) : ref Unsafe.NullRef<float>();
        ref float cp = ref MemoryMarshal.GetReference(cellPrevious);
        ref float p = ref peep ? ref MemoryMarshal.GetReference(peepholes) : ref Unsafe.NullRef<float>();
        ref float c = ref MemoryMarshal.GetReference(cell);
        ref float tc = ref MemoryMarshal.GetReference(tanhCell);
        ref float hh = ref MemoryMarshal.GetReference(hidden);
        nuint n = (nuint)h, i = 0;
        if (Avx512F.IsSupported)
        {
            for (; i + 16 <= n; i += 16)
            {
                var cPrev = Vector512.LoadUnsafe(ref cp, i);
                var ai = Vector512.LoadUnsafe(ref a, i);
                var af = Vector512.LoadUnsafe(ref a, n + i);
                var ag = Vector512.LoadUnsafe(ref a, 2 * n + i);
                var ao = Vector512.LoadUnsafe(ref a, 3 * n + i);
                if (biased)
                {
                    ai += Vector512.LoadUnsafe(ref bb, i);
                    af += Vector512.LoadUnsafe(ref bb, n + i);
                    ag += Vector512.LoadUnsafe(ref bb, 2 * n + i);
                    ao += Vector512.LoadUnsafe(ref bb, 3 * n + i);
                }
                if (peep)
                {
                    ai += Vector512.LoadUnsafe(ref p, i) * cPrev;
                    af += Vector512.LoadUnsafe(ref p, n + i) * cPrev;
                }
                var gi = Sigmoid(ai);
                var gf = Sigmoid(af);
                var gg = Tanh(ag);
                var cNew = gf * cPrev + gi * gg;
                if (peep) ao += Vector512.LoadUnsafe(ref p, 2 * n + i) * cNew;
                var go = Sigmoid(ao);
                var t = Tanh(cNew);
                gi.StoreUnsafe(ref a, i);
                gf.StoreUnsafe(ref a, n + i);
                gg.StoreUnsafe(ref a, 2 * n + i);
                go.StoreUnsafe(ref a, 3 * n + i);
                cNew.StoreUnsafe(ref c, i);
                t.StoreUnsafe(ref tc, i);
                (go * t).StoreUnsafe(ref hh, i);
            }
        }
        if (Vector.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector<float>.Count <= n; i += (nuint)Vector<float>.Count)
            {
                var cPrev = Vector.LoadUnsafe(ref cp, i);
                var ai = Vector.LoadUnsafe(ref a, i);
                var af = Vector.LoadUnsafe(ref a, n + i);
                var ag = Vector.LoadUnsafe(ref a, 2 * n + i);
                var ao = Vector.LoadUnsafe(ref a, 3 * n + i);
                if (biased)
                {
                    ai += Vector.LoadUnsafe(ref bb, i);
                    af += Vector.LoadUnsafe(ref bb, n + i);
                    ag += Vector.LoadUnsafe(ref bb, 2 * n + i);
                    ao += Vector.LoadUnsafe(ref bb, 3 * n + i);
                }
                if (peep)
                {
                    ai += Vector.LoadUnsafe(ref p, i) * cPrev;
                    af += Vector.LoadUnsafe(ref p, n + i) * cPrev;
                }
                var gi = Sigmoid(ai);
                var gf = Sigmoid(af);
                var gg = Tanh(ag);
                var cNew = gf * cPrev + gi * gg;
                if (peep) ao += Vector.LoadUnsafe(ref p, 2 * n + i) * cNew;
                var go = Sigmoid(ao);
                var t = Tanh(cNew);
                gi.StoreUnsafe(ref a, i);
                gf.StoreUnsafe(ref a, n + i);
                gg.StoreUnsafe(ref a, 2 * n + i);
                go.StoreUnsafe(ref a, 3 * n + i);
                cNew.StoreUnsafe(ref c, i);
                t.StoreUnsafe(ref tc, i);
                (go * t).StoreUnsafe(ref hh, i);
            }
        }
        for (; i < n; i++)
        {
            float cPrev = Unsafe.Add(ref cp, i);
            float ai = Unsafe.Add(ref a, i), af = Unsafe.Add(ref a, n + i), ag = Unsafe.Add(ref a, 2 * n + i), ao = Unsafe.Add(ref a, 3 * n + i);
            if (biased)
            {
                ai += Unsafe.Add(ref bb, i);
                af += Unsafe.Add(ref bb, n + i);
                ag += Unsafe.Add(ref bb, 2 * n + i);
                ao += Unsafe.Add(ref bb, 3 * n + i);
            }
            if (peep)
            {
                ai += Unsafe.Add(ref p, i) * cPrev;
                af += Unsafe.Add(ref p, n + i) * cPrev;
            }
            float gi = Sigmoid(ai), gf = Sigmoid(af), gg = Tanh(ag);
            float cNew = gf * cPrev + gi * gg;
            if (peep) ao += Unsafe.Add(ref p, 2 * n + i) * cNew;
            float go = Sigmoid(ao), t = Tanh(cNew);
            Unsafe.Add(ref a, i) = gi;
            Unsafe.Add(ref a, n + i) = gf;
            Unsafe.Add(ref a, 2 * n + i) = gg;
            Unsafe.Add(ref a, 3 * n + i) = go;
            Unsafe.Add(ref c, i) = cNew;
            Unsafe.Add(ref tc, i) = t;
            Unsafe.Add(ref hh, i) = go * t;
        }
    }

    /// <summary>
    /// The backward pass of <see cref="LstmForward"/> for one row: from dL/dh and dL/dc of this step,
    /// the gradient of the pre-activations, of c_prev, and (added) of the peepholes and the bias.
    /// dL/dh and dL/dc each arrive in two parts (the step's output and what flows back from the
    /// next step), summed here so that the caller needs no extra pass.
    /// </summary>
    /// <param name="gates">The activations i, f, g, o [4H] saved by the forward pass.</param>
    /// <param name="cellPrevious">c_prev [H].</param>
    /// <param name="cell">c [H].</param>
    /// <param name="tanhCell">tanh(c) [H].</param>
    /// <param name="peepholes">(p_i, p_f, p_o) [3H], or empty.</param>
    /// <param name="hiddenGradient">dL/dh [H] (first part).</param>
    /// <param name="hiddenGradientCarry">dL/dh [H] (second part), or empty.</param>
    /// <param name="cellGradient">dL/dc [H] from later steps and outputs (not through h), first part.</param>
    /// <param name="cellGradientCarry">dL/dc [H], second part, or empty; may be the same span as <paramref name="cellPreviousGradient"/>.</param>
    /// <param name="gatesGradient">dL/da [4H], written.</param>
    /// <param name="cellPreviousGradient">dL/dc_prev [H] through this cell, written.</param>
    /// <param name="peepholeGradient">dL/dp [3H], added to (empty when there are no peepholes).</param>
    /// <param name="biasGradient">dL/db [4H] (= dL/da), added to, or empty.</param>
    public static void LstmBackward(ReadOnlySpan<float> gates, ReadOnlySpan<float> cellPrevious, ReadOnlySpan<float> cell,
        ReadOnlySpan<float> tanhCell, ReadOnlySpan<float> peepholes, ReadOnlySpan<float> hiddenGradient, ReadOnlySpan<float> hiddenGradientCarry,
        ReadOnlySpan<float> cellGradient, ReadOnlySpan<float> cellGradientCarry,
        Span<float> gatesGradient, Span<float> cellPreviousGradient, Span<float> peepholeGradient, Span<float> biasGradient)
    {
        int h = cell.Length;
        bool peep = !peepholes.IsEmpty;
        Check(gates.Length == 4 * h && cellPrevious.Length == h && tanhCell.Length == h && hiddenGradient.Length == h
            && cellGradient.Length == h && gatesGradient.Length == 4 * h && cellPreviousGradient.Length == h
            && (hiddenGradientCarry.IsEmpty || hiddenGradientCarry.Length == h) && (cellGradientCarry.IsEmpty || cellGradientCarry.Length == h)
            && (biasGradient.IsEmpty || biasGradient.Length == 4 * h)
            && (!peep || (peepholes.Length == 3 * h && peepholeGradient.Length == 3 * h)), "LstmBackward");
        bool sumHidden = !hiddenGradientCarry.IsEmpty, sumCell = !cellGradientCarry.IsEmpty, bias = !biasGradient.IsEmpty;
        ref float dhc = ref sumHidden ? ref MemoryMarshal.GetReference(hiddenGradientCarry) : ref Unsafe.NullRef<float>();
        ref float dcc = ref sumCell ? ref MemoryMarshal.GetReference(cellGradientCarry) : ref Unsafe.NullRef<float>();
        ref float db = ref bias ? ref MemoryMarshal.GetReference(biasGradient) : ref Unsafe.NullRef<float>();
        ref float a = ref MemoryMarshal.GetReference(gates);
        ref float cp = ref MemoryMarshal.GetReference(cellPrevious);
        ref float c = ref MemoryMarshal.GetReference(cell);
        ref float tc = ref MemoryMarshal.GetReference(tanhCell);
        ref float p = ref peep ? ref MemoryMarshal.GetReference(peepholes) : ref Unsafe.NullRef<float>();
        ref float dh = ref MemoryMarshal.GetReference(hiddenGradient);
        ref float dc = ref MemoryMarshal.GetReference(cellGradient);
        ref float da = ref MemoryMarshal.GetReference(gatesGradient);
        ref float dcp = ref MemoryMarshal.GetReference(cellPreviousGradient);
        ref float dp = ref peep ? ref MemoryMarshal.GetReference(peepholeGradient) : ref Unsafe.NullRef<float>();
        nuint n = (nuint)h, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<float>.One;
            for (; i + (nuint)Vector<float>.Count <= n; i += (nuint)Vector<float>.Count)
            {
                var gi = Vector.LoadUnsafe(ref a, i);
                var gf = Vector.LoadUnsafe(ref a, n + i);
                var gg = Vector.LoadUnsafe(ref a, 2 * n + i);
                var go = Vector.LoadUnsafe(ref a, 3 * n + i);
                var t = Vector.LoadUnsafe(ref tc, i);
                var cPrev = Vector.LoadUnsafe(ref cp, i);
                var dH = Vector.LoadUnsafe(ref dh, i);
                if (sumHidden) dH += Vector.LoadUnsafe(ref dhc, i);
                var dao = dH * t * go * (one - go);
                var dC = Vector.LoadUnsafe(ref dc, i) + dH * go * (one - t * t);
                if (sumCell) dC += Vector.LoadUnsafe(ref dcc, i);
                if (peep) dC += dao * Vector.LoadUnsafe(ref p, 2 * n + i);
                var dai = dC * gg * gi * (one - gi);
                var daf = dC * cPrev * gf * (one - gf);
                var dag = dC * gi * (one - gg * gg);
                var dPrev = dC * gf;
                if (peep)
                {
                    dPrev += dai * Vector.LoadUnsafe(ref p, i) + daf * Vector.LoadUnsafe(ref p, n + i);
                    (Vector.LoadUnsafe(ref dp, i) + dai * cPrev).StoreUnsafe(ref dp, i);
                    (Vector.LoadUnsafe(ref dp, n + i) + daf * cPrev).StoreUnsafe(ref dp, n + i);
                    (Vector.LoadUnsafe(ref dp, 2 * n + i) + dao * Vector.LoadUnsafe(ref c, i)).StoreUnsafe(ref dp, 2 * n + i);
                }
                dai.StoreUnsafe(ref da, i);
                daf.StoreUnsafe(ref da, n + i);
                dag.StoreUnsafe(ref da, 2 * n + i);
                dao.StoreUnsafe(ref da, 3 * n + i);
                dPrev.StoreUnsafe(ref dcp, i);
                if (bias)
                {
                    (Vector.LoadUnsafe(ref db, i) + dai).StoreUnsafe(ref db, i);
                    (Vector.LoadUnsafe(ref db, n + i) + daf).StoreUnsafe(ref db, n + i);
                    (Vector.LoadUnsafe(ref db, 2 * n + i) + dag).StoreUnsafe(ref db, 2 * n + i);
                    (Vector.LoadUnsafe(ref db, 3 * n + i) + dao).StoreUnsafe(ref db, 3 * n + i);
                }
            }
        }
        for (; i < n; i++)
        {
            float gi = Unsafe.Add(ref a, i), gf = Unsafe.Add(ref a, n + i), gg = Unsafe.Add(ref a, 2 * n + i), go = Unsafe.Add(ref a, 3 * n + i);
            float t = Unsafe.Add(ref tc, i), cPrev = Unsafe.Add(ref cp, i), dH = Unsafe.Add(ref dh, i);
            if (sumHidden) dH += Unsafe.Add(ref dhc, i);
            float dao = dH * t * go * (1f - go);
            float dC = Unsafe.Add(ref dc, i) + dH * go * (1f - t * t);
            if (sumCell) dC += Unsafe.Add(ref dcc, i);
            if (peep) dC += dao * Unsafe.Add(ref p, 2 * n + i);
            float dai = dC * gg * gi * (1f - gi);
            float daf = dC * cPrev * gf * (1f - gf);
            float dag = dC * gi * (1f - gg * gg);
            float dPrev = dC * gf;
            if (peep)
            {
                dPrev += dai * Unsafe.Add(ref p, i) + daf * Unsafe.Add(ref p, n + i);
                Unsafe.Add(ref dp, i) += dai * cPrev;
                Unsafe.Add(ref dp, n + i) += daf * cPrev;
                Unsafe.Add(ref dp, 2 * n + i) += dao * Unsafe.Add(ref c, i);
            }
            Unsafe.Add(ref da, i) = dai;
            Unsafe.Add(ref da, n + i) = daf;
            Unsafe.Add(ref da, 2 * n + i) = dag;
            Unsafe.Add(ref da, 3 * n + i) = dao;
            Unsafe.Add(ref dcp, i) = dPrev;
            if (bias)
            {
                Unsafe.Add(ref db, i) += dai;
                Unsafe.Add(ref db, n + i) += daf;
                Unsafe.Add(ref db, 2 * n + i) += dag;
                Unsafe.Add(ref db, 3 * n + i) += dao;
            }
        }
    }

    /// <summary>
    /// One GRU step for one row: the new hidden state from the input projection u [3H], the hidden
    /// projection v [3H] (both with their biases) and h_prev; saves (r, z, n, v_n) [4H] for the backward pass.
    /// </summary>
    /// <param name="inputGates">u = x·W_ihᵀ + b_ih [3H].</param>
    /// <param name="hiddenGates">v = h_prev·W_hhᵀ + b_hh [3H].</param>
    /// <param name="hiddenPrevious">h_prev [H].</param>
    /// <param name="saved">(r, z, n, v_n) [4H], written.</param>
    /// <param name="hidden">h [H], written.</param>
    public static void GruForward(ReadOnlySpan<float> inputGates, ReadOnlySpan<float> hiddenGates, ReadOnlySpan<float> hiddenPrevious,
        Span<float> saved, Span<float> hidden)
    {
        int h = hidden.Length;
        Check(inputGates.Length == 3 * h && hiddenGates.Length == 3 * h && hiddenPrevious.Length == h && saved.Length == 4 * h, "GruForward");
        ref float u = ref MemoryMarshal.GetReference(inputGates);
        ref float v = ref MemoryMarshal.GetReference(hiddenGates);
        ref float hp = ref MemoryMarshal.GetReference(hiddenPrevious);
        ref float s = ref MemoryMarshal.GetReference(saved);
        ref float y = ref MemoryMarshal.GetReference(hidden);
        nuint n = (nuint)h, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector<float>.Count <= n; i += (nuint)Vector<float>.Count)
            {
                var r = Sigmoid(Vector.LoadUnsafe(ref u, i) + Vector.LoadUnsafe(ref v, i));
                var z = Sigmoid(Vector.LoadUnsafe(ref u, n + i) + Vector.LoadUnsafe(ref v, n + i));
                var vn = Vector.LoadUnsafe(ref v, 2 * n + i);
                var nn = Tanh(Vector.LoadUnsafe(ref u, 2 * n + i) + r * vn);
                var prev = Vector.LoadUnsafe(ref hp, i);
                r.StoreUnsafe(ref s, i);
                z.StoreUnsafe(ref s, n + i);
                nn.StoreUnsafe(ref s, 2 * n + i);
                vn.StoreUnsafe(ref s, 3 * n + i);
                (nn + z * (prev - nn)).StoreUnsafe(ref y, i);
            }
        }
        for (; i < n; i++)
        {
            float r = Sigmoid(Unsafe.Add(ref u, i) + Unsafe.Add(ref v, i));
            float z = Sigmoid(Unsafe.Add(ref u, n + i) + Unsafe.Add(ref v, n + i));
            float vn = Unsafe.Add(ref v, 2 * n + i);
            float nn = Tanh(Unsafe.Add(ref u, 2 * n + i) + r * vn);
            float prev = Unsafe.Add(ref hp, i);
            Unsafe.Add(ref s, i) = r;
            Unsafe.Add(ref s, n + i) = z;
            Unsafe.Add(ref s, 2 * n + i) = nn;
            Unsafe.Add(ref s, 3 * n + i) = vn;
            Unsafe.Add(ref y, i) = nn + z * (prev - nn);
        }
    }

    /// <summary>
    /// The backward pass of <see cref="GruForward"/> for one row: from dL/dh, the gradients of u and v
    /// and the direct part of dL/dh_prev (z⊙dh; the part through v is a GEMM in the caller).
    /// </summary>
    /// <param name="saved">(r, z, n, v_n) [4H] from the forward pass.</param>
    /// <param name="hiddenPrevious">h_prev [H].</param>
    /// <param name="hiddenGradient">dL/dh [H].</param>
    /// <param name="inputGatesGradient">dL/du [3H], written.</param>
    /// <param name="hiddenGatesGradient">dL/dv [3H], written.</param>
    /// <param name="hiddenPreviousGradient">z⊙dh [H], written.</param>
    public static void GruBackward(ReadOnlySpan<float> saved, ReadOnlySpan<float> hiddenPrevious, ReadOnlySpan<float> hiddenGradient,
        Span<float> inputGatesGradient, Span<float> hiddenGatesGradient, Span<float> hiddenPreviousGradient)
    {
        int h = hiddenGradient.Length;
        Check(saved.Length == 4 * h && hiddenPrevious.Length == h && inputGatesGradient.Length == 3 * h
            && hiddenGatesGradient.Length == 3 * h && hiddenPreviousGradient.Length == h, "GruBackward");
        ref float s = ref MemoryMarshal.GetReference(saved);
        ref float hp = ref MemoryMarshal.GetReference(hiddenPrevious);
        ref float dh = ref MemoryMarshal.GetReference(hiddenGradient);
        ref float du = ref MemoryMarshal.GetReference(inputGatesGradient);
        ref float dv = ref MemoryMarshal.GetReference(hiddenGatesGradient);
        ref float dhp = ref MemoryMarshal.GetReference(hiddenPreviousGradient);
        nuint n = (nuint)h, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<float>.One;
            for (; i + (nuint)Vector<float>.Count <= n; i += (nuint)Vector<float>.Count)
            {
                var r = Vector.LoadUnsafe(ref s, i);
                var z = Vector.LoadUnsafe(ref s, n + i);
                var nn = Vector.LoadUnsafe(ref s, 2 * n + i);
                var vn = Vector.LoadUnsafe(ref s, 3 * n + i);
                var dH = Vector.LoadUnsafe(ref dh, i);
                var dan = dH * (one - z) * (one - nn * nn);
                var dar = dan * vn * r * (one - r);
                var daz = dH * (Vector.LoadUnsafe(ref hp, i) - nn) * z * (one - z);
                dar.StoreUnsafe(ref du, i);
                daz.StoreUnsafe(ref du, n + i);
                dan.StoreUnsafe(ref du, 2 * n + i);
                dar.StoreUnsafe(ref dv, i);
                daz.StoreUnsafe(ref dv, n + i);
                (dan * r).StoreUnsafe(ref dv, 2 * n + i);
                (dH * z).StoreUnsafe(ref dhp, i);
            }
        }
        for (; i < n; i++)
        {
            float r = Unsafe.Add(ref s, i), z = Unsafe.Add(ref s, n + i), nn = Unsafe.Add(ref s, 2 * n + i), vn = Unsafe.Add(ref s, 3 * n + i);
            float dH = Unsafe.Add(ref dh, i);
            float dan = dH * (1f - z) * (1f - nn * nn);
            float dar = dan * vn * r * (1f - r);
            float daz = dH * (Unsafe.Add(ref hp, i) - nn) * z * (1f - z);
            Unsafe.Add(ref du, i) = dar;
            Unsafe.Add(ref du, n + i) = daz;
            Unsafe.Add(ref du, 2 * n + i) = dan;
            Unsafe.Add(ref dv, i) = dar;
            Unsafe.Add(ref dv, n + i) = daz;
            Unsafe.Add(ref dv, 2 * n + i) = dan * r;
            Unsafe.Add(ref dhp, i) = dH * z;
        }
    }

    /// <summary>The plain RNN's activation in place: h = tanh(a), or max(0, a) when <paramref name="relu"/>.</summary>
    public static void RnnForward(Span<float> values, bool relu)
    {
        ref float a = ref MemoryMarshal.GetReference(values);
        nuint n = (nuint)values.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector<float>.Count <= n; i += (nuint)Vector<float>.Count)
            {
                var x = Vector.LoadUnsafe(ref a, i);
                (relu ? Vector.Max(x, Vector<float>.Zero) : Tanh(x)).StoreUnsafe(ref a, i);
            }
        }
        for (; i < n; i++)
        {
            float x = Unsafe.Add(ref a, i);
            Unsafe.Add(ref a, i) = relu ? (x > 0f ? x : 0f) : Tanh(x);
        }
    }

    /// <summary>The plain RNN's backward: dL/da from h and dL/dh (da = dh⊙(1 − h²), or dh where h &gt; 0 for ReLU).</summary>
    public static void RnnBackward(ReadOnlySpan<float> hidden, ReadOnlySpan<float> hiddenGradient, Span<float> gradient, bool relu)
    {
        Check(hidden.Length == hiddenGradient.Length && hidden.Length == gradient.Length, "RnnBackward");
        ref float y = ref MemoryMarshal.GetReference(hidden);
        ref float dy = ref MemoryMarshal.GetReference(hiddenGradient);
        ref float d = ref MemoryMarshal.GetReference(gradient);
        nuint n = (nuint)hidden.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector<float>.Count <= n; i += (nuint)Vector<float>.Count)
            {
                var h = Vector.LoadUnsafe(ref y, i);
                var g = Vector.LoadUnsafe(ref dy, i);
                (relu ? Vector.ConditionalSelect(Vector.GreaterThan(h, Vector<float>.Zero), g, Vector<float>.Zero) : g * (Vector<float>.One - h * h)).StoreUnsafe(ref d, i);
            }
        }
        for (; i < n; i++)
        {
            float h = Unsafe.Add(ref y, i), g = Unsafe.Add(ref dy, i);
            Unsafe.Add(ref d, i) = relu ? (h > 0f ? g : 0f) : g * (1f - h * h);
        }
    }

    /// <summary>Zoneout's mix, in place: state = keep⊙previous + (1 − keep)⊙state.</summary>
    /// <param name="keep">k [n]: 1 where a unit keeps its previous value, or the probability p in evaluation.</param>
    /// <param name="previous">s_prev [n].</param>
    /// <param name="state">In, the candidate s'; out, the mixed state.</param>
    public static void ZoneoutForward(ReadOnlySpan<float> keep, ReadOnlySpan<float> previous, Span<float> state)
    {
        Check(keep.Length == state.Length && previous.Length == state.Length, "ZoneoutForward");
        // s' + k⊙(s_prev − s')
        for (int i = 0; i < state.Length; i++) state[i] += keep[i] * (previous[i] - state[i]);
    }

    /// <summary>Zoneout's backward: splits dL/ds into the candidate's share (1 − k)⊙ds, written over <paramref name="gradient"/>, and the previous state's share k⊙ds, written to <paramref name="previousGradient"/>.</summary>
    public static void ZoneoutBackward(ReadOnlySpan<float> keep, Span<float> gradient, Span<float> previousGradient)
    {
        Check(keep.Length == gradient.Length && previousGradient.Length == gradient.Length, "ZoneoutBackward");
        for (int i = 0; i < gradient.Length; i++)
        {
            float g = gradient[i];
            previousGradient[i] = keep[i] * g;
            gradient[i] = g - keep[i] * g;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Sigmoid(Vector<float> x) => Vector<float>.One / (Vector<float>.One + Vector.Exp(-x));

    // tanh x = 1 − 2/(e^{2x} + 1): exact limits (e^{2x} overflowing to ∞ gives 1, underflowing to 0 gives −1).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Tanh(Vector<float> x) => Vector<float>.One - new Vector<float>(2f) / (Vector.Exp(x + x) + Vector<float>.One);

    // The AVX-512 lanes (LSTM only) use their own e^x in single precision: Vector.Exp computes in double
    // precision and was most of the gate kernels' time. Cody-Waite reduction x = n·ln 2 + r, |r| ≤ ln 2 / 2,
    // Cephes' polynomial for e^r (about 1 ulp), and VSCALEFPS for 2^n, which gives ∞ and 0 beyond float's
    // range; x is first clamped to [−150, 150], where e^x is already 0 or ∞ in float (NaN stays NaN).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Exp(Vector512<float> x)
    {
        x = Avx512F.Min(Vector512.Create(150f), Avx512F.Max(Vector512.Create(-150f), x));
        Vector512<float> n = Vector512.Round(x * Vector512.Create(1.44269504088896341f));
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        Vector512<float> p = Vector512.Create(1.9875691500E-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507E-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073E-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894E-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459E-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201E-1f));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        return Avx512F.Scale(p, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sigmoid(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tanh(Vector512<float> x) => Vector512<float>.One - Vector512.Create(2f) / (Exp(x + x) + Vector512<float>.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tanh(float x) => 1f - 2f / (MathF.Exp(x + x) + 1f);

    private static void Check(bool condition, string kernel)
    {
        if (!condition) ThrowLengths(kernel);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowLengths(string kernel) =>
        throw new ArgumentException($"RecurrentCells.{kernel}: the spans' lengths do not fit one hidden size (gates 4H or 3H, states H, peepholes 3H or none).");
}
