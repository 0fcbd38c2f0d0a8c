using System.Globalization;
using System.IO.Compression;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Training;
using Xunit.Abstractions;

namespace Dendrite.Tests.Data;

public class SequencesTests(ITestOutputHelper output)
{
    [Fact]
    public void WindowsPairEachStretchWithTheValueAfterIt()
    {
        Dataset windows = Sequences.Windows([1, 2, 3, 4, 5, 6], window: 3);
        Assert.Equal([3, 3, 1], windows.Features.Shape.ToArray());
        Assert.Equal(new float[] { 1, 2, 3, 2, 3, 4, 3, 4, 5 }, windows.Features.ToArray());
        Assert.Equal(new float[] { 4, 5, 6 }, windows.Targets.ToArray());
        Assert.Equal(new float[] { 5, 6 }, Sequences.Windows([1, 2, 3, 4, 5, 6], window: 3, horizon: 2).Targets.ToArray());
        Assert.Throws<ArgumentException>(() => Sequences.Windows([1, 2, 3], window: 3));
    }

    [Fact]
    public void TheSplitKeepsTimeOrder()
    {
        Dataset windows = Sequences.Windows(Enumerable.Range(0, 23).Select(i => (float)i).ToArray(), window: 3);   // 20 samples, targets 3..22
        var (train, validation, test) = Sequences.SplitInTimeOrder(windows, 0.7, 0.15);
        Assert.Equal((14, 3, 3), (train.Count, validation.Count, test.Count));
        Assert.Equal(Enumerable.Range(3, 14).Select(i => (float)i), train.Targets.ToArray());
        Assert.Equal(new float[] { 17, 18, 19 }, validation.Targets.ToArray());
        Assert.Equal(new float[] { 20, 21, 22 }, test.Targets.ToArray());
    }

    [Fact]
    public void PaddingMarksRealPositionsAndPadding()
    {
        PaddedBatch batch = Sequences.Pad([[5, 6, 7], [8], [9, 10]], padValue: 0);
        Assert.Equal(new float[] { 5, 6, 7, 8, 0, 0, 9, 10, 0 }, batch.Tokens.ToArray());
        Assert.Equal(new float[] { 1, 1, 1, 1, 0, 0, 1, 1, 0 }, batch.Mask.ToArray());
        Assert.Equal(new float[] { 0, 0, 0, 0, 1, 1, 0, 0, 1 }, batch.PaddingMask.ToArray());
        Assert.Equal([3, 1, 2], batch.Lengths);
        Assert.Equal(6, batch.RealPositions);
        Assert.Equal([2, 5], Sequences.Pad([[1], [2, 3]], length: 5).Tokens.Shape.ToArray());
    }

    [Fact]
    public void BatchesOfSimilarLengthsPadLittle()
    {
        int[][] sequences = [[1, 2, 3, 4], [5], [6, 7], [8, 9, 10], [11], [12, 13]];
        PaddedBatch[] batches = Sequences.PaddedBatches(sequences, batchSize: 2, generator: new RandomGenerator(1)).ToArray();
        Assert.Equal(3, batches.Length);
        Assert.Equal(new[] { 1, 2, 4 }, batches.Select(b => b.Tokens.Shape[1]).Order());       // lengths {1,1}, {2,2}, {3,4}
        Assert.Equal(sequences.Sum(s => s.Length), batches.Sum(b => b.RealPositions));
        PaddedBatch[] inOrder = Sequences.PaddedBatches(sequences, batchSize: 4, bucketByLength: false).ToArray();
        Assert.Equal([4, 1, 2, 3], inOrder[0].Lengths);
        Assert.Equal([1, 2], inOrder[1].Lengths);
    }

    [Fact]
    public void PaddedKeysGetNoAttentionAndPaddedPositionsNoLoss()
    {
        // Right-padded sequences through self-attention with the key padding mask: the real positions do not
        // depend on what the padding holds, and a loss masked by Mask ignores the padded positions.
        PaddedBatch a = Sequences.Pad([[1, 2, 3], [4]], padValue: 0), b = Sequences.Pad([[1, 2, 3], [4]], padValue: 7);
        var embedding = new Embedding(8, 4, generator: new RandomGenerator(1));
        var attention = new MultiHeadAttention(4, 2, generator: new RandomGenerator(2));
        float[] outA = attention.Forward(embedding.Forward(a.Tokens), embedding.Forward(a.Tokens), embedding.Forward(a.Tokens), keyPaddingMask: a.PaddingMask).Output.ToArray();
        float[] outB = attention.Forward(embedding.Forward(b.Tokens), embedding.Forward(b.Tokens), embedding.Forward(b.Tokens), keyPaddingMask: b.PaddingMask).Output.ToArray();
        float[] mask = a.Mask.ToArray();
        for (int position = 0; position < mask.Length; position++)
            if (mask[position] == 1f)
                for (int f = 0; f < 4; f++) Assert.Equal(outA[position * 4 + f], outB[position * 4 + f], 5);
    }

    [Fact]
    public void StreamsAndChunksLineUpForTruncatedBackpropagation()
    {
        int[] tokens = Enumerable.Range(0, 21).ToArray();
        Tensor streams = Sequences.Streams(tokens, 2);           // [2, 10]: 0..9 and 10..19 (20 dropped)
        Assert.Equal([2, 10], streams.Shape.ToArray());
        var (inputs, targets) = Sequences.NextTokenChunk(streams, 4, 3);
        Assert.Equal(new float[] { 4, 5, 6, 14, 15, 16 }, inputs.ToArray());
        Assert.Equal([5, 6, 7, 15, 16, 17], targets);
        Assert.Throws<ArgumentOutOfRangeException>(() => Sequences.NextTokenChunk(streams, 7, 3));
    }

    [Fact]
    public void TheVocabularyRoundTripsText()
    {
        var vocabulary = CharacterVocabulary.Build(["banana", "cab\n"]);
        Assert.Equal("\nabcn", vocabulary.Characters);
        Assert.Equal([2, 1, 4, 0], vocabulary.Encode("ban\n"));
        Assert.Equal("cab", vocabulary.Decode([3, 1, 2]));
        Assert.Equal(new float[] { 3, 1 }, vocabulary.EncodeTensor("ca").ToArray());
        var error = Assert.Throws<ArgumentException>(() => vocabulary.Encode("bad"));
        Assert.Contains("'d'", error.Message);
    }

    [Fact]
    public void TheBigramModelCountsPairs()
    {
        var model = new BigramModel(3, smoothing: 1);
        model.Fit([0, 1, 0, 1, 2]);   // pairs 01, 10, 01, 12
        Assert.Equal((2 + 1) / (2 + 3.0), model.Probability(0, 1), 12);
        Assert.Equal(1 / (2 + 3.0), model.Probability(0, 0), 12);
        Assert.Equal(1 / 3.0, model.Probability(2, 0), 12);   // never seen: uniform
        Assert.Equal(-(Math.Log2(0.6) + Math.Log2(0.4)) / 2, model.CrossEntropyBits([0, 1, 2]), 12);
        var counts = new int[3];
        var generator = new RandomGenerator(1);
        for (int i = 0; i < 3000; i++) counts[model.Sample(0, generator)]++;
        Assert.InRange(counts[1] / 3000.0, 0.55, 0.65);
    }

    // ---- Smoke tests of the examples' core routines on small slices of their real data ----

    private static string DataFile(string name)
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "Dendrite.slnx"))) directory = Path.GetDirectoryName(directory);
        Assert.NotNull(directory);
        return Path.Combine(directory!, "examples", "data", name);
    }

    [Fact]
    public void CharacterLanguageModelsLearnFromTheWordList()
    {
        string[] words;
        using (var reader = new StreamReader(new GZipStream(File.OpenRead(DataFile("words-american-english.txt.gz")), CompressionMode.Decompress)))
            words = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(104_334, words.Length);
        var generator = new RandomGenerator(42);
        string[] sample = Enumerable.Range(0, 4000).Select(_ => words[generator.NextInt(words.Length)]).ToArray();
        var vocabulary = CharacterVocabulary.Build([.. sample, "\n"]);
        int[] train = vocabulary.Encode("\n" + string.Join('\n', sample[400..]) + "\n"), held = vocabulary.Encode("\n" + string.Join('\n', sample[..400]) + "\n");
        Tensor trainStreams = Sequences.Streams(train, 16), heldStreams = Sequences.Streams(held, 4);
        var bigram = new BigramModel(vocabulary.Count, 0.1);
        bigram.Fit(train);
        double bigramBits = bigram.CrossEntropyBits(held);

        // The LSTM example's loop: truncated BPTT over chunks of 32 with the state carried and detached.
        RecurrentLanguageModel lstm = Models.LstmLanguageModel(vocabulary.Count, 16, 64, generator: new RandomGenerator(1));
        var optimizer = new Adam(lstm.Parameters(), learningRate: 1e-2f) { ClipNorm = 1f };
        double before = lstm.CrossEntropyBits(heldStreams, 32);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            RecurrentState? state = null;
            for (int start = 0; start + 33 <= trainStreams.Shape[1]; start += 32)
            {
                var (inputs, targets) = Sequences.NextTokenChunk(trainStreams, start, 32);
                optimizer.ZeroGrad();
                RecurrentOutput result = lstm.Forward(inputs, state);
                state = result.State.Detach();
                result.Output.Reshape(16 * 32, vocabulary.Count).SoftmaxCrossEntropy(targets).Backward();
                optimizer.Step();
            }
        }
        double lstmBits = lstm.CrossEntropyBits(heldStreams, 32);

        // The Transformer example's loop: random windows, causal model.
        TransformerLanguageModel transformer = Models.CausalTransformer(vocabulary.Count, 32, modelDimension: 32, numHeads: 2, numLayers: 1, dropout: 0f, generator: new RandomGenerator(1));
        var transformerOptimizer = new Adam(transformer.Parameters(), learningRate: 3e-3f);
        for (int step = 0; step < 80; step++)
        {
            var inputs = new float[16 * 32];
            var targets = new int[16 * 32];
            for (int b = 0; b < 16; b++)
            {
                int start = generator.NextInt(train.Length - 33);
                for (int t = 0; t < 32; t++)
                {
                    inputs[b * 32 + t] = train[start + t];
                    targets[b * 32 + t] = train[start + t + 1];
                }
            }
            transformerOptimizer.ZeroGrad();
            transformer.Forward(Tensor.FromArray(inputs, new Shape(16, 32))).Reshape(16 * 32, vocabulary.Count).SoftmaxCrossEntropy(targets).Backward();
            transformerOptimizer.Step();
        }
        double transformerBits = transformer.CrossEntropyBits(heldStreams);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"3,600 words: bigram {bigramBits:F3}, LSTM {before:F3} -> {lstmBits:F3}, Transformer {transformerBits:F3} bits/char on 400 held-out words (uniform {Math.Log2(vocabulary.Count):F3})"));
        Assert.True(lstmBits < bigramBits, $"LSTM {lstmBits:F3} vs bigram {bigramBits:F3}");
        Assert.True(transformerBits < Math.Log2(vocabulary.Count) - 1, $"Transformer {transformerBits:F3}");

        int newline = vocabulary.IndexOf('\n');
        int[] word = lstm.Generate(vocabulary.Encode("\nst"), 25, new RandomGenerator(3), 0.8f, newline);
        Assert.InRange(word.Length, 1, 25);
        output.WriteLine("sampled: st" + vocabulary.Decode(word).TrimEnd('\n') + ", " + vocabulary.Decode(transformer.Generate(vocabulary.Encode("\nst"), 25, new RandomGenerator(3), 0.8f, newline)).TrimEnd('\n'));
    }

    [Fact]
    public void AnLstmForecastsSunspotsBetterThanPersistence()
    {
        float[] series = File.ReadLines(DataFile("sunspots.csv")).Skip(1).Where(l => l.Length > 0)
            .Select(l => float.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(309, series.Length);
        float[] scaled = series.Select(v => (v - 50f) / 40f).ToArray();
        var (train, validation, _) = Sequences.SplitInTimeOrder(Sequences.Windows(scaled, 20), 0.7, 0.15);
        var model = new Sequential(new Lstm(1, 16, returnSequences: false, generator: new RandomGenerator(1)), new Dense(16, 1, generator: new RandomGenerator(2)));
        new Trainer(model, new Adam(model.Parameters(), learningRate: 1e-2f), new MeanSquaredError()).Fit(train, epochs: 25, batchSize: 16, seed: 1);
        float[] predicted = Trainer.Predict(model, validation.Features).ToArray(), actual = validation.Targets.ToArray(), features = validation.Features.ToArray();
        double lstm = Math.Sqrt(predicted.Zip(actual, (p, a) => (double)(p - a) * (p - a)).Average()) * 40;
        double persistence = Math.Sqrt(actual.Select((a, i) => (double)(features[i * 20 + 19] - a) * (features[i * 20 + 19] - a)).Average()) * 40;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sunspots, validation years: LSTM RMSE {lstm:F1}, persistence {persistence:F1}"));
        Assert.True(lstm < persistence, $"LSTM {lstm:F1} vs persistence {persistence:F1}");
    }
}
