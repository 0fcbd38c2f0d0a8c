using TorchSharp;
using static Dendrite.Parity.Generator.Cases.Layers;
using static TorchSharp.torch;

namespace Dendrite.Parity.Generator.Cases;

/// <summary>
/// RNN, LSTM and GRU with batch_first = True: input [batch, seq, features]; initial and final states are
/// [num_layers * num_directions, batch, hidden] whatever batch_first says. Outputs: the output sequence,
/// then h_n (and c_n), each with its own random upstream gradient. Parameters are torch's
/// (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, with _reverse for the backward direction),
/// gates stacked in torch's order: LSTM i, f, g, o; GRU r, z, n.
/// </summary>
static class Recurrent
{
    public static LayerCase[] Cases =>
    [
        Rnn("rnn_tanh", layers: 1, h0: false, "RNN(input_size = 3, hidden_size = 4, nonlinearity = 'tanh', batch_first = True)(input[2,5,3]) -> (output[2,5,4], h_n[1,2,4]); h0 = zeros"),
        Rnn("rnn_tanh_h0", layers: 1, h0: true, "RNN(input_size = 3, hidden_size = 4, nonlinearity = 'tanh', batch_first = True)(input[2,5,3], h0[1,2,4]) -> (output[2,5,4], h_n[1,2,4])"),
        Rnn("rnn_2layer", layers: 2, h0: false, "RNN(input_size = 3, hidden_size = 4, num_layers = 2, nonlinearity = 'tanh', batch_first = True)(input[2,5,3]) -> (output[2,5,4] of layer 2, h_n[2,2,4] = layer 1, layer 2); h0 = zeros"),

        Lstm("lstm_h0c0", layers: 1, bidirectional: false, states: true,
            "LSTM(input_size = 3, hidden_size = 4, batch_first = True)(input[2,5,3], (h0[1,2,4], c0[1,2,4])) -> (output[2,5,4], (h_n[1,2,4], c_n[1,2,4]))"),
        Lstm("lstm_bidirectional", layers: 1, bidirectional: true, states: false,
            "LSTM(input_size = 3, hidden_size = 4, batch_first = True, bidirectional = True)(input[2,5,3]) -> (output[2,5,8] = [forward, reverse] per step, (h_n[2,2,4], c_n[2,2,4]) = forward, reverse); h0 = c0 = zeros; the reverse direction reads the sequence from the end, its h_n is its state after step 0"),
        Lstm("lstm_2layer", layers: 2, bidirectional: false, states: true,
            "LSTM(input_size = 3, hidden_size = 4, num_layers = 2, batch_first = True)(input[2,5,3], (h0[2,2,4], c0[2,2,4])) -> (output[2,5,4] of layer 2, (h_n[2,2,4], c_n[2,2,4]) = layer 1, layer 2)"),

        Gru("gru", bidirectional: false, h0: false, "GRU(input_size = 3, hidden_size = 4, batch_first = True)(input[2,5,3]) -> (output[2,5,4], h_n[1,2,4]); h0 = zeros"),
        Gru("gru_h0", bidirectional: false, h0: true, "GRU(input_size = 3, hidden_size = 4, batch_first = True)(input[2,5,3], h0[1,2,4]) -> (output[2,5,4], h_n[1,2,4])"),
        Gru("gru_bidirectional", bidirectional: true, h0: false,
            "GRU(input_size = 3, hidden_size = 4, batch_first = True, bidirectional = True)(input[2,5,3]) -> (output[2,5,8] = [forward, reverse] per step, h_n[2,2,4] = forward, reverse); h0 = zeros"),
    ];

    static LayerCase Rnn(string name, long layers, bool h0, string description) =>
        new(name, "RNN", description,
            () => nn.RNN(3, 4, layers, nn.NonLinearities.Tanh, bias: true, batchFirst: true),
            h0 ? [In.Normal(2, 5, 3), In.Normal(layers, 2, 4)] : [In.Normal(2, 5, 3)],
            (m, x) =>
            {
                var (output, hn) = ((TorchSharp.Modules.RNN)m!).call(x[0], h0 ? x[1] : null);
                return [output, hn];
            })
        {
            Attributes = A2(("input_size", 3), ("hidden_size", 4), ("num_layers", layers), ("nonlinearity", "tanh"), ("bias", true),
                ("batch_first", true), ("dropout", 0.0), ("bidirectional", false)),
            InputNames = h0 ? ["input", "h0"] : ["input"],
            OutputNames = ["output", "h_n"],
        };

    static LayerCase Lstm(string name, long layers, bool bidirectional, bool states, string description)
    {
        long d = bidirectional ? 2 : 1;
        return new(name, "LSTM", description,
            () => nn.LSTM(3, 4, layers, bias: true, batchFirst: true, bidirectional: bidirectional),
            states ? [In.Normal(2, 5, 3), In.Normal(layers * d, 2, 4), In.Normal(layers * d, 2, 4)] : [In.Normal(2, 5, 3)],
            (m, x) =>
            {
                var (output, hn, cn) = ((TorchSharp.Modules.LSTM)m!).call(x[0], states ? (x[1], x[2]) : null);
                return [output, hn, cn];
            })
        {
            Attributes = A2(("input_size", 3), ("hidden_size", 4), ("num_layers", layers), ("bias", true), ("batch_first", true),
                ("dropout", 0.0), ("bidirectional", bidirectional), ("proj_size", 0)),
            InputNames = states ? ["input", "h0", "c0"] : ["input"],
            OutputNames = ["output", "h_n", "c_n"],
        };
    }

    static LayerCase Gru(string name, bool bidirectional, bool h0, string description) =>
        new(name, "GRU", description,
            () => nn.GRU(3, 4, 1, bias: true, batchFirst: true, bidirectional: bidirectional),
            h0 ? [In.Normal(2, 5, 3), In.Normal(bidirectional ? 2 : 1, 2, 4)] : [In.Normal(2, 5, 3)],
            (m, x) =>
            {
                var (output, hn) = ((TorchSharp.Modules.GRU)m!).call(x[0], h0 ? x[1] : null);
                return [output, hn];
            })
        {
            Attributes = A2(("input_size", 3), ("hidden_size", 4), ("num_layers", 1), ("bias", true), ("batch_first", true),
                ("dropout", 0.0), ("bidirectional", bidirectional)),
            InputNames = h0 ? ["input", "h0"] : ["input"],
            OutputNames = ["output", "h_n"],
        };
}
