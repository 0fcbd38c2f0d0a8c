using System.Text.Json.Nodes;
using Dendrite.NN.Layers;
using Dendrite.NN.Regularizers;

namespace Dendrite.NN;

/// <summary>
/// Builds a module from its architecture JSON: a type name, the constructor arguments its
/// <see cref="Module.WriteConfig"/> wrote, and its already-built children. The built-in layers
/// are registered; register your own module types to make them loadable by <c>Model.Load</c>.
/// </summary>
public static class ModuleRegistry
{
    /// <summary>Creates a module from its config and its children (name, module) in registration order.</summary>
    public delegate Module Factory(JsonObject config, IReadOnlyList<(string Name, Module Module)> children);

    private static readonly Dictionary<string, Factory> Factories = new(StringComparer.Ordinal);

    static ModuleRegistry()
    {
        Register("Sequential", (_, children) => new Sequential(children.Select(c => c.Module)));
        Register("Dense", (c, children) => new Dense(
            Int(c, "inFeatures"), Int(c, "outFeatures"),
            activation: Child(children, "activation") as ActivationLayer,
            bias: c["bias"]?.GetValue<bool>() ?? true,
            weightRegularizer: c["weightRegularizer"] is JsonNode r ? Regularizer.FromJson(new JsonObject { ["name"] = r.GetValue<string>() }) : null,
            weightConstraint: c["weightConstraint"] is JsonNode k ? Constraint.FromName(k.GetValue<string>()) : null));
        Register("Identity", (_, _) => new Identity());
        Register("Sigmoid", (_, _) => new Sigmoid());
        Register("Tanh", (_, _) => new Tanh());
        Register("LecunTanh", (_, _) => new LecunTanh());
        Register("Relu", (_, _) => new Relu());
        Register("LeakyRelu", (c, _) => new LeakyRelu(Float(c, "negativeSlope")));
        Register("Elu", (c, _) => new Elu(Float(c, "alpha")));
        Register("Softplus", (_, _) => new Softplus());
        Register("Gelu", (_, _) => new Gelu());
        Register("Silu", (_, _) => new Silu());
        Register("Softmax", (c, _) => new Softmax(Int(c, "axis")));
        Register("LogSoftmax", (c, _) => new LogSoftmax(Int(c, "axis")));
        Register("NoisyRelu", (c, _) => new NoisyRelu(Float(c, "standardDeviation")));
        Register("Flatten", (c, _) => new Flatten(Int(c, "startAxis")));
        Register("Reshape", (c, _) => new Reshape(Ints(c, "shape")));
        Register("Embedding", (c, _) => new Embedding(Int(c, "numEmbeddings"), Int(c, "embeddingDimension")));
        Register("Residual", (_, children) => new Residual(Required(children, "body", type: "Residual")));
        Register("Concatenate", (c, children) => new Concatenate(Int(c, "axis"), children.Select(x => x.Module)));
        Register("BatchNorm", (c, _) => new BatchNorm(Int(c, "numFeatures"), Float(c, "momentum"), Float(c, "epsilon"), Bool(c, "affine")));
        Register("LayerNorm", (c, _) => new LayerNorm(Ints(c, "normalizedShape"), Float(c, "epsilon"), Bool(c, "affine")));
        Register("WeightNorm", (_, children) => new WeightNorm(Required(children, "layer", type: "wrapper")));
        Register("Dropout", (c, _) => new Dropout(Float(c, "rate"), Enum.Parse<DropoutScaling>(c["scaling"]?.GetValue<string>() ?? nameof(DropoutScaling.Inverted))));
        Register("DropConnect", (c, children) => new DropConnect(Required(children, "layer", type: "wrapper"), Float(c, "rate")));
        Register("GaussianNoise", (c, _) => new GaussianNoise(Float(c, "standardDeviation")));
        Register("GaussianDropout", (c, _) => new GaussianDropout(Float(c, "rate")));
        Register("Conv2d", (c, children) => new Conv2d(Int(c, "inChannels"), Int(c, "outChannels"), Pair(c, "kernel"), Pair(c, "stride"),
            Padding.FromJson(c["padding"]), Pair(c, "dilation"), Int(c, "groups"), Bool(c, "bias"), Child(children, "activation") as ActivationLayer));
        Register("Conv1d", (c, children) => new Conv1d(Int(c, "inChannels"), Int(c, "outChannels"), Int(c, "kernel"), Int(c, "stride"),
            Padding.FromJson(c["padding"]), Int(c, "dilation"), Int(c, "groups"), Bool(c, "bias"), Child(children, "activation") as ActivationLayer));
        Register("MaxPool2d", (c, _) => new MaxPool2d(Int(c, "kernel"), Int(c, "stride"), Int(c, "padding")));
        Register("AvgPool2d", (c, _) => new AvgPool2d(Int(c, "kernel"), Int(c, "stride"), Int(c, "padding"), Bool(c, "countIncludePad")));
        Register("TrainablePool2d", (c, _) => new TrainablePool2d(Int(c, "channels"), Int(c, "kernel"), Int(c, "stride")));
        Register("GlobalAveragePool", (_, _) => new GlobalAveragePool());
        Register("GlobalMaxPool", (_, _) => new GlobalMaxPool());
        Register("ResidualBlock", (c, _) => new ResidualBlock(Int(c, "inChannels"), Int(c, "outChannels"), Int(c, "stride")));
        Register("InceptionBlock", (c, _) =>
        {
            int[] s = Ints(c, "sizes");
            return new InceptionBlock(s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
        });
        Register("SparseConv2d", (c, children) => new SparseConv2d(Int(c, "inChannels"),
            (c["connections"] as JsonArray ?? throw new FormatException("missing \"connections\"")).Select(row => (row as JsonArray ?? throw new FormatException("bad connection row")).Select(v => v!.GetValue<int>()).ToArray()).ToArray(),
            Int(c, "kernel"), activation: Child(children, "activation") as ActivationLayer));
        Register("AdaptiveAvgPool2d", (c, _) => new AdaptiveAvgPool2d(Int(c, "outputHeight"), Int(c, "outputWidth")));
        Register("LocalResponseNorm", (c, _) => new LocalResponseNorm(Int(c, "size"), Float(c, "alpha"), Float(c, "beta"), Float(c, "k")));
        Register("BottleneckBlock", (c, _) => new BottleneckBlock(Int(c, "inChannels"), Int(c, "width"), Int(c, "stride")));
        Register("Seq2Seq", (c, _) => new Seq2Seq(Int(c, "vocabularySize"), Int(c, "embeddingDimension"), Int(c, "hiddenSize"), Bool(c, "attention"), Int(c, "beginToken")));
        Register("Shakeout", (c, children) => new Shakeout((Dense)Required(children, "layer", type: "wrapper"), Float(c, "tau"), Float(c, "c")));
        // Sequence models: recurrent layers and cells, attention, Transformer blocks, language models.
        Register("Rnn", (c, _) => new Rnn(Int(c, "inputSize"), Int(c, "hiddenSize"), Int(c, "numLayers"), c["nonlinearity"]?.GetValue<string>() ?? "tanh",
            Bool(c, "bidirectional"), Bool(c, "bias"), Float(c, "dropout"), Float(c, "zoneout"), Bool(c, "returnSequences")));
        Register("Lstm", (c, _) => new Lstm(Int(c, "inputSize"), Int(c, "hiddenSize"), Int(c, "numLayers"), Bool(c, "bidirectional"), Bool(c, "bias"),
            Float(c, "dropout"), Float(c, "zoneout"), Bool(c, "peepholes"), returnSequences: Bool(c, "returnSequences")));
        Register("Gru", (c, _) => new Gru(Int(c, "inputSize"), Int(c, "hiddenSize"), Int(c, "numLayers"), Bool(c, "bidirectional"), Bool(c, "bias"),
            Float(c, "dropout"), Float(c, "zoneout"), Bool(c, "returnSequences")));
        Register("RnnCell", (c, _) => new RnnCell(Int(c, "inputSize"), Int(c, "hiddenSize"), Bool(c, "bias"), c["nonlinearity"]?.GetValue<string>() ?? "tanh"));
        Register("LstmCell", (c, _) => new LstmCell(Int(c, "inputSize"), Int(c, "hiddenSize"), Bool(c, "bias"), Bool(c, "peepholes")));
        Register("GruCell", (c, _) => new GruCell(Int(c, "inputSize"), Int(c, "hiddenSize"), Bool(c, "bias")));
        Register("MultiHeadAttention", (c, _) => new MultiHeadAttention(Int(c, "embedDimension"), Int(c, "numHeads"), Float(c, "dropout"), Bool(c, "bias")));
        Register("SinusoidalPositionalEncoding", (c, _) => new SinusoidalPositionalEncoding(Int(c, "modelDimension"), Int(c, "maxLength")));
        Register("LearnedPositionalEncoding", (c, _) => new LearnedPositionalEncoding(Int(c, "maxLength"), Int(c, "modelDimension")));
        Register("TransformerEncoderLayer", (c, _) => new TransformerEncoderLayer(Int(c, "modelDimension"), Int(c, "numHeads"), Int(c, "feedforwardDimension"),
            Float(c, "dropout"), c["activation"]?.GetValue<string>() ?? "relu", Float(c, "layerNormEpsilon"), Bool(c, "normFirst")));
        Register("TransformerDecoderLayer", (c, _) => new TransformerDecoderLayer(Int(c, "modelDimension"), Int(c, "numHeads"), Int(c, "feedforwardDimension"),
            Float(c, "dropout"), c["activation"]?.GetValue<string>() ?? "relu", Float(c, "layerNormEpsilon"), Bool(c, "normFirst")));
        Register("TransformerLanguageModel", (c, _) => new TransformerLanguageModel(Int(c, "vocabularySize"), Int(c, "contextLength"), Int(c, "modelDimension"),
            Int(c, "numHeads"), Int(c, "numLayers"), Int(c, "feedforwardDimension"), Float(c, "dropout")));
        Register("RecurrentLanguageModel", (c, _) => new RecurrentLanguageModel(Int(c, "vocabularySize"), Int(c, "embeddingDimension"), Int(c, "hiddenSize"),
            Int(c, "numLayers"), Float(c, "dropout")));
    }

    /// <summary>Registers (or replaces) the factory for <paramref name="typeName"/> (a module's <see cref="Module.TypeName"/>).</summary>
    public static void Register(string typeName, Factory factory)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeName);
        ArgumentNullException.ThrowIfNull(factory);
        lock (Factories) Factories[typeName] = factory;
    }

    /// <summary>The module described by <paramref name="node"/> (an object with "type", "config" and "children"), built recursively.</summary>
    public static Module Create(JsonObject node)
    {
        ArgumentNullException.ThrowIfNull(node);
        string type = node["type"]?.GetValue<string>() ?? throw new FormatException("A module in the architecture JSON has no \"type\".");
        Factory? factory;
        lock (Factories) Factories.TryGetValue(type, out factory);
        if (factory is null)
            throw new FormatException($"The architecture names module type '{type}', which is not registered. Register a factory with ModuleRegistry.Register(\"{type}\", ...) before loading.");
        var children = new List<(string, Module)>();
        if (node["children"] is JsonArray array)
            foreach (JsonNode? child in array)
            {
                var childObject = child as JsonObject ?? throw new FormatException($"A child of '{type}' is not a JSON object.");
                children.Add((childObject["name"]?.GetValue<string>() ?? "", Create(childObject)));
            }
        var config = node["config"] as JsonObject ?? [];
        try
        {
            return factory(config, children);
        }
        catch (Exception error) when (error is InvalidOperationException or FormatException or InvalidCastException)
        {
            throw new FormatException($"Cannot build '{type}' from config {config.ToJsonString()}: {error.Message}", error);
        }
    }

    /// <summary>Describes <paramref name="module"/> and its children as JSON (what <see cref="Create"/> reads).</summary>
    public static JsonObject Describe(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var config = new JsonObject();
        module.WriteConfig(config);
        var children = new JsonArray();
        foreach (var (name, child) in module.NamedChildren())
        {
            JsonObject description = Describe(child);
            description.Insert(0, "name", name);
            children.Add((JsonNode)description);
        }
        var node = new JsonObject { ["type"] = module.TypeName, ["config"] = config };
        if (children.Count > 0) node["children"] = children;
        return node;
    }

    private static int Int(JsonObject config, string name) =>
        config[name]?.GetValue<int>() ?? throw new FormatException($"missing integer \"{name}\"");

    private static float Float(JsonObject config, string name) =>
        config[name]?.GetValue<float>() ?? throw new FormatException($"missing number \"{name}\"");

    private static (int, int) Pair(JsonObject config, string name)
    {
        int[] values = Ints(config, name);
        return values.Length == 2 ? (values[0], values[1]) : throw new FormatException($"\"{name}\" must hold two integers");
    }

    private static bool Bool(JsonObject config, string name) =>
        config[name]?.GetValue<bool>() ?? throw new FormatException($"missing boolean \"{name}\"");

    private static int[] Ints(JsonObject config, string name) =>
        (config[name] as JsonArray ?? throw new FormatException($"missing array \"{name}\"")).Select(n => n?.GetValue<int>() ?? throw new FormatException($"null in \"{name}\"")).ToArray();

    private static Module Required(IReadOnlyList<(string Name, Module Module)> children, string name, string type) =>
        Child(children, name) ?? throw new FormatException($"{type} needs a child module named \"{name}\"");

    private static Module? Child(IReadOnlyList<(string Name, Module Module)> children, string name) =>
        children.FirstOrDefault(c => c.Name == name).Module;
}
