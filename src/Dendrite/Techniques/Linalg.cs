namespace Dendrite.Techniques;

// Small dense linear algebra in double precision for the techniques that need it on small
// matrices (OBS, the Laplace approximation, ARD, ELM, PCA). Matrices are double[n, n] or
// row-major double[]; n is a few thousand at most, so plain loops are fast enough and exact
// enough, and the float32 GEMM is not used (its rounding would show in Q⁻¹).

/// <summary>Cholesky factorisation, solves, inverses and a symmetric top-k eigen-solver, in double precision.</summary>
internal static class Linalg
{
    /// <summary>
    /// Factors a symmetric positive-definite <paramref name="a"/> [n, n] as L·Lᵀ in place (lower
    /// triangle; the upper is cleared). Returns false when a pivot falls below
    /// <paramref name="relativePivot"/>·max diagonal, i.e. the matrix is not (numerically) positive definite.
    /// </summary>
    public static bool Cholesky(double[,] a, double relativePivot = 1e-12)
    {
        int n = a.GetLength(0);
        double maxDiagonal = 0;
        for (int i = 0; i < n; i++) maxDiagonal = Math.Max(maxDiagonal, Math.Abs(a[i, i]));
        double floor = Math.Max(relativePivot * maxDiagonal, double.Epsilon);
        for (int j = 0; j < n; j++)
        {
            double diagonal = a[j, j];
            for (int k = 0; k < j; k++) diagonal -= a[j, k] * a[j, k];
            if (!(diagonal > floor)) return false;
            double pivot = Math.Sqrt(diagonal);
            a[j, j] = pivot;
            for (int i = j + 1; i < n; i++)
            {
                double sum = a[i, j];
                for (int k = 0; k < j; k++) sum -= a[i, k] * a[j, k];
                a[i, j] = sum / pivot;
            }
            for (int i = 0; i < j; i++) a[i, j] = 0;
        }
        return true;
    }

    /// <summary>Solves L·Lᵀ·x = b in place for a factor from <see cref="Cholesky"/>; <paramref name="b"/> is [n].</summary>
    public static void CholeskySolve(double[,] factor, Span<double> b)
    {
        int n = factor.GetLength(0);
        for (int i = 0; i < n; i++)
        {
            double sum = b[i];
            for (int k = 0; k < i; k++) sum -= factor[i, k] * b[k];
            b[i] = sum / factor[i, i];
        }
        for (int i = n - 1; i >= 0; i--)
        {
            double sum = b[i];
            for (int k = i + 1; k < n; k++) sum -= factor[k, i] * b[k];
            b[i] = sum / factor[i, i];
        }
    }

    /// <summary>
    /// The inverse of the symmetric positive-definite <paramref name="a"/> (left unchanged). When it is
    /// not positive definite, μ·I is added (μ starting at 1e-8·mean diagonal, ×10 until the factorisation
    /// succeeds), as the seeds advise; the μ used is returned (0 when none was needed).
    /// </summary>
    public static double[,] InverseSpd(double[,] a, out double damping, double initialDamping = 0)
    {
        int n = a.GetLength(0);
        double meanDiagonal = 0;
        for (int i = 0; i < n; i++) meanDiagonal += a[i, i];
        meanDiagonal = n == 0 ? 1 : Math.Max(meanDiagonal / n, 1e-300);
        damping = initialDamping;
        double step = Math.Max(1e-8 * meanDiagonal, initialDamping);
        while (true)
        {
            var factor = (double[,])a.Clone();
            for (int i = 0; i < n; i++) factor[i, i] += damping;
            if (Cholesky(factor)) return InverseFromFactor(factor);
            damping = damping == 0 ? step : damping * 10;
            if (damping > 1e12 * meanDiagonal)
                throw new InvalidOperationException("InverseSpd: the matrix is not positive definite even with heavy damping; it may hold NaN or infinite values.");
        }
    }

    /// <summary>(L·Lᵀ)⁻¹ from a Cholesky factor, column by column.</summary>
    public static double[,] InverseFromFactor(double[,] factor)
    {
        int n = factor.GetLength(0);
        var inverse = new double[n, n];
        var column = new double[n];
        for (int j = 0; j < n; j++)
        {
            Array.Clear(column);
            column[j] = 1;
            CholeskySolve(factor, column);
            for (int i = 0; i < n; i++) inverse[i, j] = column[i];
        }
        // Symmetrise away the rounding.
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                double mean = 0.5 * (inverse[i, j] + inverse[j, i]);
                inverse[i, j] = inverse[j, i] = mean;
            }
        return inverse;
    }

    /// <summary>
    /// The <paramref name="k"/> leading eigenvectors (rows of the result, [k, n]) and eigenvalues of the
    /// symmetric positive-semidefinite <paramref name="a"/>, by orthogonal (subspace) iteration with a
    /// Rayleigh-Ritz step; the start is random from <paramref name="seed"/>.
    /// </summary>
    public static (double[,] Vectors, double[] Values) TopEigen(double[,] a, int k, int iterations = 300, long seed = 17)
    {
        int n = a.GetLength(0);
        k = Math.Min(k, n);
        int block = Math.Min(n, k + Math.Min(8, n - k)); // a few extra vectors speed convergence
        var generator = new Dendrite.Tensors.RandomGenerator(seed);
        var q = new double[n, block];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < block; j++) q[i, j] = generator.NextNormal();
        Orthonormalise(q);
        var z = new double[n, block];
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            Multiply(a, q, z);
            Orthonormalise(z);
            (q, z) = (z, q);
        }
        // Rayleigh-Ritz: the small matrix T = Qᵀ·A·Q, diagonalised by Jacobi rotations.
        Multiply(a, q, z);
        var t = new double[block, block];
        for (int i = 0; i < block; i++)
            for (int j = 0; j < block; j++)
            {
                double sum = 0;
                for (int r = 0; r < n; r++) sum += q[r, i] * z[r, j];
                t[i, j] = sum;
            }
        var (values, rotation) = JacobiEigen(t);
        int[] order = Enumerable.Range(0, block).OrderByDescending(i => values[i]).ToArray();
        var vectors = new double[k, n];
        var top = new double[k];
        for (int c = 0; c < k; c++)
        {
            int source = order[c];
            top[c] = values[source];
            for (int r = 0; r < n; r++)
            {
                double sum = 0;
                for (int j = 0; j < block; j++) sum += q[r, j] * rotation[j, source];
                vectors[c, r] = sum;
            }
            // A sign convention (largest component positive) so results do not flip between runs.
            int largest = 0;
            for (int r = 1; r < n; r++) if (Math.Abs(vectors[c, r]) > Math.Abs(vectors[c, largest])) largest = r;
            if (vectors[c, largest] < 0) for (int r = 0; r < n; r++) vectors[c, r] = -vectors[c, r];
        }
        return (vectors, top);
    }

    private static void Multiply(double[,] a, double[,] b, double[,] result)
    {
        int n = a.GetLength(0), m = b.GetLength(1);
        var row = new double[m];
        for (int i = 0; i < n; i++)
        {
            Array.Clear(row);
            for (int k = 0; k < n; k++)
            {
                double aik = a[i, k];
                if (aik == 0) continue;
                for (int j = 0; j < m; j++) row[j] += aik * b[k, j];
            }
            for (int j = 0; j < m; j++) result[i, j] = row[j];
        }
    }

    /// <summary>Modified Gram-Schmidt on the columns, twice for stability.</summary>
    private static void Orthonormalise(double[,] q)
    {
        int n = q.GetLength(0), m = q.GetLength(1);
        for (int pass = 0; pass < 2; pass++)
            for (int j = 0; j < m; j++)
            {
                for (int p = 0; p < j; p++)
                {
                    double dot = 0;
                    for (int r = 0; r < n; r++) dot += q[r, p] * q[r, j];
                    for (int r = 0; r < n; r++) q[r, j] -= dot * q[r, p];
                }
                double norm = 0;
                for (int r = 0; r < n; r++) norm += q[r, j] * q[r, j];
                norm = Math.Sqrt(norm);
                if (norm < 1e-300) { q[j % n, j] = 1; norm = 1; }
                for (int r = 0; r < n; r++) q[r, j] /= norm;
            }
    }

    /// <summary>Eigenvalues and eigenvectors (columns) of a small symmetric matrix by cyclic Jacobi rotations.</summary>
    public static (double[] Values, double[,] Vectors) JacobiEigen(double[,] matrix)
    {
        int n = matrix.GetLength(0);
        var a = (double[,])matrix.Clone();
        var v = new double[n, n];
        for (int i = 0; i < n; i++) v[i, i] = 1;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) off += a[i, j] * a[i, j];
            if (off < 1e-30) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++)
                {
                    if (Math.Abs(a[p, q]) < 1e-300) continue;
                    double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq;
                        v[k, q] = s * vkp + c * vkq;
                    }
                }
        }
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = a[i, i];
        return (values, v);
    }

    /// <summary>xᵀ·A·x for a symmetric A.</summary>
    public static double QuadraticForm(double[,] a, ReadOnlySpan<double> x)
    {
        int n = x.Length;
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            if (x[i] == 0) continue;
            double row = 0;
            for (int j = 0; j < n; j++) row += a[i, j] * x[j];
            total += x[i] * row;
        }
        return total;
    }
}
