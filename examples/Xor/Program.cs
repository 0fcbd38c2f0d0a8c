// XOR by backpropagation: the seeds' first example, with Dendrite's tensors and autograd and a
// hand-written gradient-descent loop. A 2-4-1 network of sigmoid units learns the function no
// single-layer perceptron can.
using Dendrite.Autograd;
using Dendrite.Ops;
using Dendrite.Tensors;

var generator = new RandomGenerator(seed: 7);
var inputs = Tensor.FromArray([0, 0, 0, 1, 1, 0, 1, 1], new Shape(4, 2));
var targets = Tensor.FromArray([0, 1, 1, 0], new Shape(4, 1));

var hiddenWeights = Tensor.Uniform([2, 4], -1f, 1f, generator);
var hiddenBias = Tensor.Zeros([4]);
var outputWeights = Tensor.Uniform([4, 1], -1f, 1f, generator);
var outputBias = Tensor.Zeros([1]);
Tensor[] parameters = [hiddenWeights, hiddenBias, outputWeights, outputBias];
foreach (Tensor p in parameters) p.RequiresGrad = true;

Tensor Forward(Tensor x) => (((x.MatMul(hiddenWeights) + hiddenBias).Sigmoid()).MatMul(outputWeights) + outputBias).Sigmoid();

const float learningRate = 2f;
for (int epoch = 0; epoch <= 3000; epoch++)
{
    Tensor loss = (Forward(inputs) - targets).Square().Mean();
    if (epoch % 500 == 0) Console.WriteLine($"epoch {epoch,4}: mean squared error {loss.Item():F5}");
    foreach (Tensor p in parameters) p.ZeroGrad();
    loss.Backward();
    foreach (Tensor p in parameters) p.AddInPlace(p.Grad!, -learningRate);   // w ← w − η·∂E/∂w
}

using (new NoGrad())
{
    Tensor predictions = Forward(inputs);
    Console.WriteLine("x1 x2 -> prediction");
    for (int i = 0; i < 4; i++)
        Console.WriteLine($" {inputs[i, 0]}  {inputs[i, 1]} -> {predictions[i, 0]:F3}");
}
