using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.Autograd;
using Dendrite.NN.Initializers;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>
/// What the single-step cells share: torch's parameter names (<c>weight_ih</c> [G·hidden, in],
/// <c>weight_hh</c> [G·hidden, hidden], <c>bias_ih</c>, <c>bias_hh</c> [G·hidden]), uniform ±1/√hidden
/// initialisation, and the input check. A cell computes one step from primitive ops (no fused kernel),
/// written as the equations read, so the cells also serve as an independent check of the fused
/// sequence layers; loop over time yourself to build a custom recurrence.
/// </summary>
public abstract class RecurrentCell : Module
{
    /// <summary>Creates the weights and biases.</summary>
    private protected RecurrentCell(int gateCount, int inputSize, int hiddenSize, bool bias, RandomGenerator? generator)
    {
        if (inputSize <= 0 || hiddenSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(inputSize), $"{GetType().Name} needs positive sizes; got {inputSize}->{hiddenSize}.");
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        float bound = 1f / MathF.Sqrt(hiddenSize);
        Initializer init = Initializer.Uniform(-bound, bound);
        int rows = gateCount * hiddenSize;
        WeightIh = AddParameter("weight_ih", [rows, inputSize], init, inputSize, rows, generator);
        WeightHh = AddParameter("weight_hh", [rows, hiddenSize], init, hiddenSize, rows, generator);
        if (bias)
        {
            BiasIh = AddParameter("bias_ih", [rows], init, inputSize, rows, generator);
            BiasHh = AddParameter("bias_hh", [rows], init, hiddenSize, rows, generator);
        }
    }

    /// <summary>Features of the input.</summary>
    public int InputSize { get; }

    /// <summary>Units of the state.</summary>
    public int HiddenSize { get; }

    /// <summary>W_ih [G·hidden, in].</summary>
    public Parameter WeightIh { get; }

    /// <summary>W_hh [G·hidden, hidden].</summary>
    public Parameter WeightHh { get; }

    /// <summary>b_ih [G·hidden], or null.</summary>
    public Parameter? BiasIh { get; }

    /// <summary>b_hh [G·hidden], or null.</summary>
    public Parameter? BiasHh { get; }

    /// <inheritdoc/>
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"{GetType().Name}({InputSize}->{HiddenSize})");

    /// <summary>Throws unless <paramref name="input"/> is [batch, inputSize] and <paramref name="state"/> (when given) [batch, hidden].</summary>
    private protected void Check(Tensor input, Tensor? state, string stateName = "hidden state")
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 2 || input.Shape[1] != InputSize)
            throw new ShapeMismatchException($"{Describe()} got input {input.Shape}; expected [batch, {InputSize}]. A cell takes one step; use the sequence layer for [batch, time, features].");
        if (state is not null && state.Shape != new Shape(input.Shape[0], HiddenSize))
            throw new ShapeMismatchException($"{Describe()} got a {stateName} {state.Shape}; expected [{input.Shape[0]}, {HiddenSize}] for input {input.Shape}.");
    }

    /// <summary>x·W_ihᵀ + b_ih and h·W_hhᵀ + b_hh, each [batch, G·hidden].</summary>
    private protected (Tensor Input, Tensor Hidden) Projections(Tensor input, Tensor hidden) =>
        (input.Linear(WeightIh, BiasIh), hidden.Linear(WeightHh, BiasHh));

    /// <summary>Zeros [batch, hidden].</summary>
    private protected Tensor ZeroState(Tensor input) => Tensor.Zeros([input.Shape[0], HiddenSize]);

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["inputSize"] = InputSize;
        config["hiddenSize"] = HiddenSize;
        config["bias"] = BiasIh is not null;
    }
}

/// <summary>One step of a plain RNN, as <c>torch.nn.RNNCell</c>: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (or ReLU).</summary>
public sealed class RnnCell : RecurrentCell
{
    /// <summary>Creates the cell.</summary>
    /// <param name="inputSize">Features of the input.</param>
    /// <param name="hiddenSize">Units of the state.</param>
    /// <param name="bias">Whether to have bias vectors.</param>
    /// <param name="nonlinearity"><c>"tanh"</c> or <c>"relu"</c>.</param>
    /// <param name="generator">Random source for initialisation.</param>
    public RnnCell(int inputSize, int hiddenSize, bool bias = true, string nonlinearity = "tanh", RandomGenerator? generator = null)
        : base(1, inputSize, hiddenSize, bias, generator)
    {
        if (nonlinearity is not ("tanh" or "relu"))
            throw new ArgumentException($"RnnCell: the nonlinearity must be \"tanh\" or \"relu\"; got \"{nonlinearity}\".", nameof(nonlinearity));
        Nonlinearity = nonlinearity;
    }

    /// <summary><c>"tanh"</c> or <c>"relu"</c>.</summary>
    public string Nonlinearity { get; }

    /// <summary>One step from a zero state: [batch, in] → [batch, hidden].</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>One step: <paramref name="input"/> [batch, in] and <paramref name="hidden"/> [batch, hidden] (zeros when null) → the new state [batch, hidden].</summary>
    public Tensor Forward(Tensor input, Tensor? hidden)
    {
        Check(input, hidden);
        var (x, h) = Projections(input, hidden ?? ZeroState(input));
        Tensor a = x + h;
        return Nonlinearity == "relu" ? a.Relu() : a.Tanh();
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        base.WriteConfig(config);
        config["nonlinearity"] = Nonlinearity;
    }
}

/// <summary>
/// One LSTM step, as <c>torch.nn.LSTMCell</c> (gates i, f, g, o), with optional peepholes
/// (<c>peephole</c> [3, hidden], rows p_i, p_f, p_o):
/// i = σ(a_i + p_i⊙c), f = σ(a_f + p_f⊙c), g = tanh(a_g), c' = f⊙c + i⊙g, o = σ(a_o + p_o⊙c'), h' = o⊙tanh(c').
/// </summary>
public sealed class LstmCell : RecurrentCell
{
    /// <summary>Creates the cell.</summary>
    /// <param name="inputSize">Features of the input.</param>
    /// <param name="hiddenSize">Units of the state.</param>
    /// <param name="bias">Whether to have bias vectors.</param>
    /// <param name="peepholes">Let the gates see the cell state.</param>
    /// <param name="forgetGateBias">Initial forget-gate bias in <c>bias_ih</c> (null keeps the uniform initialisation).</param>
    /// <param name="generator">Random source for initialisation.</param>
    public LstmCell(int inputSize, int hiddenSize, bool bias = true, bool peepholes = false, float? forgetGateBias = 1f, RandomGenerator? generator = null)
        : base(4, inputSize, hiddenSize, bias, generator)
    {
        if (peepholes)
        {
            float bound = 1f / MathF.Sqrt(hiddenSize);
            Peephole = AddParameter("peephole", [3, hiddenSize], Initializer.Uniform(-bound, bound), hiddenSize, 3 * hiddenSize, generator);
        }
        if (BiasIh is not null && forgetGateBias is float value)
        {
            BiasIh.Data.Slice(hiddenSize, hiddenSize).Fill(value);
            BiasHh!.Data.Slice(hiddenSize, hiddenSize).Clear();
        }
    }

    /// <summary>The peephole weights [3, hidden], or null.</summary>
    public Parameter? Peephole { get; }

    /// <inheritdoc/>
    public override string Describe() => base.Describe()[..^1] + (Peephole is null ? ")" : ", peepholes)");

    /// <summary>One step from a zero state; returns the new hidden state [batch, hidden].</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null).Hidden;

    /// <summary>One step: <paramref name="input"/> [batch, in] and the state (h, c), each [batch, hidden] (zeros when null) → the new (h, c).</summary>
    public (Tensor Hidden, Tensor Cell) Forward(Tensor input, (Tensor Hidden, Tensor Cell)? state)
    {
        Check(input, state?.Hidden);
        Check(input, state?.Cell, "cell state");
        Tensor h = state?.Hidden ?? ZeroState(input), c = state?.Cell ?? ZeroState(input);
        var (x, r) = Projections(input, h);
        Tensor a = x + r;
        int n = HiddenSize;
        Tensor ai = a.Narrow(1, 0, n), af = a.Narrow(1, n, n), ag = a.Narrow(1, 2 * n, n), ao = a.Narrow(1, 3 * n, n);
        if (Peephole is not null)
        {
            ai = ai + Peephole.Select(0, 0) * c;
            af = af + Peephole.Select(0, 1) * c;
        }
        Tensor i = ai.Sigmoid(), f = af.Sigmoid(), g = ag.Tanh();
        Tensor cell = f * c + i * g;
        if (Peephole is not null) ao = ao + Peephole.Select(0, 2) * cell;
        Tensor o = ao.Sigmoid();
        return (o * cell.Tanh(), cell);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        base.WriteConfig(config);
        config["peepholes"] = Peephole is not null;
    }
}

/// <summary>
/// One GRU step, as <c>torch.nn.GRUCell</c> (gates r, z, n): r = σ(u_r + v_r), z = σ(u_z + v_z),
/// n = tanh(u_n + r⊙v_n), h' = (1 − z)⊙n + z⊙h, with u = x·W_ihᵀ + b_ih and v = h·W_hhᵀ + b_hh.
/// </summary>
public sealed class GruCell : RecurrentCell
{
    /// <summary>Creates the cell.</summary>
    /// <param name="inputSize">Features of the input.</param>
    /// <param name="hiddenSize">Units of the state.</param>
    /// <param name="bias">Whether to have bias vectors.</param>
    /// <param name="generator">Random source for initialisation.</param>
    public GruCell(int inputSize, int hiddenSize, bool bias = true, RandomGenerator? generator = null)
        : base(3, inputSize, hiddenSize, bias, generator)
    {
    }

    /// <summary>One step from a zero state: [batch, in] → [batch, hidden].</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>One step: <paramref name="input"/> [batch, in] and <paramref name="hidden"/> [batch, hidden] (zeros when null) → the new state [batch, hidden].</summary>
    public Tensor Forward(Tensor input, Tensor? hidden)
    {
        Check(input, hidden);
        Tensor h = hidden ?? ZeroState(input);
        var (u, v) = Projections(input, h);
        int n = HiddenSize;
        Tensor r = (u.Narrow(1, 0, n) + v.Narrow(1, 0, n)).Sigmoid();
        Tensor z = (u.Narrow(1, n, n) + v.Narrow(1, n, n)).Sigmoid();
        Tensor candidate = (u.Narrow(1, 2 * n, n) + r * v.Narrow(1, 2 * n, n)).Tanh();
        return candidate + z * (h - candidate);
    }
}
