using System.Globalization;
using Dendrite.NN.Layers;
using Dendrite.Tests.Support;
using Xunit.Abstractions;

namespace Dendrite.Tests.NN;

/// <summary>
/// Rnn, Lstm and Gru against libtorch (tests/reference/layers): torch's parameters copied in by name,
/// then the output, h_n (and c_n), the gradients of the input and initial states and of every
/// parameter compared, each with its own random upstream gradient.
/// </summary>
public class RecurrentParityTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases() => new()
    {
        "rnn_tanh", "rnn_tanh_h0", "rnn_2layer", "lstm_h0c0", "lstm_bidirectional", "lstm_2layer", "gru", "gru_h0", "gru_bidirectional",
    };

    private static RecurrentLayer Build(ReferenceCase c)
    {
        int input = c.Int("input_size"), hidden = c.Int("hidden_size"), layers = c.Int("num_layers");
        bool bidirectional = c.Bool("bidirectional"), bias = c.Bool("bias");
        return c.Layer switch
        {
            "RNN" => new Rnn(input, hidden, layers, c.String("nonlinearity"), bidirectional, bias),
            "LSTM" => new Lstm(input, hidden, layers, bidirectional, bias, forgetGateBias: null),
            "GRU" => new Gru(input, hidden, layers, bidirectional, bias),
            _ => throw new InvalidOperationException($"not a recurrent case: {c.Layer}"),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AgreesWithLibtorch(string name)
    {
        ReferenceCase c = ReferenceCase.Load("layers", name);
        RecurrentLayer layer = Build(c);
        var state = layer.StateDict();
        Assert.Equal(c.Parameters.Keys.Order(), state.Keys.Order());
        foreach (var (key, value) in c.Parameters) state[key].CopyFrom(value.ToTensor());

        Tensor[] inputs = c.Inputs.Select(i =>
        {
            Tensor t = i.ToTensor();
            t.RequiresGrad = true;
            return t;
        }).ToArray();
        bool lstm = c.Layer == "LSTM";
        RecurrentState? initial = inputs.Length > 1 ? new RecurrentState(inputs[1], lstm ? inputs[2] : null) : null;
        RecurrentOutput result = layer.Forward(inputs[0], initial);
        Tensor[] outputs = lstm ? [result.Output, result.State.Hidden, result.State.Cell!] : [result.Output, result.State.Hidden];

        double worst = 0;
        Tensor loss = Tensor.Scalar(0f);
        for (int i = 0; i < outputs.Length; i++)
        {
            Assert.Equal(c.Outputs[i].Shape, outputs[i].Shape.ToArray());
            worst = Math.Max(worst, Compare(c.Outputs[i].Data, outputs[i].ToArray(), $"{name} output {i}"));
            loss = loss + (outputs[i] * c.GradOutputs[i]!.ToTensor()).Sum();
        }
        loss.Backward();
        for (int i = 0; i < inputs.Length; i++)
            worst = Math.Max(worst, Compare(c.Grads[i]!.Data, inputs[i].Grad!.ToArray(), $"{name} gradient of input {i}"));
        var parameters = layer.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (key, expected) in c.ParameterGrads)
            worst = Math.Max(worst, Compare(expected.Data, parameters[key].Grad!.ToArray(), $"{name} gradient of {key}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: largest |Dendrite − libtorch| over outputs and gradients = {worst:E2}"));
    }

    /// <summary>Asserts closeness and returns the largest absolute deviation.</summary>
    private static double Compare(float[] expected, float[] actual, string what)
    {
        Assertions.AllClose(expected, actual, 1e-4, 1e-5, what);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        return worst;
    }
}
