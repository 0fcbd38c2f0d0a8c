using Dendrite.NN.Initializers;
using Dendrite.NN.Layers;
using Dendrite.Tensors;

namespace Dendrite.NN;

/// <summary>Named architectures, built from the library's layers, ready to train.</summary>
public static partial class Models
{
    /// <summary>
    /// A multilayer perceptron: <paramref name="sizes"/> = [inputs, hidden..., outputs]; every hidden
    /// layer is Dense → (BatchNorm) → activation → (Dropout); the output layer is linear (logits).
    /// </summary>
    /// <param name="sizes">Layer widths, e.g. [784, 500, 500, 10].</param>
    /// <param name="activation">Creates the hidden activation (ReLU when null); called once per hidden layer.</param>
    /// <param name="dropout">Drop rate after each hidden activation (0 for none).</param>
    /// <param name="batchNorm">Whether to normalise each hidden layer's pre-activations.</param>
    /// <param name="initializer">Weight initialiser for every layer (by default the activation's).</param>
    /// <param name="inputDropout">Drop rate on the inputs (Hinton et al. use 0.2).</param>
    /// <param name="generator">Random source for initialisation.</param>
    public static Sequential Mlp(IReadOnlyList<int> sizes, Func<ActivationLayer>? activation = null, float dropout = 0f, bool batchNorm = false,
        Initializer? initializer = null, float inputDropout = 0f, RandomGenerator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Count < 2 || sizes.Any(s => s <= 0))
            throw new ArgumentException($"An MLP needs at least an input and an output size, all positive; got [{string.Join(", ", sizes)}].", nameof(sizes));
        activation ??= () => new Relu();
        var model = new Sequential();
        if (inputDropout > 0) model.Add(new Dropout(inputDropout));
        for (int i = 0; i < sizes.Count - 2; i++)
        {
            ActivationLayer unit = activation();
            Initializer init = initializer ?? Dense.DefaultInitializer(unit);
            if (batchNorm)
            {
                model.Add(new Dense(sizes[i], sizes[i + 1], bias: false, weightInitializer: init, generator: generator));
                model.Add(new BatchNorm(sizes[i + 1]));
                model.Add(unit);
            }
            else
            {
                model.Add(new Dense(sizes[i], sizes[i + 1], unit, weightInitializer: init, generator: generator));
            }
            if (dropout > 0) model.Add(new Dropout(dropout));
        }
        model.Add(new Dense(sizes[^2], sizes[^1], weightInitializer: initializer, generator: generator));
        return model;
    }

    /// <summary>
    /// LeNet-5 (LeCun, Bottou, Bengio and Haffner 1998) for 28×28 inputs [N, 1, 28, 28], padded by 2 to
    /// the paper's 32×32 receptive geometry. <paramref name="classic"/> follows the paper: LeCun's
    /// scaled tanh, trainable subsampling (S2, S4), the sparse C3 connection table, C5 as a 5×5
    /// convolution, F6 with 84 units; the paper's RBF output layer is replaced by a dense layer of
    /// <paramref name="classes"/> logits. Its trainable parameters: C1 156, S2 12, C3 1,516, S4 32,
    /// C5 48,120, F6 10,164 (the paper's 60,000), plus 850 for the output. With <c>classic: false</c>,
    /// the common modern variant: ReLU, max pooling and full connections (61,706 parameters).
    /// </summary>
    public static Sequential LeNet5(int classes = 10, bool classic = true, RandomGenerator? generator = null)
    {
        if (classic)
            return new Sequential(
                new Conv2d(1, 6, 5, padding: 2, activation: new LecunTanh(), generator: generator),
                new TrainablePool2d(6, 2), new LecunTanh(),
                new SparseConv2d(6, SparseConv2d.LeNet5Table, 5, generator, new LecunTanh()),
                new TrainablePool2d(16, 2), new LecunTanh(),
                new Conv2d(16, 120, 5, activation: new LecunTanh(), generator: generator),
                new Flatten(),
                new Dense(120, 84, new LecunTanh(), generator: generator),
                new Dense(84, classes, generator: generator));
        return new Sequential(
            new Conv2d(1, 6, 5, padding: 2, activation: new Relu(), generator: generator),
            new MaxPool2d(2),
            new Conv2d(6, 16, 5, activation: new Relu(), generator: generator),
            new MaxPool2d(2),
            new Flatten(),
            new Dense(400, 120, new Relu(), generator: generator),
            new Dense(120, 84, new Relu(), generator: generator),
            new Dense(84, classes, generator: generator));
    }

    /// <summary>
    /// A plain convolutional network for 28×28 single-channel images, the usual strong baseline for
    /// Fashion-MNIST: 3×3 convolutions (<paramref name="width"/>, 2·width, ... channels, no bias), each
    /// followed by batch normalisation and ReLU, the first two by 2×2 max-pooling, then a dense layer of
    /// <paramref name="hidden"/> ReLU units with dropout and a dense classifier. Most of its weights are in
    /// the dense layer (2·width·7·7·hidden), most of its multiply-adds in the second convolution, so it
    /// has ten times the parameters of <see cref="ResNetSmall"/> at half the work per image.
    /// </summary>
    /// <param name="classes">Outputs (logits).</param>
    /// <param name="width">Channels of the first convolution; the second has twice as many.</param>
    /// <param name="hidden">Units of the dense hidden layer.</param>
    /// <param name="dropout">Dropout rate before the classifier, in [0, 1).</param>
    /// <param name="inChannels">Channels of the input images.</param>
    /// <param name="generator">Random source for the weights and the dropout masks.</param>
    /// <param name="stages">Convolution stages (1 to 4), each with twice the channels of the one before; the first two are followed by pooling.</param>
    public static Sequential ConvNet(int classes = 10, int width = 32, int hidden = 256, float dropout = 0.4f, int inChannels = 1, RandomGenerator? generator = null, int stages = 2)
    {
        if (width <= 0 || hidden <= 0 || classes <= 0 || inChannels <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"Models.ConvNet: classes, width, hidden and inChannels must be positive; got {classes}, {width}, {hidden}, {inChannels}.");
        if (stages is < 1 or > 4)
            throw new ArgumentOutOfRangeException(nameof(stages), $"Models.ConvNet: stages must be 1 to 4; got {stages}.");
        var model = new Sequential();
        int channels = inChannels, side = 28;
        for (int stage = 0; stage < stages; stage++)
        {
            int outChannels = width << stage;
            model.Add(new Conv2d(channels, outChannels, 3, padding: 1, bias: false, weightInitializer: Initializer.HeNormal, generator: generator));
            model.Add(new BatchNorm(outChannels));
            model.Add(new Relu());
            // Pool after the first two stages only: later stages work at 7x7, where pooling would throw away most positions.
            if (stage < 2)
            {
                model.Add(new MaxPool2d(2));
                side /= 2;
            }
            channels = outChannels;
        }
        model.Add(new Flatten());
        model.Add(new Dense(channels * side * side, hidden, new Relu(), generator: generator));
        model.Add(new Dropout(dropout, generator: generator));
        model.Add(new Dense(hidden, classes, generator: generator));
        return model;
    }

    /// <summary>
    /// A small ResNet for 28×28 single-channel images: a 3×3 stem of <paramref name="width"/> channels
    /// with batch normalisation, three residual stages (width, 2·width with stride 2, 4·width with
    /// stride 2; <paramref name="blocksPerStage"/> blocks each), global average pooling and a dense
    /// classifier.
    /// </summary>
    public static Sequential ResNetSmall(int classes = 10, int width = 16, int blocksPerStage = 1, int inChannels = 1, RandomGenerator? generator = null)
    {
        var model = new Sequential(
            new Conv2d(inChannels, width, 3, padding: 1, bias: false, weightInitializer: Initializer.HeNormal, generator: generator),
            new BatchNorm(width),
            new Relu());
        int channels = width;
        for (int stage = 0; stage < 3; stage++)
        {
            int outChannels = width << stage;
            for (int block = 0; block < blocksPerStage; block++)
            {
                model.Add(new ResidualBlock(channels, outChannels, block == 0 && stage > 0 ? 2 : 1, generator));
                channels = outChannels;
            }
        }
        model.Add(new GlobalAveragePool());
        model.Add(new Dense(channels, classes, generator: generator));
        return model;
    }

    /// <summary>
    /// A small decoder-only causal language model (GPT-style): token embedding and learned positions, a
    /// stack of pre-norm Transformer blocks with causal self-attention, a final layer norm and a linear
    /// head. Token indices [batch, time ≤ <paramref name="contextLength"/>] → logits [batch, time, V].
    /// </summary>
    public static TransformerLanguageModel CausalTransformer(int vocabularySize, int contextLength, int modelDimension = 128, int numHeads = 4,
        int numLayers = 2, float dropout = 0.1f, RandomGenerator? generator = null) =>
        new(vocabularySize, contextLength, modelDimension, numHeads, numLayers, 0, dropout, generator);

    /// <summary>
    /// A character-level LSTM language model (char-rnn): token embedding, <paramref name="numLayers"/>
    /// LSTM layers of <paramref name="hiddenSize"/> units, a linear head. Token indices [batch, time] →
    /// logits [batch, time, V]; carry the state across chunks for truncated backpropagation through time.
    /// </summary>
    public static RecurrentLanguageModel LstmLanguageModel(int vocabularySize, int embeddingDimension = 64, int hiddenSize = 256, int numLayers = 1,
        float dropout = 0f, RandomGenerator? generator = null) =>
        new(vocabularySize, embeddingDimension, hiddenSize, numLayers, dropout, generator);
}
