namespace Dendrite.Plots.Tests;

public sealed class ActivationPlotsTests : IDisposable
{
    private readonly PlotDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Save_draws_the_classic_functions_and_their_derivatives()
    {
        string path = _directory.File("activations.png");

        string written = ActivationPlots.Save(path, ActivationPlots.ClassicFunctions());

        PngAssert.IsPicture(written, path, 1200, 500);
    }

    [Fact]
    public void Save_accepts_a_custom_range_and_size()
    {
        string path = _directory.File("sigmoid.png");
        var sigmoid = ActivationPlots.ClassicFunctions().Where(f => f.Name == "sigmoid").ToArray();

        PngAssert.IsPicture(ActivationPlots.Save(path, sigmoid, from: -10, to: 10, width: 900, height: 400), path, 900, 400);
    }

    [Fact]
    public void Classic_derivatives_agree_with_central_differences()
    {
        const double H = 1e-5;
        foreach (var (name, f, derivative) in ActivationPlots.ClassicFunctions())
            foreach (double x in new[] { -4.0, -1.3, -0.2, 0.2, 0.7, 3.5 }) // away from the kinks at 0
            {
                double numeric = (f(x + H) - f(x - H)) / (2 * H);
                Assert.True(Math.Abs(numeric - derivative(x)) < 1e-6, $"{name}'({x}) = {derivative(x)}, central difference {numeric}");
            }
    }

    [Fact]
    public void Classic_functions_have_their_textbook_values()
    {
        var functions = ActivationPlots.ClassicFunctions().ToDictionary(f => f.Name);

        Assert.Equal(0.25, functions["sigmoid"].Derivative(0), 12);
        Assert.Equal(1.0, functions["LeCun tanh"].F(1), 4); // f(±1) = ±1 by design
        Assert.Equal(-0.1, functions["leaky ReLU (α = 0.1)"].F(-1), 12);
        Assert.Equal(Math.Log(2), functions["softplus"].F(0), 12);
        Assert.Equal(1000, functions["softplus"].F(1000), 9); // finite where ln(1 + e^x) would overflow
        Assert.Equal(-1 + Math.Exp(-5), functions["ELU"].F(-5), 12);
    }

    [Fact]
    public void An_empty_range_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            ActivationPlots.Save(_directory.File("x.png"), ActivationPlots.ClassicFunctions(), from: 1, to: 1));
        Assert.Contains("ActivationPlots.Save", error.Message);
    }
}
