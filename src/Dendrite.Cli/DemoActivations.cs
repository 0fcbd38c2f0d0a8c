using System.CommandLine;
using Dendrite.Plots;

namespace Dendrite.Cli;

/// <summary>
/// <c>dendrite demo activations</c>: the activation functions of the classic texts and their
/// derivatives side by side, with a table of the derivatives that decide how fast each unit learns.
/// </summary>
internal static class DemoActivations
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var outDirectory = DemoCommand.OutOption();
        var command = new Command("activations", "Plot sigmoid, tanh, LeCun tanh, ReLU, leaky ReLU, ELU and softplus with their derivatives.") { outDirectory };
        command.SetAction(result => CommandLine.Guard(error, () => Run(result.GetValue(outDirectory)!, output)));
        return command;
    }

    public static int Run(string outDirectory, TextWriter output)
    {
        string directory = DemoCommand.PrepareDirectory(outDirectory);
        var functions = ActivationPlots.ClassicFunctions();
        output.WriteLine("activation              f(0)    max f′ on [-5, 5]   f′(-5)     f′(5)");
        foreach (var (name, f, derivative) in functions)
        {
            double peak = Enumerable.Range(0, 1001).Select(i => derivative(-5 + i * 0.01)).Max();
            output.WriteLine($"{name,-22}{DemoFigures.Fixed(f(0), "F3"),6}{DemoFigures.Fixed(peak, "F3"),14}{DemoFigures.Scientific(derivative(-5)),16}{DemoFigures.Scientific(derivative(5)),10}");
        }
        output.WriteLine("sigmoid's derivative is at most 0.25, so every sigmoid layer shrinks a back-propagated gradient at least fourfold;");
        output.WriteLine("at |x| = 5 sigmoid and tanh are saturated (f′ near 0), while ReLU-like units keep f′ = 1 for x > 0.");
        string path = ActivationPlots.Save(Path.Combine(directory, "activations.png"), functions);
        output.WriteLine($"activations: {path}");
        return 0;
    }
}
