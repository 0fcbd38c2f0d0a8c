// The universal approximation theorem, shown rather than proved: one hidden layer of tanh units,
// y(x) = Σ v_j·tanh(w_j·x + b_j) + c, fits f(x) = sin(2πx) + [x ≥ 0.2] on [−1, 1] ever more closely as
// the layer widens. Each width is trained full-batch by Rprop from 5 initialisations (the best by
// training error is kept: the question is what a width can represent) on 100 evenly spaced points,
// and is measured on a grid four times denser. Prints error against width and writes two PNGs.
using System.Diagnostics;
using System.Globalization;
using Dendrite.Plots;
using Dendrite.Techniques.Classic;

int[] widths = [1, 2, 4, 8, 16, 32, 64];
int iterations = 20_000, starts = 5;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--iterations" when i + 1 < args.Length: iterations = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--starts" when i + 1 < args.Length: starts = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--widths" when i + 1 < args.Length: widths = [.. args[++i].Split(',').Select(w => int.Parse(w, CultureInfo.InvariantCulture))]; break;
        default: Console.Error.WriteLine("usage: UniversalApproximation [--widths 1,2,4,...] [--iterations N] [--starts N]"); return 1;
    }
}

Console.WriteLine($"f(x) = sin(2πx) + step at x = 0.2 on [-1, 1]; 100 training points, 397 test points; Rprop, {iterations:N0} full-batch steps, best of {starts} starts");
Console.WriteLine($"{"width",5} {"weights",7} {"train MSE",10} {"test MSE",10}");
var clock = Stopwatch.StartNew();
var results = UniversalApproximation.Run(UniversalApproximation.SineWithStep, widths, trainingPoints: 100, iterations: iterations, starts: starts);
foreach (var r in results)
    Console.WriteLine($"{r.Width,5} {r.Weights,7} {r.TrainingMse,10:E2} {r.TestMse,10:E2}");
Console.WriteLine($"({clock.Elapsed.TotalSeconds:F1} s)");
Console.WriteLine("The training MSE is the approximation error at the 100 sample points. The test MSE levels off from about");
Console.WriteLine("8 units: the jump lies between two training points, and where a fit steps inside that gap is not fixed by the data.");

double[] testX = UniversalApproximation.Grid(-1, 1, results[0].TestFit.Length);
double[] target = [.. testX.Select(UniversalApproximation.SineWithStep)];
var shown = results.Where(r => r.Width is 1 or 2 or 4 or 16 or 64 || results.Count <= 4)
    .ToDictionary(r => $"{r.Width} hidden unit{(r.Width == 1 ? "" : "s")}", r => r.TestFit.Select(v => (double)v).ToArray());
string directory = Path.Combine(AppContext.BaseDirectory, "plots");
Console.WriteLine("plots: " + FunctionPlots.SaveFits(Path.Combine(directory, "universal-approximation-fits.png"), testX, target, shown,
    "one hidden layer of tanh units fitting sin(2πx) + step"));
Console.WriteLine("       " + FunctionPlots.SaveCurve(Path.Combine(directory, "universal-approximation-error.png"),
    [.. results.Select(r => (double)r.Width)], [.. results.Select(r => r.TrainingMse)], "hidden units", "training MSE", logY: true,
    title: "approximation error against width", logX: true));
return 0;
