using Dendrite.NN;
using Dendrite.Training;
using Dendrite.Training.Callbacks;

namespace Dendrite.Techniques.Pruning;

/// <summary>
/// Which connections of a network are pruned: a 0/1 mask per parameter, of the parameter's shape.
/// Pruned weights are held at exactly zero through later training by <see cref="Apply"/> after each
/// optimiser step (<see cref="AsCallback"/> does it inside <c>Trainer.Fit</c>); <see cref="MaskGradients"/>
/// zeroes their gradients before a step in a hand-written loop.
/// </summary>
/// <remarks>
/// The mask composes from outside: no layer changes, and the model saves and loads as usual (the
/// pruned weights are stored as zeros).
/// </remarks>
public sealed class PruningMask
{
    private readonly List<(Parameter Parameter, float[] Keep)> _entries = [];

    /// <summary>A mask keeping every element of <paramref name="parameters"/>.</summary>
    public PruningMask(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (Parameter p in parameters)
        {
            if (_entries.Any(e => ReferenceEquals(e.Parameter, p))) continue;
            var keep = new float[p.Count];
            keep.AsSpan().Fill(1f);
            _entries.Add((p, keep));
        }
        if (_entries.Count == 0) throw new ArgumentException("PruningMask: no parameters to mask.", nameof(parameters));
    }

    /// <summary>
    /// A mask over the connection weights of <paramref name="model"/>: every parameter of rank 2 or
    /// more (dense and convolution weights), not biases or normalisation scales.
    /// </summary>
    public static PruningMask ForWeights(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new PruningMask(model.Parameters().Where(p => p.Rank >= 2));
    }

    /// <summary>The masked parameters, in order.</summary>
    public IReadOnlyList<Parameter> Parameters => _entries.Select(e => e.Parameter).ToList();

    /// <summary>The keep-mask of <paramref name="parameter"/> (1 kept, 0 pruned), row-major like its values; writable.</summary>
    public Span<float> KeepMask(Parameter parameter)
    {
        foreach (var (p, keep) in _entries)
            if (ReferenceEquals(p, parameter)) return keep;
        throw new ArgumentException($"PruningMask: parameter '{parameter?.Name}' is not masked.", nameof(parameter));
    }

    /// <summary>True when <paramref name="parameter"/> is one of the masked parameters.</summary>
    public bool Contains(Parameter parameter) => _entries.Any(e => ReferenceEquals(e.Parameter, parameter));

    /// <summary>Number of masked elements (pruned or not).</summary>
    public long TotalCount => _entries.Sum(e => (long)e.Keep.Length);

    /// <summary>Number of pruned elements.</summary>
    public long PrunedCount => _entries.Sum(e => (long)e.Keep.Count(k => k == 0f));

    /// <summary>Pruned share of the masked elements, in [0, 1].</summary>
    public double Sparsity => TotalCount == 0 ? 0 : (double)PrunedCount / TotalCount;

    /// <summary>Pruned share of one parameter's elements.</summary>
    public double SparsityOf(Parameter parameter)
    {
        Span<float> keep = KeepMask(parameter);
        int pruned = 0;
        foreach (float k in keep) if (k == 0f) pruned++;
        return keep.Length == 0 ? 0 : (double)pruned / keep.Length;
    }

    /// <summary>Marks element <paramref name="index"/> of <paramref name="parameter"/> pruned and sets it to zero.</summary>
    public void Prune(Parameter parameter, int index)
    {
        KeepMask(parameter)[index] = 0f;
        parameter.Data[index] = 0f;
    }

    /// <summary>Sets every pruned weight to zero (call after each optimiser step).</summary>
    public void Apply()
    {
        foreach (var (p, keep) in _entries) TensorPrimitives.Multiply(p.Data, keep, p.Data);
    }

    /// <summary>Sets the gradients of pruned weights to zero (call between <c>Backward()</c> and the optimiser step).</summary>
    public void MaskGradients()
    {
        foreach (var (p, keep) in _entries)
            if (p.Grad is { } grad) TensorPrimitives.Multiply(grad.Data, keep, grad.Data);
    }

    /// <summary>A copy of this mask (same parameters, independent masks).</summary>
    public PruningMask Clone()
    {
        var copy = new PruningMask(Parameters);
        for (int i = 0; i < _entries.Count; i++) _entries[i].Keep.CopyTo(copy._entries[i].Keep, 0);
        return copy;
    }

    /// <summary>A callback that keeps pruned weights at zero during <c>Trainer.Fit</c> (applies the mask at the start and after every batch).</summary>
    public Callback AsCallback() => new MaskCallback(this);

    private sealed class MaskCallback(PruningMask mask) : Callback
    {
        public override void OnTrainBegin(TrainingContext context) => mask.Apply();

        public override void OnBatchEnd(TrainingContext context, int batch, IReadOnlyDictionary<string, double> logs) => mask.Apply();
    }
}
