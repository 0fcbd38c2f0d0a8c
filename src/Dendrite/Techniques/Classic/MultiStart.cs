using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Tensors;
using Dendrite.Training;
using Dendrite.Training.Callbacks;
using Dendrite.Training.Metrics;

namespace Dendrite.Techniques.Classic;

/// <summary>One start (initialisation) of a multi-start run.</summary>
/// <param name="Start">The start's number, 0-based.</param>
/// <param name="Seed">The seed its initialisation (and shuffling) came from; the same seed gives the same run.</param>
/// <param name="ValidationLoss">Its loss on the validation data after training: what the best run is chosen by.</param>
/// <param name="TrainingLoss">Its training loss in the last epoch (NaN when not measured).</param>
/// <param name="Epochs">Epochs trained (fewer than asked when the run stalled).</param>
/// <param name="Stalled">Whether training was abandoned because the training error stopped falling.</param>
public sealed record MultiStartRun(int Start, long Seed, double ValidationLoss, double TrainingLoss, int Epochs, bool Stalled);

/// <summary>What a multi-start run returns: the best network (by validation loss) and every start's record.</summary>
/// <param name="Model">The network of the best start, trained: the one to keep.</param>
/// <param name="Best">The best start's record.</param>
/// <param name="Runs">Every start, in order.</param>
public sealed record MultiStartResult(Module Model, MultiStartRun Best, IReadOnlyList<MultiStartRun> Runs);

/// <summary>
/// Multi-start training, the seeds' remedy for local minima and unlucky initialisations: train the same
/// architecture from several random initialisations and keep the network with the lowest validation
/// error (not training error: the validation set chooses, so the choice does not overfit the
/// training set). <see cref="MultiStartTrainer"/> adds restarts when the training error stalls.
/// </summary>
public static class MultiStart
{
    /// <summary>
    /// Runs <paramref name="starts"/> starts: for each, <paramref name="train"/> builds and trains a network
    /// from the start's own generator, and <paramref name="validationLoss"/> scores it; the lowest score wins
    /// (ties go to the earlier start). Start s's seed depends only on <paramref name="seed"/> and s.
    /// </summary>
    /// <param name="starts">Number of initialisations (≥ 1).</param>
    /// <param name="train">Builds a network with the generator (for its initialisation) and trains it; any training method (full-batch, EKF, Trainer) fits.</param>
    /// <param name="validationLoss">The loss on the validation data of a trained network (lower is better; NaN never wins).</param>
    /// <param name="seed">Where the starts' seeds come from.</param>
    public static MultiStartResult Run(int starts, Func<RandomGenerator, Module> train, Func<Module, double> validationLoss, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validationLoss);
        if (starts < 1) throw new ArgumentOutOfRangeException(nameof(starts), starts, "MultiStart: at least one start is needed.");
        var seeds = StartSeeds(seed);
        var runs = new List<MultiStartRun>(starts);
        Module? best = null;
        MultiStartRun? bestRun = null;
        for (int s = 0; s < starts; s++)
        {
            long startSeed = seeds.Next();
            Module model = train(new RandomGenerator(startSeed)) ?? throw new InvalidOperationException("MultiStart: the training function returned no network.");
            var run = new MultiStartRun(s, startSeed, validationLoss(model), double.NaN, 0, false);
            runs.Add(run);
            if (IsBetter(run, bestRun)) (best, bestRun) = (model, run);
        }
        return Finish(best, bestRun, runs);
    }

    /// <summary>True when <paramref name="run"/> beats <paramref name="best"/> (a finite loss strictly lower, or the first finite one).</summary>
    internal static bool IsBetter(MultiStartRun run, MultiStartRun? best)
    {
        if (best is null) return true;
        if (!double.IsFinite(run.ValidationLoss)) return false;
        return !double.IsFinite(best.ValidationLoss) || run.ValidationLoss < best.ValidationLoss;
    }

    internal static MultiStartResult Finish(Module? best, MultiStartRun? bestRun, List<MultiStartRun> runs) =>
        new(best!, bestRun!, runs);

    /// <summary>The sequence of start seeds for a multi-start seed: start s's seed is the s-th draw.</summary>
    internal static SeedSequence StartSeeds(long seed) => new(seed);

    internal sealed class SeedSequence(long seed)
    {
        private readonly RandomGenerator _generator = new(seed ^ 0x3C6EF372FE94F82BL);

        public long Next() => (long)(_generator.NextUInt64() >> 1);
    }
}

/// <summary>
/// Multi-start training with <see cref="Trainer"/>: each start builds a fresh network and optimiser,
/// trains until its epochs run out or its training error stalls (then it is abandoned and the next
/// start begins: the seeds' "restart when training error stalls"), and is scored on the validation
/// data; the network with the lowest validation loss is returned.
/// </summary>
/// <remarks>
/// <para>A run stalls when its training loss has not fallen below (1 − <see cref="StallTolerance"/>)
/// times its best value for <see cref="StallPatience"/> epochs. A run that has converged stalls too,
/// which costs nothing: further epochs would not change it. With an <see cref="EpochBudget"/>, starts
/// continue (up to <see cref="Starts"/>) until the budget of epochs over all runs is spent, so the
/// epochs a stalled run did not use go to further restarts.</para>
/// </remarks>
/// <param name="createModel">Builds a new network, initialised from the given generator.</param>
/// <param name="createOptimizer">Builds the optimiser for a new network.</param>
/// <param name="loss">The training loss, also the validation score.</param>
/// <param name="metrics">Reported besides the loss (as in <see cref="Trainer"/>).</param>
public sealed class MultiStartTrainer(Func<RandomGenerator, Module> createModel, Func<Module, Optimizer> createOptimizer, Loss loss, IEnumerable<Metric>? metrics = null)
{
    private readonly Func<RandomGenerator, Module> _createModel = createModel ?? throw new ArgumentNullException(nameof(createModel));
    private readonly Func<Module, Optimizer> _createOptimizer = createOptimizer ?? throw new ArgumentNullException(nameof(createOptimizer));
    private readonly Loss _loss = loss ?? throw new ArgumentNullException(nameof(loss));
    private readonly List<Metric> _metrics = metrics?.ToList() ?? [];

    /// <summary>The largest number of starts (≥ 1).</summary>
    public int Starts { get; init; } = 5;

    /// <summary>Epochs without a relative improvement of <see cref="StallTolerance"/> in the training loss before a run is abandoned (0: never).</summary>
    public int StallPatience { get; init; } = 20;

    /// <summary>The relative fall in the training loss that counts as progress (10⁻³: 0.1 %).</summary>
    public double StallTolerance { get; init; } = 1e-3;

    /// <summary>When set, the total epochs over all starts: starts continue until it is spent (or <see cref="Starts"/> is reached).</summary>
    public int? EpochBudget { get; init; }

    /// <summary>Trains the starts and returns the best by validation loss.</summary>
    /// <param name="train">The training data.</param>
    /// <param name="validation">The data that chooses the best start.</param>
    /// <param name="epochs">The most epochs per start.</param>
    /// <param name="batchSize">Samples per step.</param>
    /// <param name="seed">Where the starts' seeds come from; start s's seed depends only on it and s.</param>
    /// <param name="callbacks">Extra callbacks for every start (created afresh per start).</param>
    public MultiStartResult Fit(Dataset train, Dataset validation, int epochs, int batchSize = 32, long seed = 0, Func<IEnumerable<Callback>>? callbacks = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        if (Starts < 1) throw new InvalidOperationException($"MultiStartTrainer: Starts must be at least 1; got {Starts}.");
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "MultiStartTrainer: epochs must be at least 1.");
        var seeds = MultiStart.StartSeeds(seed);
        var runs = new List<MultiStartRun>();
        Module? best = null;
        MultiStartRun? bestRun = null;
        int spent = 0;
        for (int s = 0; s < Starts; s++)
        {
            int remaining = EpochBudget is int budget ? budget - spent : epochs;
            if (remaining <= 0) break;
            long startSeed = seeds.Next();
            Module model = _createModel(new RandomGenerator(startSeed));
            var trainer = new Trainer(model, _createOptimizer(model), _loss, _metrics);
            var stall = new StallDetector(StallPatience, StallTolerance);
            var list = new List<Callback> { stall };
            if (callbacks is not null) list.AddRange(callbacks());
            History history = trainer.Fit(train, Math.Min(epochs, remaining), batchSize, callbacks: list, seed: startSeed);
            spent += history.Epochs;
            double trainingLoss = history.Epochs > 0 ? history["loss"][^1] : double.NaN;
            var run = new MultiStartRun(s, startSeed, trainer.Evaluate(validation)["loss"], trainingLoss, history.Epochs, stall.Stalled);
            runs.Add(run);
            if (MultiStart.IsBetter(run, bestRun)) (best, bestRun) = (model, run);
        }
        return MultiStart.Finish(best, bestRun, runs);
    }
}

/// <summary>
/// Stops training when the training loss (<c>loss</c>) has not fallen below (1 − tolerance)·best for
/// <see cref="Patience"/> epochs: the signal that the run sits on a plateau or in a poor minimum and a
/// restart from a new initialisation is the better use of time.
/// </summary>
/// <param name="patience">Epochs without progress tolerated (0: never stop).</param>
/// <param name="tolerance">The relative fall that counts as progress (≥ 0).</param>
public sealed class StallDetector(int patience = 20, double tolerance = 1e-3) : Callback
{
    private double _best;
    private int _wait;

    /// <summary>Epochs without progress tolerated (0: never stop).</summary>
    public int Patience { get; } = patience >= 0 ? patience : throw new ArgumentOutOfRangeException(nameof(patience), patience, "StallDetector: patience must be non-negative.");

    /// <summary>The relative fall in the loss that counts as progress.</summary>
    public double Tolerance { get; } = tolerance >= 0 ? tolerance : throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "StallDetector: the tolerance must be non-negative.");

    /// <summary>Whether the last run was stopped for stalling.</summary>
    public bool Stalled { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingContext context)
    {
        _best = double.PositiveInfinity;
        _wait = 0;
        Stalled = false;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, int epoch, IDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(logs);
        if (Patience == 0 || !logs.TryGetValue("loss", out double loss)) return;
        if (loss < _best * (1 - Tolerance) || double.IsPositiveInfinity(_best))
        {
            _best = loss;
            _wait = 0;
            return;
        }
        if (++_wait >= Patience)
        {
            Stalled = true;
            context.RequestStop($"the training loss has not fallen by {Tolerance:P2} for {_wait} epochs (best {_best:G5}); restart from a new initialisation");
        }
    }
}
