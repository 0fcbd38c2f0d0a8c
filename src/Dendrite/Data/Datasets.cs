using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Dendrite.Data;

/// <summary>
/// Built-in data sets. Digits, iris and wine are embedded in the library (see
/// <c>src/Dendrite/Data/Resources/README.md</c> for where they come from and their licences);
/// Fashion-MNIST is read from the files of the Debian package <c>dataset-fashion-mnist</c> or from a
/// directory you name. Nothing is ever downloaded. Each call returns a new data set the caller owns.
/// </summary>
public static class Datasets
{
    /// <summary>Where the Debian package <c>dataset-fashion-mnist</c> installs Fashion-MNIST.</summary>
    public const string FashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The file names of Fashion-MNIST (the MNIST layout): training images and labels, then test images and labels.</summary>
    public static IReadOnlyList<string> FashionMnistFiles { get; } =
        ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

    /// <summary>Fashion-MNIST's ten classes, by label.</summary>
    public static IReadOnlyList<string> FashionMnistClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// The UCI optical handwritten digits: 1797 8x8 grey images of the digits 0..9 (about 180 each),
    /// pixel values 0..16 (counts of set pixels in 4x4 blocks of a 32x32 bitmap), not scaled.
    /// </summary>
    /// <param name="asImages">Features as images [1797, 1, 8, 8] instead of rows [1797, 64] (the same values, row-major).</param>
    /// <returns>Features [1797, 64] (or [1797, 1, 8, 8]), labels [1797] with class names "0".."9", feature names <c>pixel_R_C</c>.</returns>
    public static Dataset Digits(bool asImages = false)
    {
        const string resource = "digits.csv.gz";
        using TextReader reader = OpenResource(resource);
        var featureNames = new string[64];
        for (int i = 0; i < 64; i++) featureNames[i] = string.Create(CultureInfo.InvariantCulture, $"pixel_{i / 8}_{i % 8}");
        var table = CsvReader.ReadTable(reader, new CsvOptions { HasHeader = false, Separator = ',' }, Source(resource), linesBefore: 0);
        Dataset digits = table.ToDataset("digits", Source(resource), featureNames: featureNames);
        Check(digits, resource, 1797, 64, 10);
        return asImages ? digits.ReshapeFeatures(1, 8, 8) : digits;
    }

    /// <summary>
    /// Fisher's iris: 150 flowers, 50 of each species (setosa, versicolor, virginica), described by
    /// sepal length, sepal width, petal length and petal width in centimetres.
    /// </summary>
    /// <returns>Features [150, 4] in cm, labels [150] with class names setosa, versicolor, virginica.</returns>
    public static Dataset Iris() =>
        ReadScikitLearnCsv("iris.csv.gz", "iris", ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]);

    /// <summary>
    /// UCI wine recognition: 178 wines from three cultivars (59, 71 and 48 of classes class_0..class_2)
    /// described by 13 chemical measurements, in their own units (proline is in the hundreds, hue near 1:
    /// standardise before training).
    /// </summary>
    /// <returns>Features [178, 13], labels [178] with class names class_0, class_1, class_2.</returns>
    public static Dataset Wine() =>
        ReadScikitLearnCsv("wine_data.csv.gz", "wine",
        [
            "alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
            "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue", "od280/od315_of_diluted_wines", "proline",
        ]);

    /// <summary>
    /// Fashion-MNIST (Zalando Research, MIT licence): 60,000 training and 10,000 test 28x28 grey images
    /// of ten kinds of clothing, read from the four IDX files in <paramref name="directory"/>.
    /// </summary>
    /// <param name="directory">The directory holding the files named in <see cref="FashionMnistFiles"/> (with or without <c>.gz</c>); null for <see cref="FashionMnistDirectory"/>.</param>
    /// <param name="train">The 60,000 training images (true) or the 10,000 test images (false).</param>
    /// <param name="asImages">Features as images [N, 1, 28, 28] instead of rows [N, 784] (the same values, row-major).</param>
    /// <returns>Features [N, 784] (or [N, 1, 28, 28]) scaled from bytes 0..255 to [0, 1] (divided by 255), labels [N] with <see cref="FashionMnistClassNames"/>.</returns>
    /// <exception cref="DatasetNotFoundException">The files are not there; the message says how to install them.</exception>
    /// <exception cref="DataFormatException">A file is there but malformed (for example truncated).</exception>
    public static Dataset FashionMnist(string? directory = null, bool train = true, bool asImages = false)
    {
        string root = directory ?? FashionMnistDirectory;
        string images = train ? FashionMnistFiles[0] : FashionMnistFiles[2];
        string labels = train ? FashionMnistFiles[1] : FashionMnistFiles[3];
        string? imagesPath = Find(root, images);
        string? labelsPath = Find(root, labels);
        if (imagesPath is null || labelsPath is null)
        {
            var missing = new List<string>();
            if (imagesPath is null) missing.Add(images);
            if (labelsPath is null) missing.Add(labels);
            throw FashionMnistNotFound(root, directory is null, missing);
        }
        Dataset data = IdxReader.ReadDataset(imagesPath, labelsPath, scale: 1f / 255f, FashionMnistClassNames, train ? "fashion-mnist/train" : "fashion-mnist/test");
        if (data.FeatureCount != 28 * 28)
            throw new DataFormatException(imagesPath, $"{imagesPath}: Fashion-MNIST images are 28x28, but this file holds samples of {data.FeatureCount} values.", null, null);
        return asImages ? data.ReshapeFeatures(1, 28, 28) : data;
    }

    private static string? Find(string directory, string fileName)
    {
        string path = Path.Combine(directory, fileName);
        if (File.Exists(path)) return path;
        string plain = Path.Combine(directory, Path.GetFileNameWithoutExtension(fileName)); // the same file, decompressed
        return File.Exists(plain) ? plain : null;
    }

    private static DatasetNotFoundException FashionMnistNotFound(string directory, bool isDefault, List<string> missing)
    {
        string where = Directory.Exists(directory)
            ? $"{directory} has no {string.Join(" or ", missing)} (looked for the .gz files and their decompressed twins)"
            : $"the directory {directory} does not exist";
        string install = isDefault
            ? $"Install it with `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu; it puts the four IDX files in {FashionMnistDirectory}), or pass the directory that holds {string.Join(", ", FashionMnistFiles)}."
            : $"Pass the directory that holds {string.Join(", ", FashionMnistFiles)}, or install the Debian package with `sudo apt-get install dataset-fashion-mnist` and pass no directory (it reads {FashionMnistDirectory}).";
        return new DatasetNotFoundException("Fashion-MNIST", directory, missing,
            $"Fashion-MNIST was not found: {where}. {install} Dendrite never downloads data.");
    }

    /// <summary>Reads scikit-learn's layout: a first line <c>N,d,class names...</c>, then d features and a class index per line.</summary>
    private static Dataset ReadScikitLearnCsv(string resource, string name, string[] featureNames)
    {
        using TextReader reader = OpenResource(resource);
        string source = Source(resource);
        string header = reader.ReadLine() ?? throw new DataFormatException(source, $"{source} is empty.", 1, null);
        string[] cells = header.Split(',');
        if (cells.Length < 3 || !int.TryParse(cells[0], CultureInfo.InvariantCulture, out int count) || !int.TryParse(cells[1], CultureInfo.InvariantCulture, out int features))
            throw new DataFormatException(source, $"{source} line 1: expected 'N,d,class names...', got '{header}'.", 1, null);
        string[] classNames = cells[2..];
        var table = CsvReader.ReadTable(reader, new CsvOptions { HasHeader = false, Separator = ',' }, source, linesBefore: 1);
        Dataset data = table.ToDataset(name, source, classNames, featureNames);
        Check(data, resource, count, features, classNames.Length);
        return data;
    }

    private static void Check(Dataset data, string resource, int count, int features, int classes)
    {
        if (data.Count != count || data.FeatureCount != features || data.NumClasses != classes)
            throw new DataFormatException(Source(resource), string.Create(CultureInfo.InvariantCulture,
                $"{Source(resource)} holds {data.Count} samples of {data.FeatureCount} features in {data.NumClasses} classes; expected {count} x {features} in {classes}. The library's embedded data is damaged."), null, null);
    }

    private static string Source(string resource) => $"embedded resource {resource}";

    private static StreamReader OpenResource(string resource)
    {
        string logicalName = "Dendrite.Data.Resources." + resource;
        Stream stream = typeof(Datasets).Assembly.GetManifestResourceStream(logicalName)
            ?? throw new DatasetNotFoundException($"The embedded resource {logicalName} is missing from {typeof(Datasets).Assembly.GetName().Name}.dll; the build did not embed Data/Resources/{resource} (see src/Dendrite/Dendrite.csproj).");
        return new StreamReader(new GZipStream(stream, CompressionMode.Decompress), Encoding.UTF8);
    }
}
