using System.Globalization;
using System.Text.Json.Nodes;
using Dendrite.Autograd;
using Dendrite.NN.Initializers;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.NN.Layers;

/// <summary>
/// The state a recurrent layer carries from one step (or one chunk of a sequence) to the next, in
/// torch's layout: [layers · directions, batch, hidden], ordered layer 0 forward, layer 0 reverse,
/// layer 1 forward, ...
/// </summary>
/// <param name="Hidden">h, [layers · directions, batch, hidden].</param>
/// <param name="Cell">c for an LSTM (same shape), null for an RNN or GRU.</param>
public sealed record RecurrentState(Tensor Hidden, Tensor? Cell = null)
{
    /// <summary>
    /// The same values outside the graph, for truncated backpropagation through time: carry the
    /// state into the next chunk, but stop gradients at the chunk boundary. Call it before the chunk's
    /// <c>Backward()</c>; the storage then stays alive past it.
    /// </summary>
    public RecurrentState Detach() => new(Hidden.Detach(), Cell?.Detach());
}

/// <summary>What a recurrent layer returns from <see cref="RecurrentLayer.Forward(Tensor, RecurrentState?)"/>.</summary>
/// <param name="Output">
/// All steps [batch, time, directions · hidden] (<see cref="RecurrentLayer.ReturnSequences"/>), or only the
/// final state of the top layer [batch, directions · hidden] (the forward direction's after the last
/// step, the reverse direction's after the first).
/// </param>
/// <param name="State">The final state of every layer and direction, to pass to the next chunk.</param>
public sealed record RecurrentOutput(Tensor Output, RecurrentState State);

/// <summary>Token indices [batch · time] and the embedding table [V, in] they index: the input of a recurrent layer that embeds for itself.</summary>
internal sealed record TokenInput(Parameter Table, int[] Tokens, int Batch);

/// <summary>
/// What the recurrent layers (<see cref="Rnn"/>, <see cref="Lstm"/>, <see cref="Gru"/>) share: stacked
/// layers, two directions, torch's parameter names and layouts, dropout between layers, zoneout, and
/// the initial state in and final state out.
/// </summary>
/// <remarks>
/// Input [batch, time, inputSize] (batch first). Parameters per layer k and direction, as torch names
/// them (suffix <c>_reverse</c> for the backward direction): <c>weight_ih_l{k}</c> [G·hidden, in],
/// <c>weight_hh_l{k}</c> [G·hidden, hidden], <c>bias_ih_l{k}</c> and <c>bias_hh_l{k}</c> [G·hidden]
/// (G gate blocks: 1 for RNN, 4 for LSTM, 3 for GRU); layer k &gt; 0 reads the previous layer's output
/// (2·hidden wide when bidirectional). Every weight starts uniform in ±1/√hidden as in torch.
/// Each direction of each layer is one fused sequence op (see <c>Ops/Neural/Recurrent.cs</c>): the input
/// projection of the whole sequence is one GEMM, the recurrence one GEMM per step.
/// </remarks>
public abstract class RecurrentLayer : Module
{
    private readonly Parameter[] _inputWeights, _hiddenWeights;
    private readonly Parameter?[] _inputBiases, _hiddenBiases;
    private readonly RandomGenerator? _generator;

    /// <summary>Creates the parameters of every layer and direction.</summary>
    /// <param name="gateCount">G, the gate blocks stacked in each weight.</param>
    /// <param name="inputSize">Features per step of the input.</param>
    /// <param name="hiddenSize">Units per layer and direction.</param>
    /// <param name="numLayers">Stacked layers.</param>
    /// <param name="bidirectional">Run a second direction from the last step to the first and concatenate.</param>
    /// <param name="bias">Whether to have the two bias vectors.</param>
    /// <param name="dropout">Dropout on each layer's output except the last, in training.</param>
    /// <param name="zoneout">Zoneout probability for the recurrent state (each unit keeps its previous value with this probability in training; evaluation mixes by the expectation).</param>
    /// <param name="returnSequences">Whether <see cref="Module.Forward(Tensor)"/> returns every step or only the final state.</param>
    /// <param name="generator">Random source for initialisation, dropout and zoneout (the thread's default when null).</param>
    private protected RecurrentLayer(int gateCount, int inputSize, int hiddenSize, int numLayers, bool bidirectional, bool bias,
        float dropout, float zoneout, bool returnSequences, RandomGenerator? generator)
    {
        string layer = GetType().Name;
        if (inputSize <= 0 || hiddenSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(inputSize), $"{layer} needs positive sizes; got {inputSize}->{hiddenSize}.");
        if (numLayers <= 0)
            throw new ArgumentOutOfRangeException(nameof(numLayers), $"{layer} needs at least one layer; got {numLayers}.");
        if (!(dropout >= 0f && dropout < 1f))
            throw new ArgumentOutOfRangeException(nameof(dropout), $"{layer}: the dropout rate must be in [0, 1); got {dropout}.");
        if (!(zoneout >= 0f && zoneout < 1f))
            throw new ArgumentOutOfRangeException(nameof(zoneout), $"{layer}: the zoneout probability must be in [0, 1); got {zoneout}.");
        GateCount = gateCount;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        Bidirectional = bidirectional;
        Dropout = dropout;
        Zoneout = zoneout;
        ReturnSequences = returnSequences;
        _generator = generator;

        int directions = Directions, count = numLayers * directions;
        _inputWeights = new Parameter[count];
        _hiddenWeights = new Parameter[count];
        _inputBiases = new Parameter?[count];
        _hiddenBiases = new Parameter?[count];
        float bound = 1f / MathF.Sqrt(hiddenSize);
        Initializer init = Initializer.Uniform(-bound, bound);
        int rows = gateCount * hiddenSize;
        for (int k = 0; k < numLayers; k++)
        {
            int inFeatures = k == 0 ? inputSize : directions * hiddenSize;
            for (int d = 0; d < directions; d++)
            {
                string suffix = string.Create(CultureInfo.InvariantCulture, $"_l{k}{(d == 1 ? "_reverse" : "")}");
                int index = k * directions + d;
                _inputWeights[index] = AddParameter("weight_ih" + suffix, [rows, inFeatures], init, inFeatures, rows, generator);
                _hiddenWeights[index] = AddParameter("weight_hh" + suffix, [rows, hiddenSize], init, hiddenSize, rows, generator);
                if (bias)
                {
                    _inputBiases[index] = AddParameter("bias_ih" + suffix, [rows], init, inFeatures, rows, generator);
                    _hiddenBiases[index] = AddParameter("bias_hh" + suffix, [rows], init, hiddenSize, rows, generator);
                }
            }
        }
    }

    /// <summary>Gate blocks stacked in each weight (1 for RNN, 4 for LSTM, 3 for GRU).</summary>
    public int GateCount { get; }

    /// <summary>Features per step of the input.</summary>
    public int InputSize { get; }

    /// <summary>Units per layer and direction.</summary>
    public int HiddenSize { get; }

    /// <summary>Stacked layers.</summary>
    public int NumLayers { get; }

    /// <summary>Whether a second direction reads the sequence backwards.</summary>
    public bool Bidirectional { get; }

    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Dropout rate on the output of every layer but the last (training only).</summary>
    public float Dropout { get; }

    /// <summary>Zoneout probability for the recurrent state (training; evaluation mixes by the expectation).</summary>
    public float Zoneout { get; }

    /// <summary>Whether <see cref="Module.Forward(Tensor)"/> returns every step [batch, time, D·hidden] or only the final state [batch, D·hidden].</summary>
    public bool ReturnSequences { get; }

    /// <summary>Whether there are bias vectors.</summary>
    public bool HasBias => _inputBiases[0] is not null;

    /// <summary>Width of each step of the output: directions · hidden.</summary>
    public int OutputSize => Directions * HiddenSize;

    /// <summary>W_ih of layer <paramref name="layer"/> and direction <paramref name="direction"/> (0 forward, 1 reverse).</summary>
    public Parameter InputWeight(int layer, int direction = 0) => _inputWeights[layer * Directions + direction];

    /// <summary>W_hh of a layer and direction.</summary>
    public Parameter HiddenWeight(int layer, int direction = 0) => _hiddenWeights[layer * Directions + direction];

    /// <summary>b_ih of a layer and direction (null without biases).</summary>
    public Parameter? InputBias(int layer, int direction = 0) => _inputBiases[layer * Directions + direction];

    /// <summary>b_hh of a layer and direction (null without biases).</summary>
    public Parameter? HiddenBias(int layer, int direction = 0) => _hiddenBiases[layer * Directions + direction];

    /// <summary>Whether the state has a cell tensor (LSTM).</summary>
    private protected virtual bool HasCell => false;

    /// <summary>The short name used in descriptions and errors (<c>Lstm</c>).</summary>
    private protected string Kind => GetType().Name;

    /// <summary>Extra words for <see cref="Describe"/> (e.g. ", peepholes").</summary>
    private protected virtual string DescribeExtras() => "";

    /// <inheritdoc/>
    public override string Describe()
    {
        string layers = NumLayers > 1 ? string.Create(CultureInfo.InvariantCulture, $", {NumLayers} layers") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{Kind}({InputSize}->{HiddenSize}{layers}{(Bidirectional ? ", bidirectional" : "")}{DescribeExtras()})");
    }

    /// <summary>Every step's output [batch, time, D·hidden], or the final state [batch, D·hidden] when <see cref="ReturnSequences"/> is false; starts from a zero state.</summary>
    /// <param name="input">[batch, time, inputSize].</param>
    public override Tensor Forward(Tensor input) => Forward(input, null).Output;

    /// <summary>
    /// Runs the layer over <paramref name="input"/> [batch, time, inputSize] from
    /// <paramref name="state"/> (zeros when null) and returns the output and the final state of every
    /// layer and direction. For truncated backpropagation through time pass the previous chunk's
    /// <c>State.Detach()</c>.
    /// </summary>
    public RecurrentOutput Forward(Tensor input, RecurrentState? state)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 3 || input.Shape[2] != InputSize)
            throw new ShapeMismatchException(
                $"{Describe()} got input {input.Shape}; expected [batch, time, {InputSize}]. Recurrent layers take batch-first sequences; add a time axis of 1 for one step.");
        return ForwardCore(input, null, input.Shape[0], input.Shape[1], state);
    }

    /// <summary>
    /// Runs the layers over <paramref name="input"/> [B, T, in], or, when <paramref name="tokens"/> is
    /// given, over the rows of an embedding table that the tokens index (layer 0 reads them through
    /// <see cref="RunTokens"/>).
    /// </summary>
    private protected RecurrentOutput ForwardCore(Tensor? input, TokenInput? tokens, int batch, int steps, RecurrentState? state)
    {
        if (steps == 0) throw new ShapeMismatchException($"{Describe()} got a sequence with no time steps (batch {batch}).");
        CheckState(state, batch);

        int directions = Directions;
        var hidden = new Tensor[NumLayers * directions];
        var cells = HasCell ? new Tensor[NumLayers * directions] : null;
        RandomGenerator generator = _generator ?? RandomGenerator.Default;
        Tensor? layerInput = input;
        for (int k = 0; k < NumLayers; k++)
        {
            Tensor? forward = null, backward = null;
            for (int d = 0; d < directions; d++)
            {
                int index = k * directions + d;
                Tensor h0 = state is null ? Tensor.Zeros([batch, HiddenSize]) : state.Hidden.Select(0, index);
                Tensor? c0 = !HasCell ? null : state?.Cell is null ? Tensor.Zeros([batch, HiddenSize]) : state.Cell.Select(0, index);
                Tensor? keep = ZoneoutKeep(batch, steps, generator);
                var (sequence, cell) = k == 0 && tokens is not null ? RunTokens(d, tokens, h0, c0, keep) : RunDirection(k, d, layerInput!, h0, c0, keep);
                int last = d == 1 ? 0 : steps - 1;
                hidden[index] = sequence.Select(1, last);
                if (cells is not null) cells[index] = cell!.Select(1, last);
                if (d == 0) forward = sequence; else backward = sequence;
            }
            Tensor layerOutput = backward is null ? forward! : TensorOps.Concat([forward!, backward], axis: 2);
            if (k < NumLayers - 1 && Dropout > 0f && IsTraining)
                layerOutput = layerOutput * (Tensor.Bernoulli(layerOutput.Shape, 1f - Dropout, generator) * (1f / (1f - Dropout)));
            layerInput = layerOutput;
        }

        var finalState = new RecurrentState(StackStates(hidden), cells is null ? null : StackStates(cells));
        Tensor output;
        if (ReturnSequences) output = layerInput!;
        else
        {
            int top = (NumLayers - 1) * directions;
            output = directions == 1 ? hidden[top] : TensorOps.Concat([hidden[top], hidden[top + 1]], axis: 1);
        }
        return new RecurrentOutput(output, finalState);
    }

    /// <summary>
    /// Runs one direction of one layer: the states of every step [batch, time, hidden] and, for an
    /// LSTM, the cells [batch, time, hidden] (views of the fused op's output).
    /// </summary>
    /// <param name="layer">k.</param>
    /// <param name="direction">0 forward, 1 reverse.</param>
    /// <param name="input">The layer's input [batch, time, in].</param>
    /// <param name="initialHidden">h_0 [batch, hidden].</param>
    /// <param name="initialCell">c_0 [batch, hidden] for an LSTM, else null.</param>
    /// <param name="zoneoutKeep">Zoneout mixing weights ([batch, time, hidden], or [2, batch, time, hidden] for h and c), or null.</param>
    private protected abstract (Tensor Sequence, Tensor? Cells) RunDirection(int layer, int direction, Tensor input, Tensor initialHidden, Tensor? initialCell, Tensor? zoneoutKeep);

    /// <summary>Layer 0 of one direction on embedded tokens; only layers that override it accept <see cref="TokenInput"/>.</summary>
    private protected virtual (Tensor Sequence, Tensor? Cells) RunTokens(int direction, TokenInput tokens, Tensor initialHidden, Tensor? initialCell, Tensor? zoneoutKeep) =>
        throw new NotSupportedException($"{Describe()} does not read embedded tokens directly.");

    /// <summary>The sum of the two biases of a layer and direction (null without biases): the sequence ops take one bias for the input projection.</summary>
    private protected Tensor? CombinedBias(int layer, int direction)
    {
        Parameter? input = InputBias(layer, direction), hidden = HiddenBias(layer, direction);
        return input is null ? null : input + hidden!;
    }

    private Tensor? ZoneoutKeep(int batch, int steps, RandomGenerator generator)
    {
        if (Zoneout == 0f) return null;
        Shape shape = HasCell ? new Shape(2, batch, steps, HiddenSize) : new Shape(batch, steps, HiddenSize);
        return IsTraining ? Tensor.Bernoulli(shape, Zoneout, generator) : Tensor.Full(shape, Zoneout);
    }

    private static Tensor StackStates(Tensor[] states) => states.Length == 1 ? states[0].Unsqueeze(0) : TensorOps.Stack(states, axis: 0);

    private void CheckState(RecurrentState? state, int batch)
    {
        if (state is null) return;
        var expected = new Shape(NumLayers * Directions, batch, HiddenSize);
        if (state.Hidden.Shape != expected)
            throw new ShapeMismatchException($"{Describe()} got an initial hidden state {state.Hidden.Shape}; expected [layers · directions, batch, hidden] = {expected}.");
        if (HasCell && state.Cell is not null && state.Cell.Shape != expected)
            throw new ShapeMismatchException($"{Describe()} got an initial cell state {state.Cell.Shape}; expected [layers · directions, batch, hidden] = {expected}.");
        if (!HasCell && state.Cell is not null)
            throw new ArgumentException($"{Describe()} has no cell state, but the initial state has one ({state.Cell.Shape}).", nameof(state));
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        config["inputSize"] = InputSize;
        config["hiddenSize"] = HiddenSize;
        config["numLayers"] = NumLayers;
        config["bidirectional"] = Bidirectional;
        config["bias"] = HasBias;
        config["dropout"] = Dropout;
        config["zoneout"] = Zoneout;
        config["returnSequences"] = ReturnSequences;
    }
}

/// <summary>
/// A plain (Elman) recurrent layer, as <c>torch.nn.RNN</c>: h_t = tanh(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh)
/// (or ReLU). Its gradients through many steps vanish or explode, which is why <see cref="Lstm"/> and
/// <see cref="Gru"/> exist; see <see cref="RecurrentLayer"/> for shapes, options and parameter names.
/// </summary>
public sealed class Rnn : RecurrentLayer
{
    /// <summary>Creates the layer (see <see cref="RecurrentLayer"/> for the options).</summary>
    /// <param name="inputSize">Features per step of the input.</param>
    /// <param name="hiddenSize">Units per layer and direction.</param>
    /// <param name="numLayers">Stacked layers.</param>
    /// <param name="nonlinearity"><c>"tanh"</c> (default) or <c>"relu"</c>.</param>
    /// <param name="bidirectional">Add a reverse direction.</param>
    /// <param name="bias">Whether to have bias vectors.</param>
    /// <param name="dropout">Dropout between layers (training).</param>
    /// <param name="zoneout">Zoneout probability for the hidden state.</param>
    /// <param name="returnSequences">Return every step (true) or only the final state.</param>
    /// <param name="generator">Random source for initialisation, dropout and zoneout.</param>
    public Rnn(int inputSize, int hiddenSize, int numLayers = 1, string nonlinearity = "tanh", bool bidirectional = false, bool bias = true,
        float dropout = 0f, float zoneout = 0f, bool returnSequences = true, RandomGenerator? generator = null)
        : base(1, inputSize, hiddenSize, numLayers, bidirectional, bias, dropout, zoneout, returnSequences, generator)
    {
        if (nonlinearity is not ("tanh" or "relu"))
            throw new ArgumentException($"Rnn: the nonlinearity must be \"tanh\" or \"relu\"; got \"{nonlinearity}\".", nameof(nonlinearity));
        Nonlinearity = nonlinearity;
    }

    /// <summary><c>"tanh"</c> or <c>"relu"</c>.</summary>
    public string Nonlinearity { get; }

    private protected override string DescribeExtras() => Nonlinearity == "relu" ? ", relu" : "";

    private protected override (Tensor Sequence, Tensor? Cells) RunDirection(int layer, int direction, Tensor input, Tensor initialHidden, Tensor? initialCell, Tensor? zoneoutKeep)
    {
        Tensor projection = input.Linear(InputWeight(layer, direction), CombinedBias(layer, direction));
        return (projection.RnnSequence(HiddenWeight(layer, direction), initialHidden, zoneoutKeep, reverse: direction == 1, relu: Nonlinearity == "relu"), null);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        base.WriteConfig(config);
        config["nonlinearity"] = Nonlinearity;
    }
}

/// <summary>
/// Long short-term memory (Hochreiter and Schmidhuber 1997, with the forget gate of Gers et al. 2000),
/// as <c>torch.nn.LSTM</c>, with optional peephole connections (Gers, Schraudolph and Schmidhuber 2002):
/// gates stacked i, f, g, o; c_t = f⊙c_{t−1} + i⊙g, h_t = o⊙tanh(c_t). The cell's additive update lets
/// gradients cross many steps without vanishing. See <see cref="RecurrentLayer"/> for shapes, options
/// and parameter names; peepholes add <c>peephole_l{k}</c> [3, hidden] (rows for i, f, o).
/// </summary>
/// <remarks>
/// The forget gate's bias starts at <c>forgetGateBias</c> (1 by default, Jozefowicz, Zaremba and
/// Sutskever 2015: the cell remembers by default at the start of training), put in <c>bias_ih</c> with the
/// matching rows of <c>bias_hh</c> zero. With peepholes i and f see c_{t−1} and o sees c_t.
/// </remarks>
public sealed class Lstm : RecurrentLayer
{
    private readonly List<Parameter> _peepholes = [];

    /// <summary>Creates the layer (see <see cref="RecurrentLayer"/> for the options).</summary>
    /// <param name="inputSize">Features per step of the input.</param>
    /// <param name="hiddenSize">Units per layer and direction.</param>
    /// <param name="numLayers">Stacked layers.</param>
    /// <param name="bidirectional">Add a reverse direction.</param>
    /// <param name="bias">Whether to have bias vectors.</param>
    /// <param name="dropout">Dropout between layers (training).</param>
    /// <param name="zoneout">Zoneout probability for the hidden and cell states.</param>
    /// <param name="peepholes">Let the gates see the cell state.</param>
    /// <param name="forgetGateBias">Initial forget-gate bias (null keeps torch's uniform initialisation).</param>
    /// <param name="returnSequences">Return every step (true) or only the final state.</param>
    /// <param name="generator">Random source for initialisation, dropout and zoneout.</param>
    public Lstm(int inputSize, int hiddenSize, int numLayers = 1, bool bidirectional = false, bool bias = true, float dropout = 0f,
        float zoneout = 0f, bool peepholes = false, float? forgetGateBias = 1f, bool returnSequences = true, RandomGenerator? generator = null)
        : base(4, inputSize, hiddenSize, numLayers, bidirectional, bias, dropout, zoneout, returnSequences, generator)
    {
        Peepholes = peepholes;
        if (peepholes)
        {
            // Registered after all the weights and biases (torch has no peepholes, so its names come first).
            float bound = 1f / MathF.Sqrt(hiddenSize);
            for (int k = 0; k < numLayers; k++)
                for (int d = 0; d < Directions; d++)
                    _peepholes.Add(AddParameter(string.Create(CultureInfo.InvariantCulture, $"peephole_l{k}{(d == 1 ? "_reverse" : "")}"),
                        [3, hiddenSize], Initializer.Uniform(-bound, bound), hiddenSize, 3 * hiddenSize, generator));
        }
        if (bias && forgetGateBias is float value)
        {
            using var _ = new NoGrad();
            for (int k = 0; k < numLayers; k++)
                for (int d = 0; d < Directions; d++)
                {
                    InputBias(k, d)!.Data.Slice(hiddenSize, hiddenSize).Fill(value);
                    HiddenBias(k, d)!.Data.Slice(hiddenSize, hiddenSize).Clear();
                }
        }
    }

    /// <summary>Whether the gates see the cell state.</summary>
    public bool Peepholes { get; }

    /// <summary>The peephole weights [3, hidden] of a layer and direction (rows p_i, p_f, p_o), or null.</summary>
    public Parameter? Peephole(int layer, int direction = 0) => Peepholes ? _peepholes[layer * Directions + direction] : null;

    private protected override bool HasCell => true;

    private protected override string DescribeExtras() => Peepholes ? ", peepholes" : "";

    private protected override (Tensor Sequence, Tensor? Cells) RunDirection(int layer, int direction, Tensor input, Tensor initialHidden, Tensor? initialCell, Tensor? zoneoutKeep)
    {
        // One fused op: the input projection of the whole sequence, the recurrence and BPTT.
        Tensor states = input.LstmSequence(InputWeight(layer, direction), InputBias(layer, direction), HiddenBias(layer, direction), HiddenWeight(layer, direction),
            initialHidden, initialCell!, Peephole(layer, direction), zoneoutKeep, reverse: direction == 1);
        return (states.Select(0, 0), states.Select(0, 1));
    }

    /// <summary>
    /// The layer on the rows of <paramref name="embedding"/> [V, inputSize] picked by <paramref name="tokens"/>
    /// [batch, time] (integral values): the same as <c>Forward(embedding.Forward(tokens), state)</c> with
    /// the embedding's weight, but the first layer projects the table once (V rows) instead of every token
    /// (<see cref="TensorOps.LstmSequenceOfTokens"/>), which is cheaper when V is smaller than batch · time.
    /// </summary>
    public RecurrentOutput Forward(Embedding embedding, Tensor tokens, RecurrentState? state)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        ArgumentNullException.ThrowIfNull(tokens);
        if (embedding.EmbeddingDimension != InputSize)
            throw new ShapeMismatchException($"{Describe()} got {embedding.Describe()}; its vectors must have {InputSize} features.");
        if (tokens.Rank != 2)
            throw new ShapeMismatchException($"{Describe()} got tokens {tokens.Shape}; expected token indices [batch, time].");
        float[] values = tokens.ToArray();
        var indices = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            indices[i] = (int)values[i];
            if (indices[i] != values[i] || (uint)indices[i] >= (uint)embedding.NumEmbeddings)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"{embedding.Describe()} got index {values[i]} at position {i} of tokens {tokens.Shape}; indices must be integers in [0, {embedding.NumEmbeddings}).");
        }
        return ForwardCore(null, new TokenInput(embedding.Weight, indices, tokens.Shape[0]), tokens.Shape[0], tokens.Shape[1], state);
    }

    /// <summary>
    /// Whether <see cref="Forward(Embedding, Tensor, RecurrentState?)"/> takes <paramref name="tokens"/> and is
    /// the cheaper way to run them: token indices [batch, time], vectors as wide as this layer's input, and
    /// a table of at most half as many rows as there are tokens (projecting V rows instead of batch·time).
    /// </summary>
    internal bool ReadsTokensFasterThanEmbedded(Embedding embedding, Tensor tokens) =>
        tokens.Rank == 2 && embedding.EmbeddingDimension == InputSize && 2L * embedding.NumEmbeddings <= tokens.Count;

    private protected override (Tensor Sequence, Tensor? Cells) RunTokens(int direction, TokenInput tokens, Tensor initialHidden, Tensor? initialCell, Tensor? zoneoutKeep)
    {
        Tensor states = tokens.Table.LstmSequenceOfTokens(tokens.Tokens, tokens.Batch, InputWeight(0, direction), InputBias(0, direction), HiddenBias(0, direction),
            HiddenWeight(0, direction), initialHidden, initialCell!, Peephole(0, direction), zoneoutKeep, reverse: direction == 1);
        return (states.Select(0, 0), states.Select(0, 1));
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config)
    {
        base.WriteConfig(config);
        config["peepholes"] = Peepholes;
    }
}

/// <summary>
/// Gated recurrent unit (Cho et al. 2014), as <c>torch.nn.GRU</c>: gates stacked r, z, n;
/// n = tanh(W_in·x + b_in + r⊙(W_hn·h + b_hn)), h_t = (1 − z)⊙n + z⊙h_{t−1}. See
/// <see cref="RecurrentLayer"/> for shapes, options and parameter names.
/// </summary>
public sealed class Gru : RecurrentLayer
{
    /// <summary>Creates the layer (see <see cref="RecurrentLayer"/> for the options).</summary>
    /// <param name="inputSize">Features per step of the input.</param>
    /// <param name="hiddenSize">Units per layer and direction.</param>
    /// <param name="numLayers">Stacked layers.</param>
    /// <param name="bidirectional">Add a reverse direction.</param>
    /// <param name="bias">Whether to have bias vectors.</param>
    /// <param name="dropout">Dropout between layers (training).</param>
    /// <param name="zoneout">Zoneout probability for the hidden state.</param>
    /// <param name="returnSequences">Return every step (true) or only the final state.</param>
    /// <param name="generator">Random source for initialisation, dropout and zoneout.</param>
    public Gru(int inputSize, int hiddenSize, int numLayers = 1, bool bidirectional = false, bool bias = true, float dropout = 0f,
        float zoneout = 0f, bool returnSequences = true, RandomGenerator? generator = null)
        : base(3, inputSize, hiddenSize, numLayers, bidirectional, bias, dropout, zoneout, returnSequences, generator)
    {
    }

    private protected override (Tensor Sequence, Tensor? Cells) RunDirection(int layer, int direction, Tensor input, Tensor initialHidden, Tensor? initialCell, Tensor? zoneoutKeep)
    {
        Tensor projection = input.Linear(InputWeight(layer, direction), InputBias(layer, direction));
        return (projection.GruSequence(HiddenWeight(layer, direction), HiddenBias(layer, direction), initialHidden, zoneoutKeep, reverse: direction == 1), null);
    }
}
