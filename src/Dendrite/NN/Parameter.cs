using Dendrite.NN.Regularizers;
using Dendrite.Tensors;

namespace Dendrite.NN;

/// <summary>
/// A trainable tensor owned by a <see cref="Module"/>: a leaf that requires a gradient, with what
/// the optimiser and trainer need to know about it (regulariser, constraint, learning-rate scale)
/// and how it was initialised (for the summary).
/// </summary>
public sealed class Parameter : Tensor
{
    /// <summary>A parameter holding a copy of <paramref name="value"/>'s values (same shape); it requires a gradient.</summary>
    public Parameter(Tensor value) : base(Copy(value), value.Shape, pooled: false)
    {
        RequiresGrad = true;
    }

    private static float[] Copy(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.ToArray();
    }

    /// <summary>The name it was registered under in its module (<c>weight</c>, <c>bias</c>).</summary>
    public string Name { get; internal set; } = "";

    /// <summary>Penalty added to the training loss for this parameter (null for none).</summary>
    public Regularizer? Regularizer { get; set; }

    /// <summary>Projection applied after every optimiser step (null for none), e.g. max-norm.</summary>
    public Constraint? Constraint { get; set; }

    /// <summary>The initialiser that set its starting values, as shown by the summary.</summary>
    public string Initializer { get; internal set; } = "given";

    /// <summary>
    /// Multiplies the optimiser's learning rate for this parameter (1 by default; 0.1 to fine-tune
    /// transferred layers gently, 0 together with <see cref="Tensor.RequiresGrad"/> = false to freeze).
    /// </summary>
    public float LearningRateScale { get; set; } = 1f;

    /// <summary>True when the optimiser updates it (it requires a gradient).</summary>
    public bool Trainable
    {
        get => RequiresGrad;
        set => RequiresGrad = value;
    }
}
