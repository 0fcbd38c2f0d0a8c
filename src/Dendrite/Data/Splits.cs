using System.Globalization;
using Dendrite.Tensors;

namespace Dendrite.Data;

/// <summary>
/// Random partitions of a data set: train/validation/test splits (plain or stratified), k-fold
/// cross-validation and bootstrap samples. Every method draws only from the generator it is given,
/// so the same seed gives the same split.
/// </summary>
/// <remarks>
/// Split sizes are the fractions of N rounded by largest remainder, so they always add up to N (60/20/20
/// of 150 is 90/30/30; 65/10/25 of 1797 is 1168/180/449). Stratified splits divide each class the same
/// way, so each split holds each class's share to within one sample. Each method has an
/// <c>...Indices</c> twin that returns the row indices instead of copies of the rows.
/// </remarks>
public static class Splits
{
    /// <summary>Splits <paramref name="data"/> into training, validation and test sets (copies of the rows, in random order).</summary>
    /// <param name="data">The samples.</param>
    /// <param name="train">Fraction for training, in [0, 1].</param>
    /// <param name="validation">Fraction for validation, in [0, 1].</param>
    /// <param name="test">Fraction for testing, in [0, 1]; the three add up to 1.</param>
    /// <param name="generator">Where the shuffle comes from.</param>
    /// <param name="stratified">Keep each class's proportion in every split (classification only).</param>
    public static (Dataset Train, Dataset Validation, Dataset Test) TrainValidationTest(Dataset data, double train, double validation, double test, RandomGenerator generator, bool stratified = false)
    {
        var (trainRows, validationRows, testRows) = TrainValidationTestIndices(data, train, validation, test, generator, stratified);
        return (data.Subset(trainRows, data.Name + "/train"), data.Subset(validationRows, data.Name + "/validation"), data.Subset(testRows, data.Name + "/test"));
    }

    /// <summary>Splits <paramref name="data"/> in two: a training set and a held-out set of the fraction <paramref name="holdOut"/> (for a validation split).</summary>
    /// <param name="data">The samples.</param>
    /// <param name="holdOut">Fraction held out, in [0, 1].</param>
    /// <param name="generator">Where the shuffle comes from.</param>
    /// <param name="stratified">Keep each class's proportion in both parts (classification only).</param>
    public static (Dataset Train, Dataset HeldOut) TrainValidation(Dataset data, double holdOut, RandomGenerator generator, bool stratified = false)
    {
        var (trainRows, heldOutRows, _) = TrainValidationTestIndices(data, 1 - holdOut, holdOut, 0, generator, stratified);
        return (data.Subset(trainRows, data.Name + "/train"), data.Subset(heldOutRows, data.Name + "/validation"));
    }

    /// <summary>The row indices of <see cref="TrainValidationTest"/>: three disjoint arrays that together hold 0..N-1 once each, each in random order.</summary>
    public static (int[] Train, int[] Validation, int[] Test) TrainValidationTestIndices(Dataset data, double train, double validation, double test, RandomGenerator generator, bool stratified = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(generator);
        double[] fractions = [train, validation, test];
        foreach (double f in fractions)
            if (!(f >= 0 && f <= 1))
                throw new ArgumentOutOfRangeException(nameof(train), string.Create(CultureInfo.InvariantCulture, $"Split fractions must lie in [0, 1]; got {train}/{validation}/{test}."));
        if (Math.Abs(train + validation + test - 1) > 1e-6)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Split fractions must add up to 1; {train} + {validation} + {test} = {train + validation + test}."), nameof(test));

        int[][] parts = stratified ? StratifiedPartition(data, fractions, generator) : Partition(generator.Permutation(data.Count), fractions);
        return (parts[0], parts[1], parts[2]);
    }

    /// <summary>
    /// k-fold cross-validation: k (train, validation) pairs whose validation sets partition the data, so
    /// every sample is validated on exactly once. Fold sizes differ by at most one (the first N mod k
    /// folds are one larger); stratified folds also hold each class to within one sample of its share.
    /// </summary>
    /// <param name="data">The samples.</param>
    /// <param name="k">Number of folds, 2..N.</param>
    /// <param name="generator">Where the shuffle comes from.</param>
    /// <param name="stratified">Keep each class's proportion in every fold (classification only).</param>
    public static IReadOnlyList<(Dataset Train, Dataset Validation)> KFold(Dataset data, int k, RandomGenerator generator, bool stratified = false)
    {
        var folds = KFoldIndices(data, k, generator, stratified);
        var result = new (Dataset, Dataset)[folds.Count];
        for (int i = 0; i < folds.Count; i++)
        {
            string fold = string.Create(CultureInfo.InvariantCulture, $"{data.Name}/fold{i + 1}of{k}");
            result[i] = (data.Subset(folds[i].Train, fold + "/train"), data.Subset(folds[i].Validation, fold + "/validation"));
        }
        return result;
    }

    /// <summary>The row indices of <see cref="KFold"/>.</summary>
    public static IReadOnlyList<(int[] Train, int[] Validation)> KFoldIndices(Dataset data, int k, RandomGenerator generator, bool stratified = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(generator);
        if (k < 2 || k > data.Count)
            throw new ArgumentOutOfRangeException(nameof(k), $"k-fold cross-validation needs 2 ≤ k ≤ N; got k = {k} for {data.Count} samples.");

        // Deal the rows into folds like cards: fold of the j-th row = j mod k. With the rows ordered
        // class by class (each class shuffled), every fold gets each class's share to within one.
        int[] order = stratified ? ClassByClass(data, generator) : generator.Permutation(data.Count);
        int[] foldOf = new int[data.Count];
        for (int j = 0; j < order.Length; j++) foldOf[order[j]] = j % k;
        // Each fold's rows in the dealt order, so folds are as random as the deal.
        var validation = new List<int>[k];
        for (int f = 0; f < k; f++) validation[f] = new List<int>(data.Count / k + 1);
        foreach (int row in order) validation[foldOf[row]].Add(row);

        var result = new (int[], int[])[k];
        for (int f = 0; f < k; f++)
        {
            var train = new List<int>(data.Count - validation[f].Count);
            foreach (int row in order) if (foldOf[row] != f) train.Add(row);
            result[f] = (train.ToArray(), validation[f].ToArray());
        }
        return result;
    }

    /// <summary>
    /// A bootstrap sample: N rows drawn uniformly with replacement, and the out-of-bag rows (those never
    /// drawn, about 36.8% of N), for bagging and out-of-bag error estimates.
    /// </summary>
    public static (Dataset Sample, Dataset OutOfBag) Bootstrap(Dataset data, RandomGenerator generator)
    {
        var (sample, outOfBag) = BootstrapIndices(data, generator);
        return (data.Subset(sample, data.Name + "/bootstrap"), data.Subset(outOfBag, data.Name + "/out-of-bag"));
    }

    /// <summary>The row indices of <see cref="Bootstrap"/>: N draws in draw order, and the rows never drawn in increasing order.</summary>
    public static (int[] Sample, int[] OutOfBag) BootstrapIndices(Dataset data, RandomGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(generator);
        int n = data.Count;
        var sample = new int[n];
        var drawn = new bool[n];
        for (int i = 0; i < n; i++)
        {
            sample[i] = generator.NextInt(n);
            drawn[sample[i]] = true;
        }
        var outOfBag = new List<int>();
        for (int i = 0; i < n; i++) if (!drawn[i]) outOfBag.Add(i);
        return (sample, outOfBag.ToArray());
    }

    /// <summary>Cuts <paramref name="order"/> into consecutive parts of the largest-remainder sizes of <paramref name="fractions"/>.</summary>
    private static int[][] Partition(int[] order, double[] fractions)
    {
        int[] sizes = Apportion(order.Length, fractions);
        var parts = new int[fractions.Length][];
        int start = 0;
        for (int p = 0; p < parts.Length; p++)
        {
            parts[p] = order.AsSpan(start, sizes[p]).ToArray();
            start += sizes[p];
        }
        return parts;
    }

    /// <summary>
    /// Splits each class by the fractions and joins the pieces. The overall sizes are the same as the
    /// unstratified split's; each class's piece is the floor or the ceiling of its exact share.
    /// </summary>
    private static int[][] StratifiedPartition(Dataset data, double[] fractions, RandomGenerator generator)
    {
        List<int>[] byClass = RowsByClass(data, "stratified split");
        foreach (var rows in byClass) generator.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows));

        int parts = fractions.Length;
        int[] totals = Apportion(data.Count, fractions);
        // Floors first, then hand each class's remaining rows to the parts with the largest fractional
        // shares that still have room in their total.
        var counts = new int[byClass.Length, parts];
        var room = (int[])totals.Clone();
        var remainders = new (double Fraction, int Part)[parts];
        var left = new int[byClass.Length];
        for (int c = 0; c < byClass.Length; c++)
        {
            int n = byClass[c].Count;
            int given = 0;
            for (int p = 0; p < parts; p++)
            {
                double exact = n * fractions[p];
                counts[c, p] = (int)Math.Floor(exact + 1e-9);
                given += counts[c, p];
                room[p] -= counts[c, p];
            }
            left[c] = n - given;
        }
        for (int c = 0; c < byClass.Length; c++)
        {
            int n = byClass[c].Count;
            for (int p = 0; p < parts; p++) remainders[p] = (n * fractions[p] - counts[c, p], p);
            Array.Sort(remainders, (a, b) => b.Fraction != a.Fraction ? b.Fraction.CompareTo(a.Fraction) : a.Part.CompareTo(b.Part));
            // First pass: parts with room; second: any part (totals then differ by a row at most).
            for (int pass = 0; pass < 2 && left[c] > 0; pass++)
                foreach (var (fraction, p) in remainders)
                {
                    if (left[c] == 0) break;
                    if (fraction <= 0 || (pass == 0 && room[p] <= 0) || counts[c, p] > n * fractions[p]) continue;
                    counts[c, p]++;
                    room[p]--;
                    left[c]--;
                }
        }

        var result = new List<int>[parts];
        for (int p = 0; p < parts; p++) result[p] = new List<int>(totals[p]);
        for (int c = 0; c < byClass.Length; c++)
        {
            int start = 0;
            for (int p = 0; p < parts; p++)
            {
                result[p].AddRange(byClass[c].GetRange(start, counts[c, p]));
                start += counts[c, p];
            }
        }
        var arrays = new int[parts][];
        for (int p = 0; p < parts; p++)
        {
            arrays[p] = result[p].ToArray();
            generator.Shuffle<int>(arrays[p]); // not grouped by class
        }
        return arrays;
    }

    /// <summary>Sizes that add up to <paramref name="total"/>, each the floor or ceiling of total·fraction (largest remainder, ties to the earlier part).</summary>
    internal static int[] Apportion(int total, double[] fractions)
    {
        var sizes = new int[fractions.Length];
        int given = 0;
        for (int p = 0; p < fractions.Length; p++)
        {
            sizes[p] = (int)Math.Floor(total * fractions[p] + 1e-9);
            given += sizes[p];
        }
        var order = Enumerable.Range(0, fractions.Length)
            .OrderByDescending(p => total * fractions[p] - sizes[p])
            .ThenBy(p => p)
            .ToArray();
        for (int i = 0; given < total; i = (i + 1) % order.Length)
        {
            if (fractions[order[i]] > 0 || fractions.All(f => f <= 0))
            {
                sizes[order[i]]++;
                given++;
            }
        }
        return sizes;
    }

    private static List<int>[] RowsByClass(Dataset data, string operation)
    {
        if (data.Task != PredictionTask.Classification)
            throw new ArgumentException($"A {operation} needs class labels, but data set '{data.Name}' is a regression; use stratified: false.", nameof(data));
        var byClass = new List<int>[data.NumClasses];
        for (int c = 0; c < byClass.Length; c++) byClass[c] = [];
        int[] labels = data.ClassIndices();
        for (int i = 0; i < labels.Length; i++) byClass[labels[i]].Add(i);
        return byClass;
    }

    /// <summary>All rows, class 0 first then class 1 and so on, each class in random order.</summary>
    private static int[] ClassByClass(Dataset data, RandomGenerator generator)
    {
        List<int>[] byClass = RowsByClass(data, "stratified k-fold");
        var order = new List<int>(data.Count);
        foreach (var rows in byClass)
        {
            generator.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows));
            order.AddRange(rows);
        }
        return order.ToArray();
    }
}
