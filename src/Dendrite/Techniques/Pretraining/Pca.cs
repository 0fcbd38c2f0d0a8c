using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Pretraining;

/// <summary>
/// Principal component analysis: the k directions of largest variance of the data, the linear
/// baseline an autoencoder's codes are compared with. With mean μ [d] and components U [k, d]
/// (orthonormal rows, the leading eigenvectors of the covariance Σ = (1/(N−1))·(X − μ)ᵀ(X − μ)),
/// codes are z = (x − μ)·Uᵀ and reconstructions x̂ = z·U + μ, the best rank-k linear
/// reconstruction in squared error.
/// </summary>
public sealed class Pca
{
    private readonly float[] _mean;

    private Pca(float[] mean, Tensor components, double[] variances, double totalVariance)
    {
        _mean = mean;
        Components = components;
        ExplainedVariance = variances;
        TotalVariance = totalVariance;
    }

    /// <summary>μ, [d].</summary>
    public ReadOnlySpan<float> Mean => _mean;

    /// <summary>U, [k, d], orthonormal rows in order of decreasing variance.</summary>
    public Tensor Components { get; }

    /// <summary>The variance along each component (the covariance's leading eigenvalues).</summary>
    public IReadOnlyList<double> ExplainedVariance { get; }

    /// <summary>The total variance (trace of the covariance).</summary>
    public double TotalVariance { get; }

    /// <summary>Fits <paramref name="components"/> components to <paramref name="data"/> [N, d].</summary>
    public static Pca Fit(Tensor data, int components)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (n, d) = data.Shape.Dims2("Pca.Fit");
        if (components < 1 || components > d) throw new ArgumentOutOfRangeException(nameof(components), $"Pca: components must be in [1, {d}]; got {components}.");
        if (n < 2) throw new ArgumentException("Pca: needs at least two samples.", nameof(data));
        float[] x = data.ToArray();
        var mean = new float[d];
        var meanDouble = new double[d];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < d; c++) meanDouble[c] += x[r * d + c];
        for (int c = 0; c < d; c++) mean[c] = (float)(meanDouble[c] / n);
        for (int r = 0; r < n; r++)
            for (int c = 0; c < d; c++) x[r * d + c] -= mean[c];
        Tensor centred = Tensor.Wrap(x, new Shape(n, d));
        float[] gram = centred.T.MatMul(centred).ToArray();   // [d, d], the float32 GEMM
        var covariance = new double[d, d];
        double trace = 0;
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++) covariance[i, j] = 0.5 * (gram[i * d + j] + gram[j * d + i]) / (n - 1);
            trace += covariance[i, i];
        }
        var (vectors, values) = Linalg.TopEigen(covariance, components);
        var u = new float[components * d];
        for (int k = 0; k < components; k++)
            for (int c = 0; c < d; c++) u[k * d + c] = (float)vectors[k, c];
        return new Pca(mean, Tensor.Wrap(u, new Shape(components, d)), values, trace);
    }

    /// <summary>z = (x − μ)·Uᵀ: [N, d] → [N, k].</summary>
    public Tensor Transform(Tensor data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var _ = new Autograd.NoGrad();
        return (data - Tensor.FromArray(_mean)).MatMul(Components.T).Contiguous();
    }

    /// <summary>x̂ = z·U + μ: [N, k] → [N, d].</summary>
    public Tensor InverseTransform(Tensor codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        using var _ = new Autograd.NoGrad();
        return (codes.MatMul(Components) + Tensor.FromArray(_mean)).Contiguous();
    }

    /// <summary>The mean squared reconstruction error per element of <paramref name="data"/> through k components.</summary>
    public double ReconstructionError(Tensor data) => Autoencoder.MeanSquaredError(InverseTransform(Transform(data)), data);
}
