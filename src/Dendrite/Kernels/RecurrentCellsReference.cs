namespace Dendrite.Kernels;

/// <summary>
/// The plain twin of <see cref="RecurrentCells"/>: the same gate formulas written one value at a time
/// with <see cref="MathF.Tanh"/>, the specification the tests compare the fused kernels with.
/// </summary>
public static class RecurrentCellsReference
{
    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>As <see cref="RecurrentCells.LstmForward"/>.</summary>
    public static void LstmForward(Span<float> gates, ReadOnlySpan<float> bias, ReadOnlySpan<float> cellPrevious, ReadOnlySpan<float> peepholes,
        Span<float> cell, Span<float> tanhCell, Span<float> hidden)
    {
        int n = cell.Length;
        bool peep = !peepholes.IsEmpty;
        for (int j = 0; j < bias.Length; j++) gates[j] += bias[j];
        for (int j = 0; j < n; j++)
        {
            float i = Sigmoid(gates[j] + (peep ? peepholes[j] * cellPrevious[j] : 0f));
            float f = Sigmoid(gates[n + j] + (peep ? peepholes[n + j] * cellPrevious[j] : 0f));
            float g = MathF.Tanh(gates[2 * n + j]);
            float c = f * cellPrevious[j] + i * g;
            float o = Sigmoid(gates[3 * n + j] + (peep ? peepholes[2 * n + j] * c : 0f));
            gates[j] = i;
            gates[n + j] = f;
            gates[2 * n + j] = g;
            gates[3 * n + j] = o;
            cell[j] = c;
            tanhCell[j] = MathF.Tanh(c);
            hidden[j] = o * tanhCell[j];
        }
    }

    /// <summary>As <see cref="RecurrentCells.LstmBackward"/>.</summary>
    public static void LstmBackward(ReadOnlySpan<float> gates, ReadOnlySpan<float> cellPrevious, ReadOnlySpan<float> cell,
        ReadOnlySpan<float> tanhCell, ReadOnlySpan<float> peepholes, ReadOnlySpan<float> hiddenGradient, ReadOnlySpan<float> hiddenGradientCarry,
        ReadOnlySpan<float> cellGradient, ReadOnlySpan<float> cellGradientCarry,
        Span<float> gatesGradient, Span<float> cellPreviousGradient, Span<float> peepholeGradient, Span<float> biasGradient)
    {
        int n = cell.Length;
        bool peep = !peepholes.IsEmpty;
        for (int j = 0; j < n; j++)
        {
            float i = gates[j], f = gates[n + j], g = gates[2 * n + j], o = gates[3 * n + j];
            float t = tanhCell[j], cp = cellPrevious[j], dh = hiddenGradient[j] + (hiddenGradientCarry.IsEmpty ? 0f : hiddenGradientCarry[j]);
            float dOutputGate = dh * t;
            float dao = dOutputGate * o * (1f - o);
            float dc = cellGradient[j] + (cellGradientCarry.IsEmpty ? 0f : cellGradientCarry[j]) + dh * o * (1f - t * t) + (peep ? dao * peepholes[2 * n + j] : 0f);
            float dai = dc * g * i * (1f - i);
            float daf = dc * cp * f * (1f - f);
            float dag = dc * i * (1f - g * g);
            gatesGradient[j] = dai;
            gatesGradient[n + j] = daf;
            gatesGradient[2 * n + j] = dag;
            gatesGradient[3 * n + j] = dao;
            if (!biasGradient.IsEmpty)
            {
                biasGradient[j] += dai;
                biasGradient[n + j] += daf;
                biasGradient[2 * n + j] += dag;
                biasGradient[3 * n + j] += dao;
            }
            cellPreviousGradient[j] = dc * f + (peep ? dai * peepholes[j] + daf * peepholes[n + j] : 0f);
            if (peep)
            {
                peepholeGradient[j] += dai * cp;
                peepholeGradient[n + j] += daf * cp;
                peepholeGradient[2 * n + j] += dao * cell[j];
            }
        }
    }

    /// <summary>As <see cref="RecurrentCells.GruForward"/>.</summary>
    public static void GruForward(ReadOnlySpan<float> inputGates, ReadOnlySpan<float> hiddenGates, ReadOnlySpan<float> hiddenPrevious,
        Span<float> saved, Span<float> hidden)
    {
        int n = hidden.Length;
        for (int j = 0; j < n; j++)
        {
            float r = Sigmoid(inputGates[j] + hiddenGates[j]);
            float z = Sigmoid(inputGates[n + j] + hiddenGates[n + j]);
            float candidate = MathF.Tanh(inputGates[2 * n + j] + r * hiddenGates[2 * n + j]);
            saved[j] = r;
            saved[n + j] = z;
            saved[2 * n + j] = candidate;
            saved[3 * n + j] = hiddenGates[2 * n + j];
            hidden[j] = (1f - z) * candidate + z * hiddenPrevious[j];
        }
    }

    /// <summary>As <see cref="RecurrentCells.GruBackward"/>.</summary>
    public static void GruBackward(ReadOnlySpan<float> saved, ReadOnlySpan<float> hiddenPrevious, ReadOnlySpan<float> hiddenGradient,
        Span<float> inputGatesGradient, Span<float> hiddenGatesGradient, Span<float> hiddenPreviousGradient)
    {
        int n = hiddenGradient.Length;
        for (int j = 0; j < n; j++)
        {
            float r = saved[j], z = saved[n + j], candidate = saved[2 * n + j], vn = saved[3 * n + j], dh = hiddenGradient[j];
            float dCandidate = dh * (1f - z);
            float dz = dh * (hiddenPrevious[j] - candidate);
            float dan = dCandidate * (1f - candidate * candidate);
            float dr = dan * vn;
            inputGatesGradient[j] = dr * r * (1f - r);
            inputGatesGradient[n + j] = dz * z * (1f - z);
            inputGatesGradient[2 * n + j] = dan;
            hiddenGatesGradient[j] = inputGatesGradient[j];
            hiddenGatesGradient[n + j] = inputGatesGradient[n + j];
            hiddenGatesGradient[2 * n + j] = dan * r;
            hiddenPreviousGradient[j] = dh * z;
        }
    }

    /// <summary>As <see cref="RecurrentCells.RnnForward"/>.</summary>
    public static void RnnForward(Span<float> values, bool relu)
    {
        for (int j = 0; j < values.Length; j++) values[j] = relu ? MathF.Max(values[j], 0f) : MathF.Tanh(values[j]);
    }

    /// <summary>As <see cref="RecurrentCells.RnnBackward"/>.</summary>
    public static void RnnBackward(ReadOnlySpan<float> hidden, ReadOnlySpan<float> hiddenGradient, Span<float> gradient, bool relu)
    {
        for (int j = 0; j < hidden.Length; j++)
            gradient[j] = relu ? (hidden[j] > 0f ? hiddenGradient[j] : 0f) : hiddenGradient[j] * (1f - hidden[j] * hidden[j]);
    }
}
