using System.Text.Json.Nodes;
using Dendrite.Autograd;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Layers;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Elm;

/// <summary>
/// An extreme learning machine (Huang, Zhu and Siew 2006): a hidden layer with random weights that
/// are never trained, H = g(X·Aᵀ + a), and output weights solved in closed form by regularised least
/// squares. With targets T [N, K] and λ ≥ 0, the output weights β [K, M] and bias b [K] minimise
/// <code>E(β, b) = ½·‖H·βᵀ + b − T‖² + ½·λ·‖β‖²</code>
/// (the bias is not penalised), whose minimiser, with H̃ = [H, 1] and Λ = diag(λ, ..., λ, 0), is
/// <code>[β, b]ᵀ = (H̃ᵀH̃ + Λ)⁻¹·H̃ᵀT</code>
/// solved in double precision by Cholesky. At the solution ∇E = 0.
/// </summary>
public sealed class ExtremeLearningMachine : Module
{
    /// <summary>Creates the machine with a random hidden layer (frozen) and zero output weights.</summary>
    /// <param name="inputs">d, the input size.</param>
    /// <param name="hidden">M, the number of random hidden units.</param>
    /// <param name="outputs">K, the number of outputs (classes, for classification).</param>
    /// <param name="activation">g; tanh when null.</param>
    /// <param name="generator">Draws the hidden weights (Glorot uniform) and biases (U[−1, 1]).</param>
    public ExtremeLearningMachine(int inputs, int hidden, int outputs, ActivationLayer? activation = null, RandomGenerator? generator = null)
    {
        generator ??= RandomGenerator.Default;
        Hidden = AddModule("hidden", new Dense(inputs, hidden, activation ?? new Tanh(), generator: generator,
            biasInitializer: NN.Initializers.Initializer.Uniform(-1f, 1f)));
        Hidden.Freeze();
        Output = AddModule("output", new Dense(hidden, outputs, weightInitializer: NN.Initializers.Initializer.Zeros));
    }

    /// <summary>The random hidden layer (frozen).</summary>
    public Dense Hidden { get; }

    /// <summary>The output layer: β [K, M] and b [K].</summary>
    public Dense Output { get; }

    /// <inheritdoc/>
    public override string Describe() => $"ExtremeLearningMachine({Hidden.InFeatures}->{Hidden.OutFeatures}->{Output.OutFeatures})";

    /// <summary>H·βᵀ + b for inputs [N, d]; the result [N, K].</summary>
    public override Tensor Forward(Tensor input) => Run(Output, Run(Hidden, input));

    /// <summary>H = g(X·Aᵀ + a), [N, M], without gradients.</summary>
    public Tensor HiddenOutputs(Tensor inputs)
    {
        using var _ = new NoGrad();
        return Hidden.Forward(inputs).Contiguous();
    }

    /// <summary>Solves the output weights for targets [N, K] with ridge coefficient λ = <paramref name="regularization"/>.</summary>
    public void Fit(Tensor inputs, Tensor targets, float regularization = 1e-3f)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (!(regularization >= 0f)) throw new ArgumentOutOfRangeException(nameof(regularization), $"ExtremeLearningMachine: λ must be non-negative; got {regularization}.");
        int m = Hidden.OutFeatures, k = Output.OutFeatures;
        Tensor hidden = HiddenOutputs(inputs);
        int n = hidden.Shape[0];
        if (targets.Rank != 2 || targets.Shape[0] != n || targets.Shape[1] != k)
            throw new ShapeMismatchException($"ExtremeLearningMachine.Fit: targets {targets.Shape} must be [{n}, {k}] for {n} inputs and {k} outputs.");
        // H̃ = [H, 1]; H̃ᵀH̃ and H̃ᵀT by the float32 GEMM (the N-long sums), the solve in double.
        int size = m + 1;
        Tensor augmented = TensorOps.Concat([hidden, Tensor.Ones([n, 1])], axis: 1);
        float[] gramValues, rightValues;
        using (new NoGrad())
        {
            gramValues = augmented.T.MatMul(augmented).ToArray();
            rightValues = augmented.T.MatMul(targets.Contiguous()).ToArray();
        }
        var gram = new double[size, size];
        var right = new double[size, k];
        for (int i = 0; i < size; i++)
        {
            for (int j = 0; j < size; j++) gram[i, j] = 0.5 * ((double)gramValues[i * size + j] + gramValues[j * size + i]);
            for (int c = 0; c < k; c++) right[i, c] = rightValues[i * k + c];
        }
        for (int i = 0; i < m; i++) gram[i, i] += regularization;   // Λ: the bias is not penalised
        if (!Linalg.Cholesky(gram, 1e-14))
            throw new InvalidOperationException($"ExtremeLearningMachine.Fit: H̃ᵀH̃ + λI is singular (M = {m} hidden units, N = {n} samples); use a positive regularization.");
        var column = new double[size];
        Span<float> beta = Output.Weight.Data;
        Span<float> bias = Output.Bias!.Data;
        for (int c = 0; c < k; c++)
        {
            for (int i = 0; i < size; i++) column[i] = right[i, c];
            Linalg.CholeskySolve(gram, column);
            for (int j = 0; j < m; j++) beta[c * m + j] = (float)column[j];
            bias[c] = (float)column[m];
        }
    }

    /// <summary>Fits a classifier: one-hot targets from the data set's labels (K must equal its number of classes).</summary>
    public void Fit(Dataset data, float regularization = 1e-3f)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Task == PredictionTask.Classification)
            Fit(data.Features, TensorOps.OneHot(data.Targets, Output.OutFeatures), regularization);
        else
            Fit(data.Features, data.Targets, regularization);
    }

    /// <summary>E(β, b) = ½·‖H·βᵀ + b − T‖² + ½·λ·‖β‖², differentiable with respect to β and b.</summary>
    public Tensor Objective(Tensor inputs, Tensor targets, float regularization)
    {
        Tensor h = HiddenOutputs(inputs);
        Tensor residual = Output.Forward(h) - targets;
        return residual.Square().Sum() * 0.5f + Output.Weight.Square().Sum() * (0.5f * regularization);
    }

    /// <inheritdoc/>
    public override void WriteConfig(JsonObject config) =>
        throw new NotSupportedException("ExtremeLearningMachine is not in the model registry; save its two layers' weights with Model.SaveWeights.");
}
