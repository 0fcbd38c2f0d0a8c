using Dendrite.Autograd;
using Dendrite.NN;
using Dendrite.Ops;
using Dendrite.Tensors;

namespace Dendrite.Techniques.Classic;

/// <summary>How <see cref="ExtendedKalmanTrainer"/> splits the weights into filters.</summary>
public enum KalmanDecoupling
{
    /// <summary>
    /// One filter over every weight (global EKF, Singhal and Wu 1989): an n×n covariance, O(n²·K) work
    /// per sample. The most accurate; practical up to a few hundred weights, possible up to a few thousand.
    /// </summary>
    Global,

    /// <summary>
    /// One filter per layer (layer-decoupled EKF): each module's own parameters form a group.
    /// </summary>
    PerLayer,

    /// <summary>
    /// One filter per neuron (node-decoupled EKF, Puskorius and Feldkamp 1991; the "multiple EKF" of the
    /// seeds): the incoming weights and the bias of each unit (each row of a weight [out, ...] with its
    /// bias element) form a group, so the covariances hold Σ (fan-in + 1)² numbers instead of n². For
    /// networks of more than a few hundred weights.
    /// </summary>
    PerNeuron,
}

/// <summary>
/// Trains a network by the extended Kalman filter, the seeds' MEKA: the weights are the state of a
/// dynamical system that does not move (w_{t+1} = w_t + process noise), and each training sample is a
/// noisy measurement of it through the network (t = f(x; w) + measurement noise). The filter processes
/// the samples one at a time and keeps, besides the weights, their error covariance P, which acts as a
/// per-direction learning rate that shrinks as the weights become known: second-order information at
/// online cost. Minimises the sum of squared errors Σ‖t − y‖².
/// </summary>
/// <remarks>
/// <para>Per sample (x, t) with the network's output y = f(x; w) [K] and its Jacobian H = ∂y/∂w [K×n]
/// (K backward passes), for the weight groups g (one group for <see cref="KalmanDecoupling.Global"/>):</para>
/// <list type="number">
/// <item>A = (R·I + Σ_g H_g·P_g·H_gᵀ)⁻¹, [K×K], with R the measurement noise (a global scaling; Puskorius
/// and Feldkamp's R = 1/η for a learning rate η).</item>
/// <item>K_g = P_g·H_gᵀ·A, the Kalman gain of group g [n_g×K].</item>
/// <item>w_g ← w_g + K_g·(t − y).</item>
/// <item>P_g ← P_g − K_g·H_g·P_g + Q·I, with Q the process noise (keeps P from collapsing, so the filter
/// keeps learning).</item>
/// </list>
/// <para>Decoupling drops the covariances between groups (P is block diagonal), which is what makes
/// the filter affordable for large networks; the gain normaliser A stays global, so every group
/// sees every other group's uncertainty through it (Puskorius and Feldkamp's decoupled EKF). This is
/// not Shah and Palmieri's local MEKA, whose per-neuron filters use back-propagated local targets.</para>
/// <para>Typical settings: P₀ = 100·I to 1000·I for inputs and targets of order 1, R annealed from
/// about 10 to below 1 over training (<see cref="Fit"/> does it geometrically), Q = 10⁻⁴ to 10⁻⁶.
/// The covariances are kept in double precision and exactly symmetric. The model is run
/// in evaluation mode (dropout off).</para>
/// </remarks>
public sealed class ExtendedKalmanTrainer
{
    private readonly Module _model;
    private readonly ParameterVector _parameters;
    private readonly int[][] _groups;       // flat weight indices of each group
    private readonly double[][] _covariances; // P_g, row-major [n_g, n_g]
    private double[] _jacobian = [];          // H, [K, n] row-major
    private double[] _gradient = [];
    private double _measurementNoise;
    private double _processNoise;

    /// <summary>Creates the trainer over <paramref name="model"/>'s trainable parameters.</summary>
    /// <param name="model">The network; its output for one sample is its prediction of the K target values.</param>
    /// <param name="decoupling">How the weights are split into filters.</param>
    /// <param name="initialCovariance">P₀ = p₀·I (&gt; 0): how uncertain the initial weights are; larger learns faster at first.</param>
    /// <param name="measurementNoise">R (&gt; 0), the variance of the target noise; smaller trusts each sample more.</param>
    /// <param name="processNoise">Q (≥ 0), added to P's diagonal after each update.</param>
    public ExtendedKalmanTrainer(Module model, KalmanDecoupling decoupling = KalmanDecoupling.Global, double initialCovariance = 100,
        double measurementNoise = 1, double processNoise = 1e-4)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        if (!(initialCovariance > 0) || !double.IsFinite(initialCovariance))
            throw new ArgumentOutOfRangeException(nameof(initialCovariance), initialCovariance, "ExtendedKalmanTrainer: the initial covariance p₀ must be positive and finite.");
        MeasurementNoise = measurementNoise;
        ProcessNoise = processNoise;
        _parameters = ParameterVector.Trainable(model);
        Decoupling = decoupling;
        _groups = BuildGroups(model, _parameters, decoupling);
        _covariances = new double[_groups.Length][];
        for (int g = 0; g < _groups.Length; g++)
        {
            int size = _groups[g].Length;
            var p = new double[size * size];
            for (int i = 0; i < size; i++) p[i * size + i] = initialCovariance;
            _covariances[g] = p;
        }
    }

    /// <summary>How the weights are split into filters.</summary>
    public KalmanDecoupling Decoupling { get; }

    /// <summary>n, the number of weights estimated.</summary>
    public int ParameterCount => _parameters.Count;

    /// <summary>The number of weights in each group (one group for the global filter).</summary>
    public IReadOnlyList<int> GroupSizes => [.. _groups.Select(g => g.Length)];

    /// <summary>The number of covariance entries kept, Σ n_g² (n² for the global filter).</summary>
    public long CovarianceSize => _groups.Sum(g => (long)g.Length * g.Length);

    /// <summary>Samples processed so far.</summary>
    public long Updates { get; private set; }

    /// <summary>R (&gt; 0), the measurement noise variance; may be changed between samples (annealing).</summary>
    public double MeasurementNoise
    {
        get => _measurementNoise;
        set
        {
            if (!(value > 0) || !double.IsFinite(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, "ExtendedKalmanTrainer: the measurement noise R must be positive and finite.");
            _measurementNoise = value;
        }
    }

    /// <summary>Q (≥ 0), the process noise added to the covariance diagonal after each update.</summary>
    public double ProcessNoise
    {
        get => _processNoise;
        set
        {
            if (!(value >= 0) || !double.IsFinite(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, "ExtendedKalmanTrainer: the process noise Q must be non-negative and finite.");
            _processNoise = value;
        }
    }

    /// <summary>The trace of P, Σ_g tr(P_g): the total remaining uncertainty about the weights.</summary>
    public double CovarianceTrace()
    {
        double trace = 0;
        for (int g = 0; g < _groups.Length; g++)
        {
            int size = _groups[g].Length;
            for (int i = 0; i < size; i++) trace += _covariances[g][i * size + i];
        }
        return trace;
    }

    /// <summary>One filter update from one sample; returns its squared error ‖t − y‖² before the update.</summary>
    /// <param name="input">One sample's features: [1, ...] (a batch of one) or the sample's shape, which gets a leading 1.</param>
    /// <param name="target">The sample's K target values, any shape with K elements.</param>
    public double Update(Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        int n = _parameters.Count;
        bool wasTraining = _model.IsTraining;
        _model.Eval();
        double[] error;
        int outputs;
        try
        {
            // y and H = ∂y/∂w, one backward pass per output.
            Tensor output = _model.Forward(input).Reshape(-1);
            outputs = output.Count;
            if (target.Count != outputs)
                throw new ShapeMismatchException($"ExtendedKalmanTrainer: the network gave {outputs} output(s) for one sample but the target {target.Shape} has {target.Count}; give one target value per output.");
            float[] y = output.ToArray();
            float[] t = target.Contiguous().ToArray();
            error = new double[outputs];
            for (int k = 0; k < outputs; k++) error[k] = (double)t[k] - y[k];
            if (_jacobian.Length != outputs * n) _jacobian = new double[outputs * n];
            if (_gradient.Length != n) _gradient = new double[n];
            for (int k = 0; k < outputs; k++)
            {
                _parameters.ZeroGrad();
                Tensor seed = Tensor.Zeros(output.Shape);
                seed[k] = 1f;
                output.Backward(seed, retainGraph: k < outputs - 1);
                _parameters.GetGradients(_gradient);
                _gradient.CopyTo(_jacobian, k * n);
            }
            _parameters.ZeroGrad();
        }
        finally
        {
            _model.Train(wasTraining);
        }

        Filter(error, outputs);
        Updates++;
        double squared = 0;
        foreach (double e in error) squared += e * e;
        return squared;
    }

    /// <summary>The Kalman update of w and P from the error e = t − y and the Jacobian in <see cref="_jacobian"/>.</summary>
    private void Filter(double[] error, int outputs)
    {
        int n = _parameters.Count;
        // PHt_g = P_g·H_gᵀ, [n_g, K]; S = R·I + Σ_g H_g·PHt_g, [K, K].
        var pht = new double[_groups.Length][];
        var s = new double[outputs, outputs];
        for (int k = 0; k < outputs; k++) s[k, k] = _measurementNoise;
        for (int g = 0; g < _groups.Length; g++)
        {
            int[] index = _groups[g];
            int size = index.Length;
            double[] p = _covariances[g];
            var block = new double[size * outputs];
            for (int i = 0; i < size; i++)
            {
                for (int k = 0; k < outputs; k++)
                {
                    double sum = 0;
                    int row = k * n;
                    for (int j = 0; j < size; j++) sum += p[i * size + j] * _jacobian[row + index[j]];
                    block[i * outputs + k] = sum;
                }
            }
            pht[g] = block;
            for (int a = 0; a < outputs; a++)
                for (int b = 0; b < outputs; b++)
                {
                    double sum = 0;
                    int row = a * n;
                    for (int i = 0; i < size; i++) sum += _jacobian[row + index[i]] * block[i * outputs + b];
                    s[a, b] += sum;
                }
        }
        double[,] inverse = outputs == 1 ? new[,] { { 1.0 / s[0, 0] } } : Linalg.InverseSpd(Symmetrise(s), out _);

        double[] w = _parameters.GetValues();
        for (int g = 0; g < _groups.Length; g++)
        {
            int[] index = _groups[g];
            int size = index.Length;
            double[] p = _covariances[g];
            double[] block = pht[g];
            // K_g = PHt_g·A, [n_g, K].
            var gain = new double[size * outputs];
            for (int i = 0; i < size; i++)
                for (int b = 0; b < outputs; b++)
                {
                    double sum = 0;
                    for (int a = 0; a < outputs; a++) sum += block[i * outputs + a] * inverse[a, b];
                    gain[i * outputs + b] = sum;
                }
            // w_g += K_g·e.
            for (int i = 0; i < size; i++)
            {
                double sum = 0;
                for (int k = 0; k < outputs; k++) sum += gain[i * outputs + k] * error[k];
                w[index[i]] += sum;
            }
            // P_g ← P_g − K_g·(P_g·H_gᵀ)ᵀ + Q·I: K_g·H_g·P_g = PHt_g·A·PHt_gᵀ is symmetric (P_g and A are),
            // so the lower triangle is computed and mirrored, which keeps P_g exactly symmetric.
            for (int i = 0; i < size; i++)
                for (int j = 0; j <= i; j++)
                {
                    double sum = 0;
                    for (int k = 0; k < outputs; k++) sum += gain[i * outputs + k] * block[j * outputs + k];
                    double value = p[i * size + j] - sum;
                    if (i == j) value += _processNoise;
                    p[i * size + j] = value;
                    p[j * size + i] = value;
                }
        }
        _parameters.SetValues(w);
    }

    private static double[,] Symmetrise(double[,] s)
    {
        int k = s.GetLength(0);
        for (int i = 0; i < k; i++)
            for (int j = 0; j < i; j++)
            {
                double mean = 0.5 * (s[i, j] + s[j, i]);
                s[i, j] = mean;
                s[j, i] = mean;
            }
        return s;
    }

    /// <summary>One pass over the samples, one filter update each; returns the mean of ‖t − y‖² over the pass (each measured before its update).</summary>
    /// <param name="inputs">[N, ...].</param>
    /// <param name="targets">[N, K] (or [N] for K = 1).</param>
    /// <param name="generator">Shuffles the order of the samples; null visits them in order.</param>
    public double TrainEpoch(Tensor inputs, Tensor targets, RandomGenerator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.Rank == 0 || targets.Rank == 0 || inputs.Shape[0] != targets.Shape[0])
            throw new ShapeMismatchException($"ExtendedKalmanTrainer: inputs {inputs.Shape} and targets {targets.Shape} need the same number of rows [N, ...].");
        int count = inputs.Shape[0];
        int[] order = generator?.Permutation(count) ?? [.. Enumerable.Range(0, count)];
        double sum = 0;
        foreach (int i in order)
            sum += Update(inputs.Narrow(0, i, 1).Contiguous(), targets.Narrow(0, i, 1).Contiguous());
        return count == 0 ? double.NaN : sum / count;
    }

    /// <summary>
    /// Trains for <paramref name="epochs"/> passes in a new random order each, annealing R geometrically
    /// from its current value to <paramref name="finalMeasurementNoise"/> at the last epoch
    /// (R_e = R₀·(R_final/R₀)^(e/(epochs − 1))). Returns each epoch's mean ‖t − y‖² (measured before each update).
    /// </summary>
    /// <param name="inputs">[N, ...].</param>
    /// <param name="targets">[N, K] (or [N] for K = 1).</param>
    /// <param name="epochs">Passes over the data (≥ 1).</param>
    /// <param name="finalMeasurementNoise">R at the last epoch; null keeps R fixed.</param>
    /// <param name="seed">Seeds the sample order.</param>
    public IReadOnlyList<double> Fit(Tensor inputs, Tensor targets, int epochs, double? finalMeasurementNoise = null, long seed = 0)
    {
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "ExtendedKalmanTrainer.Fit: epochs must be at least 1.");
        double initial = MeasurementNoise;
        double final = finalMeasurementNoise ?? initial;
        if (!(final > 0)) throw new ArgumentOutOfRangeException(nameof(finalMeasurementNoise), final, "ExtendedKalmanTrainer.Fit: the final measurement noise must be positive.");
        var generator = new RandomGenerator(seed);
        var losses = new List<double>(epochs);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            MeasurementNoise = epochs == 1 ? initial : initial * Math.Pow(final / initial, epoch / (double)(epochs - 1));
            losses.Add(TrainEpoch(inputs, targets, generator));
        }
        return losses;
    }

    /// <summary>The flat indices of each group's weights.</summary>
    private static int[][] BuildGroups(Module model, ParameterVector parameters, KalmanDecoupling decoupling)
    {
        if (decoupling == KalmanDecoupling.Global) return [[.. Enumerable.Range(0, parameters.Count)]];
        var groups = new List<int[]>();
        var covered = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var (_, module) in model.NamedModules())
        {
            var own = module.OwnParameters().Where(p => p.Parameter.RequiresGrad).ToList();
            if (own.Count == 0) continue;
            foreach (var (_, p) in own) covered.Add(p);
            if (decoupling == KalmanDecoupling.PerLayer)
            {
                groups.Add([.. own.SelectMany(p => Range(parameters.OffsetOf(p.Parameter), p.Parameter.Count))]);
                continue;
            }
            // Per neuron: row o of a weight [out, ...] with element o of a bias [out]; any other parameter is a group of its own.
            Parameter? weight = own.FirstOrDefault(p => p.Name == "weight").Parameter;
            Parameter? bias = own.FirstOrDefault(p => p.Name == "bias").Parameter;
            if (weight is not null && weight.Rank >= 2)
            {
                int units = weight.Shape[0], fanIn = weight.Count / units;
                bool pairedBias = bias is not null && bias.Rank == 1 && bias.Count == units;
                int weightOffset = parameters.OffsetOf(weight);
                for (int o = 0; o < units; o++)
                {
                    var group = Range(weightOffset + o * fanIn, fanIn).ToList();
                    if (pairedBias) group.Add(parameters.OffsetOf(bias!) + o);
                    groups.Add([.. group]);
                }
                foreach (var (_, p) in own)
                    if (!ReferenceEquals(p, weight) && !(pairedBias && ReferenceEquals(p, bias)))
                        groups.Add([.. Range(parameters.OffsetOf(p), p.Count)]);
            }
            else
            {
                foreach (var (_, p) in own) groups.Add([.. Range(parameters.OffsetOf(p), p.Count)]);
            }
        }
        foreach (Parameter p in parameters.Parameters)
            if (!covered.Contains(p)) groups.Add([.. Range(parameters.OffsetOf(p), p.Count)]);
        return [.. groups];
    }

    private static IEnumerable<int> Range(int start, int count) => Enumerable.Range(start, count);
}
