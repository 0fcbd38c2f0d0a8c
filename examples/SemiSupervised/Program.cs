// Semi-supervised learning with the seeds' contrastive margin loss: on the digits, a few labels per
// class plus pairs made from the unlabelled rest (each image with its 3 nearest neighbours as
// similar pairs, 3 random partners as dissimilar ones). The encoder learns an embedding that keeps
// neighbours together and random pairs a margin apart while a classifier head learns from the few
// labels; compared with the same network trained on the labels alone, for the same steps.
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Ops;
using Dendrite.Techniques.SemiSupervised;
using Dendrite.Tensors;
using Dendrite.Training;
using Dendrite.Training.Metrics;

Dataset digits = Datasets.Digits();
digits = digits.WithFeatures(digits.Features * (1f / 16f));
var (train, test) = Splits.TrainValidation(digits, 0.3, new RandomGenerator(42), stratified: true);
Tensor unlabelled = train.Features;
PairSet pairs = ContrastivePairs.FromNeighbours(unlabelled, neighbours: 3, dissimilarPerSample: 3, new RandomGenerator(1));
int[] labels = train.ClassIndices();
int agree = Enumerable.Range(0, pairs.Count).Count(i => pairs.Similar[i] == 1f && labels[pairs.First[i]] == labels[pairs.Second[i]]);
int differ = Enumerable.Range(0, pairs.Count).Count(i => pairs.Similar[i] == 0f && labels[pairs.First[i]] != labels[pairs.Second[i]]);
Console.WriteLine($"{train.Count} training images used unlabelled: {pairs.Count} pairs; {100.0 * agree / pairs.Similar.Count(s => s == 1f):F1}% of the neighbour pairs share a class, {100.0 * differ / pairs.Similar.Count(s => s == 0f):F1}% of the random pairs do not (labels used only to report this)");
Console.WriteLine();
Console.WriteLine("labels/class  supervised only  + contrastive pairs");
foreach (int perClass in new[] { 1, 3, 5, 10 })
{
    int[] rows = [.. Enumerable.Range(0, 10).SelectMany(c => Enumerable.Range(0, train.Count).Where(i => labels[i] == c).Take(perClass))];
    Dataset labelled = train.Subset(rows);
    double supervised = Run(labelled, 0f), semi = Run(labelled, 1f);
    Console.WriteLine($"{perClass,12}  {supervised,15:F4}  {semi,19:F4}");
}

double Run(Dataset labelled, float weight)
{
    var generator = new RandomGenerator(15);
    var encoder = new Sequential(new Dense(64, 64, new Relu(), generator: generator), new Dense(64, 16, generator: generator));
    var learner = new ContrastiveSemiSupervised(encoder, new Dense(16, 10, generator: generator), margin: 4f, contrastiveWeight: weight);
    learner.Fit(labelled, unlabelled, pairs, epochs: 5, pairBatch: 128, labelBatch: 30, learningRate: 3e-3f, generator: new RandomGenerator(16));
    var accuracy = new Accuracy();
    accuracy.Update(Trainer.Predict(learner.Model, test.Features), test.Targets);
    return accuracy.Result;
}
