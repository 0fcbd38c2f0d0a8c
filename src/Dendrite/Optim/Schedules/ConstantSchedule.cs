namespace Dendrite.Optim.Schedules;

/// <summary>The same learning rate at every step: α_t = α₀.</summary>
public sealed class ConstantSchedule(float initialLearningRate) : LearningRateSchedule(initialLearningRate)
{
    /// <inheritdoc/>
    public override float LearningRate(long step)
    {
        CheckStep(step);
        return InitialLearningRate;
    }
}
