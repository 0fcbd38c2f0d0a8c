using Dendrite.Tensors;

namespace Dendrite.NN;

/// <summary>
/// Collects each module's output shape while <see cref="ModelSummary"/> runs a forward pass.
/// Containers report their children through <see cref="Module"/>'s <c>Run</c>.
/// </summary>
internal sealed class SummaryRecorder
{
    [ThreadStatic] private static SummaryRecorder? _current;

    public static SummaryRecorder? Current => _current;

    public Dictionary<Module, Shape> OutputShapes { get; } = new(ReferenceEqualityComparer.Instance);

    public static SummaryRecorder Begin() => _current = new SummaryRecorder();

    public static void End() => _current = null;

    public void Note(Module module, Tensor output) => OutputShapes[module] = output.Shape;
}
