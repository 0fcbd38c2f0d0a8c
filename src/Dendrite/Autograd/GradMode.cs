using Dendrite.Tensors;

namespace Dendrite.Autograd;

/// <summary>Whether operations on the current thread record the autograd graph.</summary>
public static class GradMode
{
    [ThreadStatic] private static int _disabledDepth;

    /// <summary>True unless a <see cref="NoGrad"/> scope is open on this thread.</summary>
    public static bool IsEnabled => _disabledDepth == 0;

    internal static void Disable() => _disabledDepth++;

    internal static void Restore() => _disabledDepth--;

    /// <summary>True when an operation on <paramref name="input"/> must be recorded.</summary>
    internal static bool ShouldRecord(Tensor input) => _disabledDepth == 0 && input.RequiresGrad;

    /// <summary>True when an operation on these inputs must be recorded.</summary>
    internal static bool ShouldRecord(Tensor first, Tensor? second) =>
        _disabledDepth == 0 && (first.RequiresGrad || (second is not null && second.RequiresGrad));

    /// <summary>True when an operation on these inputs must be recorded.</summary>
    internal static bool ShouldRecord(Tensor first, Tensor? second, Tensor? third) =>
        _disabledDepth == 0 && (first.RequiresGrad || (second is not null && second.RequiresGrad) || (third is not null && third.RequiresGrad));

    /// <summary>Marks <paramref name="output"/> as produced by <paramref name="node"/>; returns the output.</summary>
    internal static Tensor Attach(Tensor output, Node node)
    {
        output._node = node;
        output.MarkRequiresGrad();
        return output;
    }
}

/// <summary>
/// A scope in which operations record no graph (for inference and weight updates), as
/// <c>torch.no_grad()</c>: <c>using (new NoGrad()) { ... }</c>. Scopes nest; the scope ends on the
/// thread that opened it.
/// </summary>
public struct NoGrad : IDisposable
{
    private bool _active;

    /// <summary>Stops recording on this thread until <see cref="Dispose"/>.</summary>
    public NoGrad()
    {
        GradMode.Disable();
        _active = true;
    }

    /// <summary>Restores recording as it was before the scope opened.</summary>
    public void Dispose()
    {
        if (!_active) return;
        _active = false;
        GradMode.Restore();
    }
}
