namespace Dendrite.Ops;

/// <summary>
/// Every differentiable operation on tensors, as extension members of <see cref="Tensors.Tensor"/>
/// (<c>x.Exp()</c>, <c>a + b</c>, <c>a.MatMul(b)</c>) and static functions (<see cref="Concat"/>,
/// <see cref="Where"/>). Bring them in with <c>using Dendrite.Ops;</c>. Each operation's forward and
/// backward sit side by side in one file of this folder.
/// </summary>
public static partial class TensorOps;
