using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dendrite.Data;
using Dendrite.Tensors;
using Dendrite.Training;

namespace Dendrite.Techniques.Search;

/// <summary>What a trial's objective gets besides its configuration: its index, its seed and its own random generator.</summary>
/// <param name="Index">The trial's position in the list (0-based).</param>
/// <param name="Seed">The trial's seed, derived from the search seed and the index only.</param>
/// <param name="Generator">A generator of its own, seeded with <paramref name="Seed"/>: use it for initialisation, splits and dropout so trials never share a stream.</param>
public sealed record TrialContext(int Index, long Seed, RandomGenerator Generator);

/// <summary>One evaluated configuration.</summary>
/// <param name="Index">Its position in the list of trials.</param>
/// <param name="Configuration">The hyper-parameters tried.</param>
/// <param name="Seed">The seed it ran with (rerun it with the same seed to get the same score).</param>
/// <param name="Score">The objective's value (NaN when it failed).</param>
/// <param name="Elapsed">Wall-clock time of the trial.</param>
public sealed record Trial(int Index, Configuration Configuration, long Seed, double Score, TimeSpan Elapsed);

/// <summary>
/// Model selection by grid or random search (Bergstra and Bengio 2012; the seeds draw learning rates
/// and regularisation strengths log-uniformly), with coarse-to-fine refinement. Each trial gets its
/// own seed, derived from the search seed and the trial's index alone, and its own
/// <see cref="RandomGenerator"/>; trials run in parallel and the scores do not depend on the degree
/// of parallelism or the order the trials finish in.
/// </summary>
public static class HyperparameterSearch
{
    /// <summary>Evaluates every configuration of the full grid of <paramref name="space"/>.</summary>
    public static SearchResult Grid(SearchSpace space, int pointsPerDimension, Func<Configuration, TrialContext, double> objective,
        long seed = 0, bool higherIsBetter = true, int maxParallelism = 1, IReadOnlyDictionary<string, int>? points = null)
    {
        ArgumentNullException.ThrowIfNull(space);
        return Run(space.Grid(pointsPerDimension, points), objective, seed, higherIsBetter, maxParallelism);
    }

    /// <summary>Evaluates <paramref name="trials"/> configurations drawn at random from <paramref name="space"/> (the draws come from <paramref name="seed"/>).</summary>
    public static SearchResult Random(SearchSpace space, int trials, Func<Configuration, TrialContext, double> objective,
        long seed = 0, bool higherIsBetter = true, int maxParallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(space);
        return Run(space.Random(trials, new RandomGenerator(seed ^ 0x5DEECE66DL)), objective, seed, higherIsBetter, maxParallelism);
    }

    /// <summary>
    /// Coarse-to-fine: a random search of <paramref name="coarseTrials"/> over <paramref name="space"/>,
    /// then <paramref name="fineTrials"/> over the space narrowed around the best configuration by
    /// <paramref name="factor"/>. Returns both results; the fine one's best is the answer.
    /// </summary>
    public static (SearchResult Coarse, SearchResult Fine) CoarseToFine(SearchSpace space, int coarseTrials, int fineTrials, Func<Configuration, TrialContext, double> objective,
        double factor = 0.3, long seed = 0, bool higherIsBetter = true, int maxParallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(space);
        SearchResult coarse = Random(space, coarseTrials, objective, seed, higherIsBetter, maxParallelism);
        SearchSpace narrowed = space.Refine(coarse.Best.Configuration, factor);
        SearchResult fine = Random(narrowed, fineTrials, objective, seed + 1, higherIsBetter, maxParallelism);
        return (coarse, fine);
    }

    /// <summary>
    /// Evaluates <paramref name="configurations"/> with <paramref name="objective"/>, up to
    /// <paramref name="maxParallelism"/> at a time. Trial i runs with seed Seed(<paramref name="seed"/>, i), its
    /// own generator, and the thread's default generator reseeded to the same seed, so that layers
    /// created without a generator are reproducible too.
    /// </summary>
    public static SearchResult Run(IReadOnlyList<Configuration> configurations, Func<Configuration, TrialContext, double> objective,
        long seed = 0, bool higherIsBetter = true, int maxParallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(configurations);
        ArgumentNullException.ThrowIfNull(objective);
        if (maxParallelism < 1) throw new ArgumentOutOfRangeException(nameof(maxParallelism), $"HyperparameterSearch: maxParallelism must be at least 1; got {maxParallelism}.");
        var trials = new Trial[configurations.Count];
        void RunOne(int i)
        {
            long trialSeed = TrialSeed(seed, i);
            // The thread's default generator is reseeded for the trial and put back afterwards, so
            // the caller's stream is the same whether or not it ran a search.
            RandomGeneratorState saved = RandomGenerator.Default.GetState();
            RandomGenerator.SetDefaultSeed(trialSeed);
            try
            {
                var watch = Stopwatch.StartNew();
                double score = objective(configurations[i], new TrialContext(i, trialSeed, new RandomGenerator(trialSeed)));
                trials[i] = new Trial(i, configurations[i], trialSeed, score, watch.Elapsed);
            }
            finally
            {
                RandomGenerator.Default.SetState(saved);
            }
        }
        if (maxParallelism == 1)
            for (int i = 0; i < trials.Length; i++) RunOne(i);
        else
            Parallel.For(0, trials.Length, new ParallelOptions { MaxDegreeOfParallelism = maxParallelism }, RunOne);
        return new SearchResult(trials, higherIsBetter);
    }

    /// <summary>The seed of trial <paramref name="index"/> of a search seeded with <paramref name="seed"/> (SplitMix64 of both).</summary>
    public static long TrialSeed(long seed, int index)
    {
        ulong z = (ulong)seed + 0x9E3779B97F4A7C15UL * (ulong)(index + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (long)(z ^ (z >> 31));
    }

    /// <summary>
    /// Scores a configuration by training on <paramref name="train"/> for a budget of
    /// <paramref name="epochs"/> and reading <paramref name="metric"/> from an evaluation on
    /// <paramref name="validation"/>. <paramref name="build"/> makes a fresh trainer (model,
    /// optimiser, loss, metrics) from the configuration and the trial's generator.
    /// </summary>
    public static double ValidationScore(Func<Configuration, RandomGenerator, Trainer> build, Configuration configuration, TrialContext context,
        Dataset train, Dataset validation, int epochs, int batchSize = 32, string metric = "accuracy")
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(context);
        Trainer trainer = build(configuration, context.Generator);
        trainer.Fit(train, epochs, batchSize, seed: context.Seed);
        return trainer.Evaluate(validation)[metric];
    }

    /// <summary>
    /// Scores a configuration by <paramref name="folds"/>-fold cross-validation on <paramref name="data"/>
    /// (stratified for classification): the mean of <paramref name="metric"/> over the folds, each
    /// trained for <paramref name="epochs"/> from a fresh trainer.
    /// </summary>
    public static double CrossValidationScore(Func<Configuration, RandomGenerator, Trainer> build, Configuration configuration, TrialContext context,
        Dataset data, int folds, int epochs, int batchSize = 32, string metric = "accuracy")
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(context);
        var splits = Splits.KFold(data, folds, context.Generator.Split(), stratified: data.Task == PredictionTask.Classification);
        double total = 0;
        for (int f = 0; f < splits.Count; f++)
        {
            Trainer trainer = build(configuration, context.Generator);
            trainer.Fit(splits[f].Train, epochs, batchSize, seed: context.Seed + f);
            total += trainer.Evaluate(splits[f].Validation)[metric];
        }
        return total / splits.Count;
    }
}

/// <summary>The trials of a search, sorted best first.</summary>
public sealed class SearchResult
{
    internal SearchResult(IReadOnlyList<Trial> trials, bool higherIsBetter)
    {
        HigherIsBetter = higherIsBetter;
        // NaN scores (failed trials) go last; ties keep the trial order.
        Trials = trials.OrderBy(t => double.IsNaN(t.Score) ? 1 : 0)
            .ThenBy(t => higherIsBetter ? -t.Score : t.Score)
            .ThenBy(t => t.Index).ToList();
    }

    /// <summary>Every trial, best first.</summary>
    public IReadOnlyList<Trial> Trials { get; }

    /// <summary>Whether larger scores are better.</summary>
    public bool HigherIsBetter { get; }

    /// <summary>The best trial.</summary>
    public Trial Best => Trials.Count > 0 ? Trials[0] : throw new InvalidOperationException("SearchResult: no trials were run.");

    /// <summary>A text table of the trials, best first: rank, trial, every hyper-parameter, score, seconds.</summary>
    public string ToTable(string scoreName = "score")
    {
        var text = new StringBuilder();
        if (Trials.Count == 0) return "(no trials)\n";
        var names = Trials[0].Configuration.Values.Select(v => v.Key).ToList();
        var widths = names.Select(n => Math.Max(n.Length, Trials.Max(t => Configuration.Format(t.Configuration[n]).Length))).ToList();
        text.Append("rank  trial");
        for (int i = 0; i < names.Count; i++) text.Append("  ").Append(names[i].PadLeft(widths[i]));
        text.Append("  ").Append(scoreName.PadLeft(8)).AppendLine("  seconds");
        for (int r = 0; r < Trials.Count; r++)
        {
            Trial t = Trials[r];
            text.Append(CultureInfo.InvariantCulture, $"{r + 1,4}  {t.Index,5}");
            for (int i = 0; i < names.Count; i++) text.Append("  ").Append(Configuration.Format(t.Configuration[names[i]]).PadLeft(widths[i]));
            text.Append(CultureInfo.InvariantCulture, $"  {t.Score,8:F4}  {t.Elapsed.TotalSeconds,7:F1}").AppendLine();
        }
        return text.ToString();
    }
}
