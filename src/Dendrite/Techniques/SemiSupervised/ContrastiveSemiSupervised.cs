using Dendrite.Autograd;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Losses;
using Dendrite.Ops;
using Dendrite.Optim;
using Dendrite.Tensors;

namespace Dendrite.Techniques.SemiSupervised;

/// <summary>Pairs of sample indices with a similarity label (1 similar, 0 dissimilar), for the contrastive loss.</summary>
/// <param name="First">Index of the first sample of each pair.</param>
/// <param name="Second">Index of the second sample of each pair.</param>
/// <param name="Similar">1 for a similar pair, 0 for a dissimilar one.</param>
public sealed record PairSet(int[] First, int[] Second, float[] Similar)
{
    /// <summary>Number of pairs.</summary>
    public int Count => First.Length;

    /// <summary>Share of pairs labelled similar.</summary>
    public double SimilarShare => Similar.Length == 0 ? 0 : Similar.Average(s => (double)s);
}

/// <summary>How to make similar / dissimilar pairs without labels (Hadsell, Chopra and LeCun 2006, "DrLIM").</summary>
public static class ContrastivePairs
{
    /// <summary>
    /// From unlabelled data [N, ...]: each sample with each of its <paramref name="neighbours"/> nearest
    /// neighbours in input space (Euclidean) is a similar pair; each sample with
    /// <paramref name="dissimilarPerSample"/> partners drawn at random is a dissimilar pair (with many
    /// classes, a random partner is nearly always of another class).
    /// </summary>
    public static PairSet FromNeighbours(Tensor data, int neighbours, int dissimilarPerSample, RandomGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(generator);
        int n = data.Shape[0];
        if (neighbours < 1 || neighbours >= n) throw new ArgumentOutOfRangeException(nameof(neighbours), $"ContrastivePairs: neighbours must be in [1, {n - 1}]; got {neighbours}.");
        int[][] nearest = NearestNeighbours(data, neighbours);
        var first = new List<int>();
        var second = new List<int>();
        var similar = new List<float>();
        for (int i = 0; i < n; i++)
        {
            foreach (int j in nearest[i]) { first.Add(i); second.Add(j); similar.Add(1f); }
            for (int r = 0; r < dissimilarPerSample; r++)
            {
                int j = generator.NextInt(n - 1);
                if (j >= i) j++;
                first.Add(i); second.Add(j); similar.Add(0f);
            }
        }
        return new PairSet([.. first], [.. second], [.. similar]);
    }

    /// <summary>The indices of the <paramref name="k"/> nearest other rows of <paramref name="data"/> [N, ...] for every row (squared Euclidean distance, computed by GEMM in blocks).</summary>
    public static int[][] NearestNeighbours(Tensor data, int k)
    {
        ArgumentNullException.ThrowIfNull(data);
        int n = data.Shape[0];
        Tensor x = data.Reshape(n, -1).Contiguous();
        int d = x.Shape[1];
        float[] values = x.ToArray();
        var norms = new float[n];
        for (int i = 0; i < n; i++) norms[i] = TensorPrimitives.Dot(values.AsSpan(i * d, d), values.AsSpan(i * d, d));
        var result = new int[n][];
        const int Block = 256;
        using var noGrad = new NoGrad();
        for (int start = 0; start < n; start += Block)
        {
            int rows = Math.Min(Block, n - start);
            float[] dots = x.Narrow(0, start, rows).MatMul(x.T).ToArray(); // [rows, n]
            for (int r = 0; r < rows; r++)
            {
                int i = start + r;
                var best = new PriorityQueue<int, float>();
                for (int j = 0; j < n; j++)
                {
                    if (j == i) continue;
                    float distance = norms[i] + norms[j] - 2 * dots[r * n + j];
                    if (best.Count < k) best.Enqueue(j, -distance);
                    else if (best.TryPeek(out _, out float worst) && -distance > worst) best.EnqueueDequeue(j, -distance);
                }
                var list = new int[best.Count];
                for (int m = list.Length - 1; m >= 0; m--) list[m] = best.Dequeue();
                result[i] = list;
            }
        }
        return result;
    }
}

/// <summary>
/// Semi-supervised learning with the seeds' contrastive margin loss: an encoder f is trained on
/// pairs from unlabelled data with L_c = s·d² + (1 − s)·max(0, M − d²), d² = ‖f(x) − f(x')‖², so
/// that neighbours map close together and random pairs at least √M apart, while a classifier head on
/// f is trained with cross-entropy on the few labelled samples; the objective is
/// L = L_CE(labelled) + α·L_c(pairs).
/// </summary>
public sealed class ContrastiveSemiSupervised
{
    /// <summary>Creates the learner from an encoder (x → embedding [N, D]) and a head (embedding → logits).</summary>
    public ContrastiveSemiSupervised(Module encoder, Module head, float margin = 1f, float contrastiveWeight = 1f)
    {
        Encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        Head = head ?? throw new ArgumentNullException(nameof(head));
        Loss = new ContrastiveLoss(margin);
        if (!(contrastiveWeight >= 0f)) throw new ArgumentOutOfRangeException(nameof(contrastiveWeight), $"ContrastiveSemiSupervised: α must be non-negative; got {contrastiveWeight}.");
        ContrastiveWeight = contrastiveWeight;
        Model = new Sequential(encoder, head);
    }

    /// <summary>x → embedding.</summary>
    public Module Encoder { get; }

    /// <summary>embedding → logits.</summary>
    public Module Head { get; }

    /// <summary>Encoder then head: the classifier to evaluate.</summary>
    public Sequential Model { get; }

    /// <summary>The contrastive loss with margin M.</summary>
    public ContrastiveLoss Loss { get; }

    /// <summary>α, the weight of the contrastive term (0 gives supervised-only training).</summary>
    public float ContrastiveWeight { get; }

    /// <summary>
    /// Trains for <paramref name="epochs"/> passes over the pairs (batches of <paramref name="pairBatch"/>
    /// pairs of <paramref name="unlabelled"/> rows), each step also taking a batch of
    /// <paramref name="labelBatch"/> labelled samples (cycling through them). With no pairs (or α = 0),
    /// it runs the same number of steps on the labels alone. Returns the mean objective per epoch.
    /// </summary>
    public IReadOnlyList<double> Fit(Dataset labelled, Tensor unlabelled, PairSet pairs, int epochs, int pairBatch = 128, int labelBatch = 32,
        float learningRate = 1e-3f, RandomGenerator? generator = null, int? stepsPerEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(labelled);
        ArgumentNullException.ThrowIfNull(unlabelled);
        ArgumentNullException.ThrowIfNull(pairs);
        generator ??= new RandomGenerator(0);
        var optimizer = new Adam(Model.Parameters(), learningRate);
        var crossEntropy = new CrossEntropy();
        int steps = stepsPerEpoch ?? Math.Max(1, (pairs.Count + pairBatch - 1) / pairBatch);
        int[] labelOrder = generator.Permutation(labelled.Count);
        int labelPosition = 0;
        var losses = new List<double>();
        Model.Train();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            int[] pairOrder = generator.Permutation(pairs.Count);
            double total = 0;
            for (int step = 0; step < steps; step++)
            {
                var labelIndices = new int[Math.Min(labelBatch, labelled.Count)];
                for (int i = 0; i < labelIndices.Length; i++)
                {
                    if (labelPosition == labelOrder.Length) { labelOrder = generator.Permutation(labelled.Count); labelPosition = 0; }
                    labelIndices[i] = labelOrder[labelPosition++];
                }
                var (features, targets) = labelled.GetBatch(labelIndices);
                optimizer.ZeroGrad();
                Tensor loss = crossEntropy.Compute(Model.Forward(features), targets);
                if (ContrastiveWeight > 0f && pairs.Count > 0)
                {
                    int start = (step * pairBatch) % pairs.Count;
                    int size = Math.Min(pairBatch, pairs.Count - start);
                    var first = new int[size];
                    var second = new int[size];
                    var similar = new float[size];
                    for (int i = 0; i < size; i++)
                    {
                        int p = pairOrder[start + i];
                        (first[i], second[i], similar[i]) = (pairs.First[p], pairs.Second[p], pairs.Similar[p]);
                    }
                    Tensor a = Encoder.Forward(unlabelled.IndexSelect(0, first));
                    Tensor b = Encoder.Forward(unlabelled.IndexSelect(0, second));
                    loss += Loss.Compute(a.Reshape(size, -1), b.Reshape(size, -1), Tensor.FromArray(similar)) * ContrastiveWeight;
                }
                total += loss.Item();
                loss.Backward();
                optimizer.Step();
            }
            losses.Add(total / steps);
        }
        return losses;
    }
}
