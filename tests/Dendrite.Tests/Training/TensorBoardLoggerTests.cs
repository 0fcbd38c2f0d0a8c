using System.Buffers.Binary;
using System.Text;
using Dendrite.Data;
using Dendrite.NN;
using Dendrite.NN.Losses;
using Dendrite.Optim;
using Dendrite.Training;
using Dendrite.Training.Callbacks;
using Dendrite.Training.Metrics;

namespace Dendrite.Tests.Training;

/// <summary>
/// The event files read back as TensorBoard reads them: TFRecord framing with masked CRC32C checked
/// by an independent bit-by-bit CRC, then the Event, Summary, Value and HistogramProto messages
/// decoded field by field.
/// </summary>
public sealed class TensorBoardLoggerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dendrite-tb-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>CRC-32C bit by bit (reflected polynomial 0x82F63B78), the textbook definition.</summary>
    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
        }
        return ~crc;
    }

    private static uint Masked(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8;
    }

    /// <summary>Splits an event file into its records, checking both CRCs of each.</summary>
    private static List<byte[]> ReadRecords(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var records = new List<byte[]>();
        int offset = 0;
        while (offset < bytes.Length)
        {
            Assert.True(bytes.Length - offset >= 12, $"truncated header at {offset}");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset));
            Assert.Equal(Masked(bytes.AsSpan(offset, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 8)));
            offset += 12;
            Assert.True((ulong)(bytes.Length - offset) >= length + 4, $"truncated record at {offset}");
            byte[] data = bytes.AsSpan(offset, (int)length).ToArray();
            offset += (int)length;
            Assert.Equal(Masked(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset)));
            offset += 4;
            records.Add(data);
        }
        return records;
    }

    /// <summary>A protobuf message's fields: (field number, wire type, value as ulong for varints and fixed sizes, or the bytes for length-delimited ones).</summary>
    private static List<(int Field, int Wire, ulong Value, byte[]? Bytes)> Fields(byte[] message)
    {
        var fields = new List<(int, int, ulong, byte[]?)>();
        int offset = 0;
        ulong Varint()
        {
            ulong value = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = message[offset++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
        }
        while (offset < message.Length)
        {
            ulong key = Varint();
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: fields.Add((field, wire, Varint(), null)); break;
                case 1: fields.Add((field, wire, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(offset)), null)); offset += 8; break;
                case 5: fields.Add((field, wire, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(offset)), null)); offset += 4; break;
                case 2:
                    int length = (int)Varint();
                    fields.Add((field, wire, 0, message.AsSpan(offset, length).ToArray()));
                    offset += length;
                    break;
                default: throw new InvalidDataException($"wire type {wire}");
            }
        }
        return fields;
    }

    private sealed record Scalar(long Step, string Tag, float Value);

    private sealed record Histogram(long Step, string Tag, double Min, double Max, double Count, double[] Limits, double[] Buckets);

    private static (string? Version, List<Scalar> Scalars, List<Histogram> Histograms) Decode(string path)
    {
        string? version = null;
        var scalars = new List<Scalar>();
        var histograms = new List<Histogram>();
        var records = ReadRecords(path);
        foreach (byte[] record in records)
        {
            var eventFields = Fields(record);
            Assert.Contains(eventFields, f => f.Field == 1 && f.Wire == 1); // wall_time
            double wallTime = BitConverter.UInt64BitsToDouble(eventFields.First(f => f.Field == 1).Value);
            Assert.InRange(wallTime, 1.5e9, 5e9);
            long step = (long)(eventFields.FirstOrDefault(f => f.Field == 2).Value);
            if (eventFields.FirstOrDefault(f => f.Field == 3).Bytes is { } fileVersion) version = Encoding.UTF8.GetString(fileVersion);
            if (eventFields.FirstOrDefault(f => f.Field == 5).Bytes is not { } summary) continue;
            foreach (var value in Fields(summary).Where(f => f.Field == 1))
            {
                var valueFields = Fields(value.Bytes!);
                string tag = Encoding.UTF8.GetString(valueFields.First(f => f.Field == 1).Bytes!);
                if (valueFields.Any(f => f.Field == 2 && f.Wire == 5))
                    scalars.Add(new Scalar(step, tag, BitConverter.UInt32BitsToSingle((uint)valueFields.First(f => f.Field == 2).Value)));
                if (valueFields.FirstOrDefault(f => f.Field == 5).Bytes is { } histo)
                {
                    var h = Fields(histo);
                    double D(int field) => BitConverter.UInt64BitsToDouble(h.First(f => f.Field == field).Value);
                    double[] Packed(int field)
                    {
                        byte[] bytes = h.First(f => f.Field == field).Bytes!;
                        return Enumerable.Range(0, bytes.Length / 8).Select(i => BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(8 * i))).ToArray();
                    }
                    histograms.Add(new Histogram(step, tag, D(1), D(2), D(3), Packed(6), Packed(7)));
                }
            }
        }
        // The first record is the file-version event.
        Assert.Equal(3, Fields(records[0]).Last().Field);
        return (version, scalars, histograms);
    }

    [Fact]
    public void TheCrcIsCrc32C() =>
        Assert.Equal(0xE3069283u, TensorBoardEventWriter.Crc32C("123456789"u8));

    [Fact]
    public void ATrainingRunsEventFileHasTheLoggedScalarsAndHistogramsInValidRecords()
    {
        Dataset digits = Datasets.Digits();
        var data = digits.WithFeatures(digits.Features * (1f / 16f));
        var (train, validation) = Splits.TrainValidation(data, 0.2, new RandomGenerator(1), stratified: true);
        var model = Models.Mlp([64, 16, 10], generator: new RandomGenerator(1));
        var logger = new TensorBoardLogger(Path.Combine(_directory, "run1"));
        History history = new Trainer(model, new Adam(model.Parameters(), 0.01f), new CrossEntropy(), [new Accuracy()])
            .Fit(train, 3, 64, validation, callbacks: [logger], seed: 1);

        string file = Assert.Single(Directory.GetFiles(Path.Combine(_directory, "run1")));
        Assert.Equal(file, logger.EventFile);
        Assert.StartsWith("events.out.tfevents.", Path.GetFileName(file));
        var (version, scalars, histograms) = Decode(file);
        Assert.Equal("brain.Event:2", version);

        foreach (string key in new[] { "loss", "accuracy", "val_loss", "val_accuracy", "lr" })
        {
            var series = scalars.Where(s => s.Tag == key).OrderBy(s => s.Step).ToList();
            Assert.Equal([0L, 1L, 2L], series.Select(s => s.Step));
            Assert.Equal(history[key].Select(v => (float)v), series.Select(s => s.Value));
        }

        foreach (var (name, parameter) in model.NamedParameters())
        {
            var weights = histograms.Where(h => h.Tag == "weights/" + name).ToList();
            Assert.Equal(3, weights.Count);
            Histogram last = weights[^1];
            Assert.Equal(parameter.Count, last.Count);
            Assert.Equal(parameter.Count, last.Buckets.Sum());
            Assert.Equal(last.Limits.Length, last.Buckets.Length);
            Assert.Equal(parameter.ToArray().Min(), last.Min, 6);
            Assert.Equal(parameter.ToArray().Max(), last.Max, 6);
            Assert.Equal(last.Max, last.Limits[^1]);
            Assert.Equal(3, histograms.Count(h => h.Tag == "gradients/" + name));
        }
    }

    [Fact]
    public void ScalarsWrittenDirectlyReadBackAndTwoWritersDoNotShareAFile()
    {
        string directory = Path.Combine(_directory, "direct");
        using (var writer = new TensorBoardEventWriter(directory))
        {
            writer.WriteScalar("train/loss", 0, 2.5);
            writer.WriteScalar("train/loss", 10_000_000_000, 0.125);
            writer.WriteHistogram("constant", 1, [3f, 3f, 3f], buckets: 4);
            using var second = new TensorBoardEventWriter(directory);
        }
        string[] files = Directory.GetFiles(directory);
        Assert.Equal(2, files.Length);
        var (_, scalars, histograms) = Decode(files.OrderBy(f => new FileInfo(f).Length).Last());
        Assert.Equal([new Scalar(0, "train/loss", 2.5f), new Scalar(10_000_000_000, "train/loss", 0.125f)], scalars);
        Histogram constant = Assert.Single(histograms);
        Assert.Equal((3.0, 3.0, 3.0), (constant.Min, constant.Max, constant.Buckets.Sum()));
    }
}
