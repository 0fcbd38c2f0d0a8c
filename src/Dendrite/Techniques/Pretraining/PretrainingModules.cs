using System.Text.Json.Nodes;
using Dendrite.NN;

namespace Dendrite.Techniques.Pretraining;

/// <summary>
/// Makes the pre-training modules loadable by <c>Model.Load</c>: <see cref="Autoencoder"/>,
/// <see cref="MaskingNoise"/>, <see cref="Upsample2d"/> and <see cref="Rbm"/>. The core's registry
/// (in <c>Dendrite.NN</c>) cannot name them, since NN sits below Techniques; call
/// <see cref="Register"/> once before loading a model that contains them. (<see cref="TiedDense"/>
/// shares its encoder's weight, which the architecture JSON cannot express, so it is not loadable.)
/// </summary>
public static class PretrainingModules
{
    private static int _registered;

    /// <summary>Registers the factories with <see cref="ModuleRegistry"/> (idempotent, thread-safe).</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1) return;
        ModuleRegistry.Register("Autoencoder", (_, children) => new Autoencoder(
            Child(children, "encoder") ?? throw new FormatException("Autoencoder needs a child module named \"encoder\""),
            Child(children, "decoder") ?? throw new FormatException("Autoencoder needs a child module named \"decoder\""),
            Child(children, "corruption")));
        ModuleRegistry.Register("MaskingNoise", (c, _) => new MaskingNoise(Number(c, "rate")));
        ModuleRegistry.Register("Upsample2d", (c, _) => new Upsample2d(Int(c, "factor")));
        ModuleRegistry.Register("Rbm", (c, _) => new Rbm(Int(c, "visible"), Int(c, "hidden")));
    }

    private static Module? Child(IReadOnlyList<(string Name, Module Module)> children, string name) =>
        children.FirstOrDefault(c => c.Name == name).Module;

    private static int Int(JsonObject config, string name) =>
        config[name]?.GetValue<int>() ?? throw new FormatException($"missing integer \"{name}\"");

    private static float Number(JsonObject config, string name) =>
        config[name]?.GetValue<float>() ?? throw new FormatException($"missing number \"{name}\"");
}
