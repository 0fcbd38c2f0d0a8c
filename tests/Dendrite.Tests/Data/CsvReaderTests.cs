using System.IO.Compression;
using System.Text;
using Dendrite.Data;

namespace Dendrite.Tests.Data;

public sealed class CsvReaderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dendrite-csv-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, params string[] lines)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    private const string Header = "sepal_length,sepal_width,petal_length,petal_width,species";

    [Fact]
    public void AHeaderIsDetectedAndTheLastColumnIsTheLabel()
    {
        string path = Write("iris.csv", Header, "5.1,3.5,1.4,0.2,setosa", "7.0,3.2,4.7,1.4,versicolor", "6.3,3.3,6.0,2.5,virginica", "4.9,3.0,1.4,0.2,setosa");
        var data = CsvReader.Read(path);
        Assert.Equal("iris", data.Name);
        Assert.Equal(new Shape(4, 4), data.Features.Shape);
        Assert.Equal(["sepal_length", "sepal_width", "petal_length", "petal_width"], data.FeatureNames);
        Assert.Equal(["setosa", "versicolor", "virginica"], data.ClassNames);
        Assert.Equal([0f, 1f, 2f, 0f], data.Targets.ToArray());
        Assert.Equal([7.0f, 3.2f, 4.7f, 1.4f], data.Features.ToArray()[4..8]);
    }

    [Fact]
    public void WithoutAHeaderEveryLineIsData()
    {
        string path = Write("plain.csv", "1,2,1", "3,4,0", "", "5,6,1");
        var data = CsvReader.Read(path);
        Assert.Equal(3, data.Count);
        Assert.Null(data.FeatureNames);
        Assert.Equal(["0", "1"], data.ClassNames);
        Assert.Equal([1f, 0f, 1f], data.Targets.ToArray());
        // An explicit HasHeader overrides the detection.
        Assert.Equal(2, CsvReader.Read(path, new CsvOptions { HasHeader = true }).Count);
    }

    [Fact]
    public void NumericLabelsAreSortedNumericallyAndKeptAsClassNames()
    {
        string path = Write("labels.csv", "x,y", "0.5,10", "0.1,2", "0.2,2.0", "0.3,-1");
        var data = CsvReader.Read(path);
        Assert.Equal(["-1", "2", "10"], data.ClassNames);
        Assert.Equal([2f, 1f, 1f, 0f], data.Targets.ToArray());
    }

    [Fact]
    public void TheLabelColumnCanBeNamedOrIndexedFromEitherEnd()
    {
        string path = Write("named.csv", "species;a;b", "cat;1;2", "dog;3;4");
        var byName = CsvReader.Read(path, new CsvOptions { LabelColumnName = "Species" }); // semicolons detected; case ignored
        Assert.Equal(["a", "b"], byName.FeatureNames);
        Assert.Equal(["cat", "dog"], byName.ClassNames);
        Assert.Equal([1f, 2f, 3f, 4f], byName.Features.ToArray());

        var byIndex = CsvReader.Read(path, new CsvOptions { LabelColumn = 0 });
        var fromEnd = CsvReader.Read(path, new CsvOptions { LabelColumn = -3 });
        Assert.Equal(byName.Features.ToArray(), byIndex.Features.ToArray());
        Assert.Equal(byName.Features.ToArray(), fromEnd.Features.ToArray());

        var error = Assert.Throws<DataFormatException>(() => CsvReader.Read(path, new CsvOptions { LabelColumnName = "colour" }));
        Assert.Contains("no column named 'colour'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'species', 'a', 'b'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RegressionReadsTheTargetAsAColumn()
    {
        string path = Write("houses.tsv", "rooms\tarea\tprice", "3\t70.5\t250000", "4\t\"92\"\t310000.5");
        var data = CsvReader.Read(path, new CsvOptions { Task = PredictionTask.Regression });
        Assert.Equal(PredictionTask.Regression, data.Task);
        Assert.Equal(new Shape(2, 1), data.Targets.Shape);
        Assert.Equal([250000f, 310000.5f], data.Targets.ToArray());
        Assert.Equal([3f, 70.5f, 4f, 92f], data.Features.ToArray());
        Assert.Null(data.ClassNames);
    }

    [Fact]
    public void AMissingValueNamesTheFileLineAndColumn()
    {
        string[] lines = [Header, .. Enumerable.Repeat("5.1,3.5,1.4,0.2,setosa", 15), "5.1,3.5,,0.2,setosa"];
        string path = Write("iris.csv", lines);
        var error = Assert.Throws<DataFormatException>(() => CsvReader.Read(path));
        Assert.Equal($"{path} line 17, column 'petal_length' (3): missing value", error.Message);
        Assert.Equal(path, error.FilePath);
        Assert.Equal(17, error.Line);
        Assert.Equal("column 'petal_length' (3)", error.Field);
    }

    [Fact]
    public void AMissingLabelIsAMissingValueToo()
    {
        string path = Write("nolabel.csv", "1,2,a", "3,4,");
        var error = Assert.Throws<DataFormatException>(() => CsvReader.Read(path));
        Assert.Equal($"{path} line 2, column 3: missing value", error.Message);
    }

    [Fact]
    public void ANonNumericCellIsQuotedWithItsPlace()
    {
        string path = Write("bad.csv", Header, "5.1,3.5,1.4,0.2,setosa", "5.1,abc,1.4,0.2,setosa");
        var error = Assert.Throws<DataFormatException>(() => CsvReader.Read(path));
        Assert.Equal($"{path} line 3, column 'sepal_width' (2): 'abc' is not a number", error.Message);

        string noHeader = Write("bad2.csv", "1,2,0", "1,2,0", "1,x,0");
        error = Assert.Throws<DataFormatException>(() => CsvReader.Read(noHeader));
        Assert.Equal($"{noHeader} line 3, column 2: 'x' is not a number", error.Message);
    }

    [Fact]
    public void ARaggedRowSaysHowManyFieldsItHasAndTheHeaderHas()
    {
        string[] lines = [Header, .. Enumerable.Repeat("5.1,3.5,1.4,0.2,setosa", 7), "5.1,3.5,1.4,setosa"];
        string path = Write("ragged.csv", lines);
        var error = Assert.Throws<DataFormatException>(() => CsvReader.Read(path));
        Assert.Equal($"{path} line 9 has 4 fields but the header has 5.", error.Message);
        Assert.Equal(9, error.Line);

        string noHeader = Write("ragged2.csv", "1,2,0", "1,2,0,4");
        error = Assert.Throws<DataFormatException>(() => CsvReader.Read(noHeader));
        Assert.Equal($"{noHeader} line 2 has 4 fields but line 1 has 3.", error.Message);
    }

    [Fact]
    public void ARegressionTargetMustBeANumber()
    {
        string path = Write("target.csv", "a,y", "1,2", "3,high");
        var error = Assert.Throws<DataFormatException>(() => CsvReader.Read(path, new CsvOptions { Task = PredictionTask.Regression }));
        Assert.StartsWith($"{path} line 3, column 'y' (2): 'high' is not a number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyFilesAndMissingFilesAreClear()
    {
        string empty = Write("empty.csv", "");
        Assert.Contains("no data rows", Assert.Throws<DataFormatException>(() => CsvReader.Read(empty)).Message, StringComparison.Ordinal);
        string headerOnly = Write("header.csv", "a,b");
        Assert.Contains("no data rows", Assert.Throws<DataFormatException>(() => CsvReader.Read(headerOnly)).Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => CsvReader.Read(Path.Combine(_directory, "absent.csv")));
    }

    [Fact]
    public void GzipFilesAreRecognisedByTheirBytes()
    {
        string path = Path.Combine(_directory, "data.csv.gz");
        using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
            gzip.Write(Encoding.UTF8.GetBytes("a,b,label\n1,2,x\n3,4,y\n"));
        var data = CsvReader.Read(path);
        Assert.Equal("data", data.Name);
        Assert.Equal([1f, 2f, 3f, 4f], data.Features.ToArray());
    }

    [Fact]
    public void ReadsFromATextReader()
    {
        var data = CsvReader.Read(new StringReader("a,b\n1,0\n2,1\n"), new CsvOptions { Name = "inline" }, "inline text");
        Assert.Equal("inline", data.Name);
        Assert.Equal(2, data.Count);
    }
}
