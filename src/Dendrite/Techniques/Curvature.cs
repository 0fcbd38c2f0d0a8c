using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.NN.Losses;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.Techniques;

/// <summary>
/// Curvature of a network's error with respect to its weights, in the approximations the seeds use
/// for small networks: the output Jacobian, the outer-product (Gauss-Newton) Hessian and the
/// empirical Fisher. Each costs one backward pass per sample and output, and a P×P matrix (P the
/// number of parameters), so they are for networks of at most a few thousand weights.
/// </summary>
public static class Curvature
{
    /// <summary>
    /// The Jacobian of the network's outputs with respect to θ: row n·K + k holds ∂y_nk/∂θ, where
    /// y = model(inputs) is [N, K]. The model runs in evaluation mode (dropout off).
    /// </summary>
    /// <param name="model">The network.</param>
    /// <param name="parameters">θ.</param>
    /// <param name="inputs">[N, ...] inputs.</param>
    /// <returns>[N·K, P].</returns>
    public static double[,] OutputJacobian(Module model, ParameterVector parameters, Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(inputs);
        double[,]? jacobian = null;
        int outputs = 0;
        ForEachOutputGradient(model, parameters, inputs, (sample, output, outputCount, _, gradient) =>
        {
            if (jacobian is null)
            {
                outputs = outputCount;
                jacobian = new double[inputs.Shape[0] * outputCount, parameters.Count];
            }
            int row = sample * outputs + output;
            for (int j = 0; j < gradient.Length; j++) jacobian[row, j] = gradient[j];
        });
        return jacobian ?? new double[0, parameters.Count];
    }

    /// <summary>
    /// The outer-product (Gauss-Newton) approximation of the Hessian of the sum-of-squares error
    /// E = ½·Σ_n Σ_k (y_nk − t_nk)²: H ≈ Σ_n Σ_k λ_nk·g_nk·g_nkᵀ with g_nk = ∂y_nk/∂θ, divided by N
    /// when <paramref name="average"/> (the seeds' Q = (1/N)·Σ X·Xᵀ). λ_nk is 1 for linear outputs
    /// with squared error; <paramref name="outputCurvature"/> gives it from the output value, e.g.
    /// σ(a)(1 − σ(a)) for a logistic output a trained with cross-entropy.
    /// </summary>
    /// <returns>[P, P], symmetric positive semi-definite.</returns>
    public static double[,] GaussNewton(Module model, ParameterVector parameters, Tensor inputs, bool average = true, Func<float, float>? outputCurvature = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        int p = parameters.Count;
        var hessian = new double[p, p];
        ForEachOutputGradient(model, parameters, inputs, (_, _, _, value, gradient) =>
        {
            double weight = outputCurvature is null ? 1 : outputCurvature(value);
            AddOuterProduct(hessian, gradient, weight);
        });
        int n = inputs.Shape[0];
        Finish(hessian, average && n > 0 ? 1.0 / n : 1.0);
        return hessian;
    }

    /// <summary>
    /// The empirical Fisher F = (1/N)·Σ_n ∇ℓ_n·∇ℓ_nᵀ, with ℓ_n the loss of sample n: an outer-product
    /// curvature for any loss (cross-entropy classifiers included).
    /// </summary>
    /// <param name="model">The network.</param>
    /// <param name="parameters">θ.</param>
    /// <param name="loss">The per-sample loss (its reduction is applied to a batch of one).</param>
    /// <param name="inputs">[N, ...].</param>
    /// <param name="targets">[N] or [N, K], as the loss takes them.</param>
    /// <returns>[P, P].</returns>
    public static double[,] EmpiricalFisher(Module model, ParameterVector parameters, Loss loss, Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(loss);
        int p = parameters.Count, n = inputs.Shape[0];
        var fisher = new double[p, p];
        var gradient = new double[p];
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            for (int i = 0; i < n; i++)
            {
                parameters.ZeroGrad();
                Tensor value = loss.Compute(model.Forward(inputs.Narrow(0, i, 1).Contiguous()), targets.Narrow(0, i, 1).Contiguous());
                value.Backward();
                parameters.GetGradients(gradient);
                AddOuterProduct(fisher, gradient, 1);
            }
        }
        finally
        {
            parameters.ZeroGrad();
            model.Train(wasTraining);
        }
        Finish(fisher, n > 0 ? 1.0 / n : 1.0);
        return fisher;
    }

    /// <summary>
    /// Calls <paramref name="visit"/>(sample, output, outputCount, outputValue, ∂y/∂θ) for every sample
    /// and output unit, one backward pass each, in evaluation mode.
    /// </summary>
    internal static void ForEachOutputGradient(Module model, ParameterVector parameters, Tensor inputs, Action<int, int, int, float, double[]> visit)
    {
        if (inputs.Rank == 0) throw new ShapeMismatchException("Curvature: inputs need a batch dimension [N, ...]; got a scalar.");
        int n = inputs.Shape[0];
        var gradient = new double[parameters.Count];
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            for (int i = 0; i < n; i++)
            {
                Tensor output = model.Forward(inputs.Narrow(0, i, 1).Contiguous());
                Tensor flat = output.Reshape(-1);
                int outputs = flat.Shape[0];
                float[] values = flat.ToArray();
                for (int k = 0; k < outputs; k++)
                {
                    parameters.ZeroGrad();
                    var seed = Tensor.Zeros(flat.Shape);
                    seed[k] = 1f;
                    flat.Backward(seed, retainGraph: k < outputs - 1);
                    parameters.GetGradients(gradient);
                    visit(i, k, outputs, values[k], gradient);
                }
            }
        }
        finally
        {
            parameters.ZeroGrad();
            model.Train(wasTraining);
        }
    }

    /// <summary>H += w·g·gᵀ on the lower triangle (rows with g_i = 0 are skipped).</summary>
    internal static void AddOuterProduct(double[,] h, ReadOnlySpan<double> g, double weight)
    {
        int p = g.Length;
        for (int i = 0; i < p; i++)
        {
            double gi = g[i] * weight;
            if (gi == 0) continue;
            for (int j = 0; j <= i; j++) h[i, j] += gi * g[j];
        }
    }

    /// <summary>Scales and copies the lower triangle to the upper.</summary>
    internal static void Finish(double[,] h, double scale)
    {
        int p = h.GetLength(0);
        for (int i = 0; i < p; i++)
            for (int j = 0; j <= i; j++)
            {
                double v = h[i, j] * scale;
                h[i, j] = v;
                h[j, i] = v;
            }
    }
}
