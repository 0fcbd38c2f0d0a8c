using System.Text.Json;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Optim;
using Dendrite.Optim.FullBatch;
using Dendrite.Tests.Support;

namespace Dendrite.Tests.Optim;

/// <summary>The small problems the optimiser tests share: test functions, the XOR network, the libtorch trajectory files.</summary>
internal static class OptimProblems
{
    /// <summary>Rosenbrock's banana f(x, y) = (1 − x)² + 100(y − x²)², minimum 0 at (1, 1), started at (−1.2, 1).</summary>
    public sealed class Rosenbrock
    {
        public Parameter X { get; } = new(Tensor.From(-1.2f));
        public Parameter Y { get; } = new(Tensor.From(1f));
        public Parameter[] Parameters => [X, Y];

        public Tensor Loss() => ((1f - X).Square() + (Y - X.Square()).Square() * 100f).Sum();

        public float Distance => MathF.Sqrt((X.Item() - 1f) * (X.Item() - 1f) + (Y.Item() - 1f) * (Y.Item() - 1f));
    }

    /// <summary>
    /// A convex quadratic in 10 variables with condition number 100: f(w) = ½·Σᵢ λᵢ·(qᵢᵀ(w − w*))²
    /// with eigenvalues λ from 1 to 100 (log-spaced) along a random rotation Q; minimum 0 at w*.
    /// </summary>
    public sealed class IllConditionedQuadratic
    {
        public const int Size = 10;
        private readonly Tensor _rotationTransposed;   // [10, 10]: Qᵀ, so (w − w*)·Qᵀ gives the rotated coordinates
        private readonly Tensor _eigenvalues;          // [10]
        private readonly Tensor _minimum;              // [10]

        public IllConditionedQuadratic(long seed = 5)
        {
            var generator = new RandomGenerator(seed);
            double[,] q = RandomRotation(Size, generator);
            var qT = new float[Size * Size];
            for (int i = 0; i < Size; i++)
                for (int j = 0; j < Size; j++)
                    qT[j * Size + i] = (float)q[i, j];
            _rotationTransposed = Tensor.FromArray(qT, new Shape(Size, Size));
            Eigenvalues = Enumerable.Range(0, Size).Select(i => (float)Math.Pow(100, i / (double)(Size - 1))).ToArray();
            _eigenvalues = Tensor.FromArray(Eigenvalues);
            _minimum = Tensor.Uniform([Size], -1f, 1f, generator);
            W = new Parameter(Tensor.Zeros([Size]));
        }

        public float[] Eigenvalues { get; }
        public Parameter W { get; }
        public float[] Minimum => _minimum.ToArray();

        public Tensor Loss()
        {
            Tensor z = (W - _minimum).Reshape(1, Size).MatMul(_rotationTransposed);   // [1, 10]
            return (z.Square().Reshape(Size) * _eigenvalues).Sum() * 0.5f;
        }

        public float Distance
        {
            get
            {
                float[] w = W.ToArray(), m = Minimum;
                return MathF.Sqrt(w.Zip(m, (a, b) => (a - b) * (a - b)).Sum());
            }
        }

        private static double[,] RandomRotation(int n, RandomGenerator generator)
        {
            // Gram-Schmidt on Gaussian columns gives an orthogonal matrix.
            var q = new double[n, n];
            for (int j = 0; j < n; j++)
            {
                var v = new double[n];
                for (int i = 0; i < n; i++) v[i] = generator.NextNormal();
                for (int k = 0; k < j; k++)
                {
                    double dot = 0;
                    for (int i = 0; i < n; i++) dot += v[i] * q[i, k];
                    for (int i = 0; i < n; i++) v[i] -= dot * q[i, k];
                }
                double norm = Math.Sqrt(v.Sum(x => x * x));
                for (int i = 0; i < n; i++) q[i, j] = v[i] / norm;
            }
            return q;
        }
    }

    /// <summary>The XOR truth table as [4, 2] inputs and [4, 1] targets.</summary>
    public static (Tensor Inputs, Tensor Targets) XorData() =>
        (Tensor.FromArray(new float[,] { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } }), Tensor.FromArray(new float[,] { { 0 }, { 1 }, { 1 }, { 0 } }));

    /// <summary>The seeds' 2-4-1 XOR network: tanh hidden units, a sigmoid output, from a fixed seed.</summary>
    public static Sequential XorNetwork(long seed) =>
        new(new Dense(2, 4, new Tanh(), generator: new RandomGenerator(seed)), new Dense(4, 1, new Sigmoid(), generator: new RandomGenerator(seed + 1000)));

    /// <summary>A closure for the full-batch methods: zero the gradients, recompute the loss, backward, return it.</summary>
    public static Func<Tensor> Closure(IEnumerable<Parameter> parameters, Func<Tensor> loss)
    {
        Parameter[] list = [.. parameters];
        return () =>
        {
            foreach (Parameter p in list) p.ZeroGrad();
            Tensor l = loss();
            l.Backward();
            return l;
        };
    }

    /// <summary>One step of any optimiser: first-order ones after a backward, full-batch ones through the closure; returns the loss before the step.</summary>
    public static float TakeStep(Optimizer optimizer, Func<Tensor> loss)
    {
        Func<Tensor> closure = Closure(optimizer.Parameters, loss);
        if (optimizer is FullBatchOptimizer) return optimizer.Step(closure);
        Tensor value = closure();
        float result = value.Item();
        optimizer.Step();
        return result;
    }
}

/// <summary>A libtorch trajectory from tests/reference/optim (format in tests/reference/README.md).</summary>
internal sealed class TrajectoryCase
{
    public required string Name { get; init; }
    public required JsonElement Attributes { get; init; }
    public JsonElement? GradientClipping { get; init; }
    public required ReferenceTensor Inputs { get; init; }
    public required ReferenceTensor Targets { get; init; }
    public required Dictionary<string, ReferenceTensor> InitialParameters { get; init; }
    public required List<(float Loss, Dictionary<string, ReferenceTensor> Parameters)> Steps { get; init; }

    public static IEnumerable<string> Names() => ReferenceCase.Names("optim");

    public static TrajectoryCase Load(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(ReferenceCase.Directory("optim"), name + ".json")));
        JsonElement root = document.RootElement;
        static Dictionary<string, ReferenceTensor> Tensors(JsonElement e) =>
            e.EnumerateObject().ToDictionary(p => p.Name, p => ReferenceTensor.Parse(p.Value));
        JsonElement clipping = root.GetProperty("grad_clipping");
        return new TrajectoryCase
        {
            Name = root.GetProperty("name").GetString()!,
            Attributes = root.GetProperty("attributes").Clone(),
            GradientClipping = clipping.ValueKind == JsonValueKind.Null ? null : clipping.Clone(),
            Inputs = ReferenceTensor.Parse(root.GetProperty("inputs")),
            Targets = ReferenceTensor.Parse(root.GetProperty("targets")),
            InitialParameters = Tensors(root.GetProperty("initial_parameters")),
            Steps = root.GetProperty("steps").EnumerateArray()
                .Select(s => (s.GetProperty("loss").GetSingle(), Tensors(s.GetProperty("parameters")))).ToList(),
        };
    }

    public float Float(string name) => Attributes.GetProperty(name).GetSingle();
    public float Float(string name, int index) => Attributes.GetProperty(name)[index].GetSingle();
    public int Int(string name) => Attributes.GetProperty(name).GetInt32();
    public bool Bool(string name) => Attributes.GetProperty(name).GetBoolean();

    /// <summary>Torch's state_dict name ("2.weight", with the Tanh at index 1) to Dendrite's ("1.weight", Dense carries its activation).</summary>
    public static string DendriteName(string torchName) => torchName.StartsWith("2.", StringComparison.Ordinal) ? "1." + torchName[2..] : torchName;
}
