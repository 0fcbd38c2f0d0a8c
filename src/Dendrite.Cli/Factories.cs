using System.Globalization;
using Dendrite.NN;
using Dendrite.NN.Initializers;
using Dendrite.NN.Layers;
using Dendrite.Optim;
using Dendrite.Optim.FullBatch;
using Dendrite.Tensors;

namespace Dendrite.Cli;

/// <summary>Turns the option strings of <c>dendrite train</c> into models and optimisers, with messages that list what is accepted.</summary>
internal static class Factories
{
    public const string ModelNames = "mlp, a layer-size list such as 784-500-500-10, lenet5, lenet5-modern, resnet-small, convnet, convnet-3";
    public const string OptimizerNames = "sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, adamw, nadam, rprop, delta-bar-delta, cg, bfgs, lbfgs, newton";

    /// <summary>True for models that take images [N, 1, H, W] rather than flat features.</summary>
    public static bool IsImageModel(string model) => model.Trim().ToLowerInvariant() is "lenet5" or "lenet5-modern" or "resnet-small" or "convnet" or "convnet-3";

    public static Module CreateModel(string spec, PreparedData data, string activation, string? init, float dropout, bool batchNorm, RandomGenerator generator)
    {
        string key = spec.Trim().ToLowerInvariant();
        switch (key)
        {
            case "lenet5" or "lenet5-modern":
                RequireImages(data, 28, key);
                return Models.LeNet5(data.Outputs, classic: key == "lenet5", generator);
            case "resnet-small":
                RequireImages(data, 28, key);
                return Models.ResNetSmall(data.Outputs, generator: generator);
            case "convnet" or "convnet-3":
                RequireImages(data, 28, key);
                return Models.ConvNet(data.Outputs, generator: generator, stages: key == "convnet" ? 2 : 3);
        }
        int[] sizes;
        if (key == "mlp")
        {
            int hidden = data.Inputs >= 512 ? 500 : data.Inputs >= 32 ? 256 : 16;
            sizes = data.Inputs >= 512 ? [data.Inputs, hidden, hidden, data.Outputs] : [data.Inputs, hidden, data.Outputs];
        }
        else
        {
            string[] parts = key.Split('-', ',', 'x');
            if (parts.Length < 2 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0))
                throw new ArgumentException($"--model: '{spec}' is not a model. Known: {ModelNames}.");
            sizes = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            if (sizes[0] != data.Inputs)
                throw new ArgumentException($"--model {spec}: the first size is {sizes[0]}, but {data.Name} has {data.Inputs} input features; use {data.Inputs}-...-{data.Outputs}.");
            if (sizes[^1] != data.Outputs)
                throw new ArgumentException($"--model {spec}: the last size is {sizes[^1]}, but {data.Name} has {data.Outputs} {(data.IsClassification ? "classes" : "targets")}; use ...-{data.Outputs}.");
        }
        ActivationLayer.FromName(activation); // validates the name before any layer is built
        Initializer? initializer = init is null ? null : Initializer.FromName(init);
        return Models.Mlp(sizes, () => ActivationLayer.FromName(activation), dropout, batchNorm, initializer, generator: generator);
    }

    private static void RequireImages(PreparedData data, int size, string model)
    {
        if (data.Train.Features.Rank != 4 || data.Train.Features.Shape[2] != size || data.Train.Features.Shape[3] != size)
            throw new ArgumentException($"--model {model} takes {size}x{size} single-channel images; {data.Name} has samples of shape {data.Train.SampleShape}. Use --data fashion-mnist.");
    }

    /// <summary>The default learning rate of each optimiser when --lr is not given (Adam's 0.003 is a little above the usual 0.001 so that the default digits run converges in 40 short epochs).</summary>
    public static float DefaultLearningRate(string optimizer) => optimizer.Trim().ToLowerInvariant() switch
    {
        "sgd" => 0.1f,
        "momentum" or "nesterov" => 0.02f,
        "adagrad" => 0.01f,
        "rmsprop" => 0.001f,
        "adadelta" => 1f,
        "rprop" => 0.01f,
        "delta-bar-delta" => 0.01f,
        "cg" or "bfgs" or "lbfgs" or "newton" => 1f,
        "adam" or "adamw" or "nadam" => 0.003f,
        _ => 0.001f,
    };

    public static Optimizer CreateOptimizer(string name, IEnumerable<Parameter> parameters, float learningRate) => name.Trim().ToLowerInvariant() switch
    {
        "sgd" => new Sgd(parameters, learningRate),
        "momentum" => new Sgd(parameters, learningRate, momentum: 0.9f),
        "nesterov" => new Sgd(parameters, learningRate, momentum: 0.9f, nesterov: true),
        "adagrad" => new AdaGrad(parameters, learningRate),
        "rmsprop" => new RmsProp(parameters, learningRate),
        "adadelta" => new AdaDelta(parameters, learningRate),
        "adam" => new Adam(parameters, learningRate),
        "adamw" => new AdamW(parameters, learningRate),
        "nadam" => new NAdam(parameters, learningRate),
        "rprop" => new Rprop(parameters, learningRate),
        "delta-bar-delta" => new DeltaBarDelta(parameters, learningRate),
        "cg" => new ConjugateGradient(parameters, learningRate, maxIterations: 10),
        "bfgs" => new Bfgs(parameters, learningRate, maxIterations: 10),
        "lbfgs" => new Lbfgs(parameters, learningRate),
        "newton" => new Newton(parameters, learningRate),
        _ => throw new ArgumentException($"--optimizer: '{name}' is not an optimiser. Known: {OptimizerNames}."),
    };

    /// <summary>True for optimisers that need the whole training set in each step.</summary>
    public static bool IsFullBatch(string name) => name.Trim().ToLowerInvariant() is "cg" or "bfgs" or "lbfgs" or "newton";
}
