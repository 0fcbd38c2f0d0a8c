namespace Dendrite.Training.Callbacks;

/// <summary>
/// Logs a run for TensorBoard (Keras' <c>TensorBoard</c> callback): after every epoch each log
/// value (<c>loss</c>, <c>accuracy</c>, <c>val_loss</c>, <c>lr</c>, ...) as a scalar, and, every
/// <see cref="HistogramFrequency"/> epochs, a histogram of every parameter (<c>weights/NAME</c>) and
/// of its gradient in the epoch's last batch (<c>gradients/NAME</c>). Open the run with
/// <c>tensorboard --logdir DIR</c>. The step is the 0-based epoch, as Keras writes it.
/// </summary>
/// <param name="logDirectory">Where the event file goes (created if needed); give each run its own directory.</param>
/// <param name="histogramFrequency">Write histograms every this many epochs; 0 for none.</param>
public sealed class TensorBoardLogger(string logDirectory, int histogramFrequency = 1) : Callback
{
    private TensorBoardEventWriter? _writer;

    /// <summary>The directory the event file is written in.</summary>
    public string LogDirectory { get; } = string.IsNullOrEmpty(logDirectory) ? throw new ArgumentException("TensorBoardLogger needs a log directory.", nameof(logDirectory)) : logDirectory;

    /// <summary>Histograms are written every this many epochs (0: never).</summary>
    public int HistogramFrequency { get; } = histogramFrequency >= 0 ? histogramFrequency
        : throw new ArgumentOutOfRangeException(nameof(histogramFrequency), $"TensorBoardLogger: the histogram frequency must be non-negative; got {histogramFrequency}.");

    /// <summary>The event file of the current (or last) run, or null before training starts.</summary>
    public string? EventFile => _writer?.Path;

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingContext context)
    {
        _writer?.Dispose();
        _writer = new TensorBoardEventWriter(LogDirectory);
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, int epoch, IDictionary<string, double> logs)
    {
        if (_writer is null) return;
        foreach (var (key, value) in logs) _writer.WriteScalar(key, epoch, value);
        if (HistogramFrequency == 0 || (epoch + 1) % HistogramFrequency != 0) return;
        foreach (var (name, parameter) in context.Model.NamedParameters())
        {
            _writer.WriteHistogram("weights/" + name, epoch, parameter.Data);
            // After the epoch's last step the trainer has not cleared the gradients yet.
            if (parameter.Grad is { } gradient) _writer.WriteHistogram("gradients/" + name, epoch, gradient.Data);
        }
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(TrainingContext context) => _writer?.Dispose();
}
