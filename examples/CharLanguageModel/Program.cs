// Character-level language models on the English word list (SCOWL, 104,334 words): an LSTM trained
// with truncated backpropagation through time and a small causal Transformer, side by side, against a
// character-bigram count model on the same held-out words. The measure is the validation
// cross-entropy in bits per character: how many bits an ideal coder guided by the model needs for
// each character of words it has never seen (the newline ending each word included). Then each model
// invents new words from a seed.
//
//   dotnet run -c Release --project examples/CharLanguageModel                 # both models (about 3 minutes on 2 cores)
//   dotnet run -c Release --project examples/CharLanguageModel -- --model lstm --epochs 2
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using Dendrite.Autograd;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Ops;
using Dendrite.Optim;
using Dendrite.Tensors;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string which = "both";
int lstmEpochs = 4, transformerSteps = 1200, wordLimit = int.MaxValue;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--model" when i + 1 < args.Length: which = args[++i]; break;
        case "--epochs" when i + 1 < args.Length: lstmEpochs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--transformer-steps" when i + 1 < args.Length: transformerSteps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--words" when i + 1 < args.Length: wordLimit = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine("usage: CharLanguageModel [--model lstm|transformer|both] [--epochs N] [--transformer-steps N] [--words N]");
            return 2;
    }
}

// ---- Data: the word list, shuffled, 90 % of the words to train on and 10 % held out ----
const int Streams = 32, Chunk = 64;
string[] words = ReadWords(Path.Combine(AppContext.BaseDirectory, "data", "words-american-english.txt.gz"));
var shuffler = new RandomGenerator(42);
for (int i = words.Length - 1; i > 0; i--)
{
    int j = shuffler.NextInt(i + 1);
    (words[i], words[j]) = (words[j], words[i]);
}
words = words.Take(wordLimit).ToArray();
int validationCount = words.Length / 10;
string[] trainWords = words[validationCount..], validationWords = words[..validationCount];
var dictionary = new HashSet<string>(words, StringComparer.Ordinal);
var vocabulary = CharacterVocabulary.Build([.. words, "\n"]);
int newline = vocabulary.IndexOf('\n');
// Each word is its letters and a newline; the streams are the words one after another.
int[] trainTokens = vocabulary.Encode("\n" + string.Join('\n', trainWords) + "\n");
int[] validationTokens = vocabulary.Encode("\n" + string.Join('\n', validationWords) + "\n");
Tensor trainStreams = Sequences.Streams(trainTokens, Streams);            // [32, S]: 32 parallel stretches of the training text
Tensor validationStreams = Sequences.Streams(validationTokens, 16);      // [16, S']
Console.WriteLine($"{words.Length:N0} words: {trainWords.Length:N0} to train on ({trainTokens.Length:N0} characters), {validationWords.Length:N0} held out ({validationTokens.Length:N0}); {vocabulary.Count} symbols");

// ---- Baseline: character bigram counts, with the smoothing that suits the held-out words best ----
(double Bits, double K) bigram = (double.MaxValue, 0);
foreach (double k in new[] { 1.0, 0.3, 0.1, 0.03, 0.01, 0.003 })
{
    var counts = new BigramModel(vocabulary.Count, k);
    counts.Fit(trainTokens);
    double bits = BigramBits(counts, validationStreams);
    if (bits < bigram.Bits) bigram = (bits, k);
}
Console.WriteLine($"character bigram (add-{bigram.K} smoothing, the best on the held-out words): {bigram.Bits:F3} bits/char");
var results = new List<(string Model, long Parameters, double Seconds, double Bits)> { ("character bigram", (long)vocabulary.Count * vocabulary.Count, 0, bigram.Bits) };
var samples = new List<(string Model, string[] Words)>();
string[] prompts = ["\n", "\n", "\n", "\n", "\nun", "\nre", "\nst", "\nqu", "\nph", "\nch"];

if (which is "lstm" or "both") TrainLstm();
if (which is "transformer" or "both") TrainTransformer();

Console.WriteLine();
Console.WriteLine($"{"model",-34} {"parameters",10} {"train time",11} {"bits/char",10} {"vs bigram",10}");
foreach (var (name, parameters, seconds, bits) in results)
    Console.WriteLine($"{name,-34} {parameters,10:N0} {(seconds > 0 ? $"{seconds:F0} s" : "-"),11} {bits,10:F3} {bits - bigram.Bits,10:+0.000;-0.000;0}");
foreach (var (name, sampled) in samples)
{
    Console.WriteLine();
    Console.WriteLine($"{name}, words sampled at temperature 0.8 (seed shown before '|'; * = not in the word list):");
    Console.WriteLine("  " + string.Join("  ", sampled));
}
return 0;

// ---- The LSTM: 64-dimensional embedding, 256 units, truncated BPTT over chunks of 64 steps ----
void TrainLstm()
{
    RecurrentLanguageModel model = Models.LstmLanguageModel(vocabulary.Count, embeddingDimension: 64, hiddenSize: 256, generator: new RandomGenerator(1));
    var optimizer = new Adam(model.Parameters(), learningRate: 3e-3f) { ClipNorm = 1f };
    int steps = trainStreams.Shape[1];
    Console.WriteLine();
    Console.WriteLine($"{model.Describe()}: {model.ParameterCount().Trainable:N0} parameters; {Streams} streams x {Chunk} steps per update, state carried across chunks and detached");
    var clock = Stopwatch.StartNew();
    for (int epoch = 1; epoch <= lstmEpochs; epoch++)
    {
        if (epoch == lstmEpochs) optimizer.LearningRate = 1e-3f;   // a gentler last epoch
        RecurrentState? state = null;
        double nats = 0;
        int updates = 0;
        var epochClock = Stopwatch.StartNew();
        for (int start = 0; start + Chunk < steps; start += Chunk)
        {
            var (inputs, targets) = Sequences.NextTokenChunk(trainStreams, start, Chunk);
            optimizer.ZeroGrad();
            RecurrentOutput output = model.Forward(inputs, state);
            state = output.State.Detach();   // keep the values, cut the graph: truncated backpropagation through time
            Tensor loss = output.Output.Reshape(Streams * Chunk, vocabulary.Count).SoftmaxCrossEntropy(targets);
            nats += loss.Item();
            updates++;
            loss.Backward();
            optimizer.Step();
        }
        double validation = model.CrossEntropyBits(validationStreams);
        Console.WriteLine($"  epoch {epoch}: train {nats / updates / Math.Log(2):F3} bits/char, validation {validation:F3} bits/char, "
            + $"{epochClock.Elapsed.TotalSeconds:F0} s ({updates * Streams * Chunk / epochClock.Elapsed.TotalSeconds:N0} tokens/s)");
    }
    double seconds = clock.Elapsed.TotalSeconds;
    double final = model.CrossEntropyBits(validationStreams);
    results.Add(($"LSTM ({model.Lstm.HiddenSize} units, truncated BPTT)", model.ParameterCount().Trainable, seconds, final));
    samples.Add(("LSTM", Sample((prompt, generator) => model.Generate(prompt, 30, generator, 0.8f, newline))));
}

// ---- The Transformer: 2 pre-norm blocks of width 128 with 4 heads, causal, context 64 ----
void TrainTransformer()
{
    // No dropout: a few passes over 0.9 M characters do not overfit 0.4 M parameters, and the masks would cost a third of the time.
    TransformerLanguageModel model = Models.CausalTransformer(vocabulary.Count, contextLength: Chunk, modelDimension: 128, numHeads: 4, numLayers: 2,
        dropout: 0f, generator: new RandomGenerator(1));
    var optimizer = new Adam(model.Parameters(), learningRate: 1e-3f) { ClipNorm = 1f };
    var windows = new RandomGenerator(2);
    Console.WriteLine();
    Console.WriteLine($"{model.Describe()}: {model.ParameterCount().Trainable:N0} parameters; {transformerSteps} updates of {Streams} random windows of {Chunk}");
    var clock = Stopwatch.StartNew();
    double nats = 0;
    for (int step = 1; step <= transformerSteps; step++)
    {
        optimizer.LearningRate = 1e-3f * Math.Min(1f, step / 100f) * (step > transformerSteps * 3 / 4 ? 0.3f : 1f);   // warm-up, then a lower tail
        var inputs = new float[Streams * Chunk];
        var targets = new int[Streams * Chunk];
        for (int b = 0; b < Streams; b++)
        {
            int start = windows.NextInt(trainTokens.Length - Chunk - 1);
            for (int t = 0; t < Chunk; t++)
            {
                inputs[b * Chunk + t] = trainTokens[start + t];
                targets[b * Chunk + t] = trainTokens[start + t + 1];
            }
        }
        optimizer.ZeroGrad();
        Tensor loss = model.Forward(Tensor.FromArray(inputs, new Shape(Streams, Chunk))).Reshape(Streams * Chunk, vocabulary.Count).SoftmaxCrossEntropy(targets);
        nats += loss.Item();
        loss.Backward();
        optimizer.Step();
        if (step % 300 == 0 || step == transformerSteps)
        {
            Console.WriteLine($"  update {step}: train {nats / Math.Min(step, 300) / Math.Log(2):F3} bits/char (last 300), {clock.Elapsed.TotalSeconds:F0} s "
                + $"({step * Streams * Chunk / clock.Elapsed.TotalSeconds:N0} tokens/s)");
            nats = 0;
        }
    }
    double seconds = clock.Elapsed.TotalSeconds;
    double validation = model.CrossEntropyBits(validationStreams);
    Console.WriteLine($"  validation {validation:F3} bits/char");
    results.Add(($"Transformer (2 blocks, d = 128)", model.ParameterCount().Trainable, seconds, validation));
    samples.Add(("Transformer", Sample((prompt, generator) => model.Generate(prompt, 30, generator, 0.8f, newline))));
}

// Words continued from each prompt: the seed, '|', the sampled rest; * marks an invented word.
string[] Sample(Func<int[], RandomGenerator, int[]> generate)
{
    var generator = new RandomGenerator(7);
    var sampled = new List<string>();
    foreach (string prompt in prompts)
    {
        int[] continuation = generate(vocabulary.Encode(prompt), generator);
        string rest = vocabulary.Decode(continuation).TrimEnd('\n');
        string word = prompt.TrimStart('\n') + rest;
        sampled.Add($"{prompt.TrimStart('\n')}|{rest}{(dictionary.Contains(word) ? "" : "*")}");
    }
    return [.. sampled];
}

// Bits per character of the bigram model over the same predictions the neural models make: each token of
// each validation stream from its second on.
static double BigramBits(BigramModel model, Tensor streams)
{
    var (rows, steps) = streams.Shape.Dims2("streams");
    float[] tokens = streams.ToArray();
    double bits = 0;
    for (int r = 0; r < rows; r++)
        for (int t = 1; t < steps; t++) bits -= Math.Log2(model.Probability((int)tokens[r * steps + t - 1], (int)tokens[r * steps + t]));
    return bits / (rows * (steps - 1));
}

static string[] ReadWords(string path)
{
    using var file = File.OpenRead(path);
    using var gzip = new GZipStream(file, CompressionMode.Decompress);
    using var reader = new StreamReader(gzip);
    return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
