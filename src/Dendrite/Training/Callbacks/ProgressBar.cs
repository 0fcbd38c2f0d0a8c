using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Dendrite.Training.Callbacks;

/// <summary>
/// A console progress bar per epoch: batches done, samples per second, time left, and the running
/// loss and metrics, redrawn in place at most ten times a second. When the output is not a terminal
/// (redirected to a file or a CI log) it writes one line per epoch instead.
/// </summary>
public sealed class ProgressBar : Callback
{
    private readonly TextWriter _output;
    private readonly Stopwatch _epochClock = new();
    private long _lastDraw;
    private int _samples;

    /// <summary>Creates the bar on <paramref name="output"/> (the console by default); <paramref name="interactive"/> overrides terminal detection.</summary>
    public ProgressBar(TextWriter? output = null, bool? interactive = null)
    {
        _output = output ?? Console.Out;
        Interactive = interactive ?? (output is null && !Console.IsOutputRedirected);
    }

    /// <summary>Whether the bar is redrawn in place (a terminal) rather than printed once per epoch.</summary>
    public bool Interactive { get; }

    /// <inheritdoc/>
    public override void OnEpochBegin(TrainingContext context, int epoch)
    {
        _epochClock.Restart();
        _lastDraw = 0;
        _samples = 0;
    }

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context, int batch, IReadOnlyDictionary<string, double> logs)
    {
        _samples += context.SamplesPerEpoch / Math.Max(1, context.BatchesPerEpoch);
        if (!Interactive) return;
        long now = _epochClock.ElapsedMilliseconds;
        if (now - _lastDraw < 100 && batch + 1 < context.BatchesPerEpoch) return;
        _lastDraw = now;
        int done = batch + 1, total = Math.Max(1, context.BatchesPerEpoch);
        const int Width = 24;
        int filled = (int)((long)Width * done / total);
        double seconds = _epochClock.Elapsed.TotalSeconds;
        double rate = seconds > 0 ? _samples / seconds : 0;
        double remaining = done > 0 ? seconds * (total - done) / done : 0;
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"Epoch {context.Epoch + 1}/{context.Epochs} [");
        line.Append('=', Math.Max(0, filled - 1)).Append(filled > 0 ? (done == total ? '=' : '>') : ' ').Append(' ', Width - Math.Max(filled, 1));
        line.Append(CultureInfo.InvariantCulture, $"] {done}/{total}  {rate:N0} samples/s  ETA {FormatTime(remaining)}");
        foreach (var (key, value) in logs)
            if (key != "loss") line.Append(CultureInfo.InvariantCulture, $"  {(key == "epoch_loss" ? "loss" : key)} {value:F4}");
        _output.Write("\r" + line.ToString().PadRight(Console.IsOutputRedirected ? 0 : Math.Min(Math.Max(line.Length, 80), 160)));
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, int epoch, IDictionary<string, double> logs)
    {
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"Epoch {epoch + 1}/{context.Epochs}  {_epochClock.Elapsed.TotalSeconds:F1}s");
        foreach (var (key, value) in logs)
            line.Append("  ").Append(key).Append(' ').Append(value.ToString(key == "lr" ? "G3" : "F4", CultureInfo.InvariantCulture));
        if (Interactive) _output.Write("\r");
        _output.WriteLine(line.ToString().PadRight(Interactive ? 100 : 0));
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(TrainingContext context)
    {
        if (context.StopReason is not null) _output.WriteLine($"Stopped: {context.StopReason}.");
        _output.Flush();
    }

    private static string FormatTime(double seconds) =>
        TimeSpan.FromSeconds(Math.Max(0, seconds)).ToString(seconds >= 3600 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture);
}
