using Dendrite.NN;

namespace Dendrite.Techniques.Transfer;

/// <summary>
/// Transfer learning: keep the first k layers of a trained network (its learned features), frozen or
/// trained with a smaller learning rate, replace the rest by a new head, and train on the new task.
/// </summary>
/// <remarks>
/// <code>
/// var source = (Sequential)Model.Load("fashion-0-4");
/// var model = TransferLearning.Reuse(source, keepLayers: 2, head: new Dense(256, 5), learningRateScale: 0);
/// var trainer = new Trainer(model, new Adam(model.Parameters(), 1e-3f), new CrossEntropy(), [new Accuracy()]);
/// </code>
/// A learning-rate scale of 0 freezes the kept layers (their parameters stop requiring gradients);
/// a scale in (0, 1) sets each kept parameter's <see cref="Parameter.LearningRateScale"/>, which
/// every first-order optimiser multiplies into its step (a <c>ParameterGroup</c> with its own rate
/// does the same per group).
/// </remarks>
public static class TransferLearning
{
    /// <summary>
    /// A new network: layers 0..<paramref name="keepLayers"/>−1 of <paramref name="source"/> (the same
    /// layer objects, so the source should not be trained further), then <paramref name="head"/>.
    /// The kept parameters are frozen when <paramref name="learningRateScale"/> is 0, else scaled.
    /// </summary>
    public static Sequential Reuse(Sequential source, int keepLayers, Module head, float learningRateScale = 0f)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(head);
        if (keepLayers < 0 || keepLayers > source.Count)
            throw new ArgumentOutOfRangeException(nameof(keepLayers), $"TransferLearning: keepLayers must be in [0, {source.Count}] for a {source.Count}-layer source; got {keepLayers}.");
        if (!(learningRateScale >= 0f && learningRateScale <= 1f))
            throw new ArgumentOutOfRangeException(nameof(learningRateScale), $"TransferLearning: the learning-rate scale must be in [0, 1]; got {learningRateScale}.");
        var model = new Sequential();
        for (int i = 0; i < keepLayers; i++)
        {
            Module layer = source[i];
            foreach (Parameter p in layer.Parameters())
            {
                p.RequiresGrad = learningRateScale > 0f;
                p.LearningRateScale = learningRateScale > 0f ? learningRateScale : 1f;
            }
            model.Add(layer);
        }
        model.Add(head);
        model.Train();
        return model;
    }

    /// <summary>Loads a model saved with <c>Model.Save</c> (a <see cref="Sequential"/>) and reuses its first layers as in <see cref="Reuse"/>.</summary>
    public static Sequential FromSaved(string path, int keepLayers, Module head, float learningRateScale = 0f)
    {
        Module loaded = Model.Load(path);
        if (loaded is not Sequential sequential)
            throw new InvalidOperationException($"TransferLearning: the model at {path} is a {loaded.TypeName}, not a Sequential; wrap its layers in a Sequential to cut it.");
        return Reuse(sequential, keepLayers, head, learningRateScale);
    }
}
