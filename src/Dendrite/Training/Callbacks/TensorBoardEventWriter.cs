using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Dendrite.Training.Callbacks;

/// <summary>
/// Writes a TensorBoard event file (<c>events.out.tfevents.*</c>): scalars and histograms as
/// <c>tensorflow.Event</c> protocol buffers, each framed as a TFRecord, so that
/// <c>tensorboard --logdir DIR</c> shows them. The protobuf bytes are written by hand: the core
/// depends on no protobuf library, and these few messages need only varints, doubles, floats,
/// strings and packed doubles.
/// </summary>
/// <remarks>
/// <para>TFRecord framing, per record: the data length as a little-endian uint64, the masked CRC32C
/// of those 8 bytes (uint32), the data, the masked CRC32C of the data. Masking is
/// <c>((crc &gt;&gt; 15) | (crc &lt;&lt; 17)) + 0xa282ead8</c>, as TensorFlow's <c>crc32c::Mask</c>.</para>
/// <para>Messages (field numbers from tensorflow/core/util/event.proto and framework/summary.proto):
/// <c>Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }</c>,
/// <c>Summary { repeated Value value = 1; }</c>,
/// <c>Value { string tag = 1; float simple_value = 2; HistogramProto histo = 5; }</c>,
/// <c>HistogramProto { double min = 1, max = 2, num = 3, sum = 4, sum_squares = 5; repeated double bucket_limit = 6 [packed]; repeated double bucket = 7 [packed]; }</c>.
/// The first record is an event carrying only <c>file_version = "brain.Event:2"</c>.</para>
/// <para>Each record is flushed when written, so a running TensorBoard sees every epoch as it ends.</para>
/// </remarks>
public sealed class TensorBoardEventWriter : IDisposable
{
    /// <summary>The version string TensorBoard expects in the first event.</summary>
    public const string FileVersion = "brain.Event:2";

    private static int _counter;
    private readonly FileStream _stream;

    /// <summary>Creates <paramref name="logDirectory"/> if needed and a new event file in it, and writes the file-version event.</summary>
    /// <param name="logDirectory">The run's directory, as given to <c>tensorboard --logdir</c> (or a subdirectory of it, one per run).</param>
    public TensorBoardEventWriter(string logDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(logDirectory);
        Directory.CreateDirectory(logDirectory);
        // TensorBoard reads every file whose name contains "tfevents"; the pid and a counter keep two
        // writers started in the same second apart.
        long seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string name = string.Create(CultureInfo.InvariantCulture,
            $"events.out.tfevents.{seconds}.{Environment.MachineName}.{Environment.ProcessId}.{Interlocked.Increment(ref _counter)}");
        Path = System.IO.Path.Combine(logDirectory, name);
        _stream = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        var proto = new ProtoBuffer();
        proto.Double(1, WallTime());
        proto.String(3, FileVersion);
        WriteRecord(proto.ToArray());
    }

    /// <summary>The event file being written.</summary>
    public string Path { get; }

    /// <summary>Writes one scalar, e.g. the loss of an epoch.</summary>
    /// <param name="tag">The series' name in TensorBoard (<c>loss</c>, <c>val_accuracy</c>); a slash groups tags (<c>train/loss</c>).</param>
    /// <param name="step">The x coordinate: epoch or global step.</param>
    /// <param name="value">The value (NaN and infinities are written as they are).</param>
    public void WriteScalar(string tag, long step, double value)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        var summaryValue = new ProtoBuffer();
        summaryValue.String(1, tag);
        summaryValue.Float(2, (float)value);
        WriteSummary(step, summaryValue);
    }

    /// <summary>Writes a histogram of <paramref name="values"/> (weights, gradients) with <paramref name="buckets"/> equal-width buckets between their minimum and maximum; non-finite values are left out.</summary>
    /// <param name="tag">The histogram's name in TensorBoard, e.g. <c>weights/0.weight</c>.</param>
    /// <param name="step">The x coordinate: epoch or global step.</param>
    /// <param name="values">The values to count.</param>
    /// <param name="buckets">Number of buckets (at least 1).</param>
    public void WriteHistogram(string tag, long step, ReadOnlySpan<float> values, int buckets = 30)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        double minimum = double.PositiveInfinity, maximum = double.NegativeInfinity, sum = 0, sumOfSquares = 0;
        long count = 0;
        foreach (float value in values)
        {
            if (!float.IsFinite(value)) continue;
            minimum = Math.Min(minimum, value);
            maximum = Math.Max(maximum, value);
            sum += value;
            sumOfSquares += (double)value * value;
            count++;
        }
        if (count == 0) minimum = maximum = 0;
        // Bucket i holds values up to limits[i] (and above limits[i − 1]); TensorBoard reads them so.
        var limits = new double[buckets];
        var counts = new double[buckets];
        double width = (maximum - minimum) / buckets;
        for (int i = 0; i < buckets; i++) limits[i] = i == buckets - 1 ? maximum : minimum + width * (i + 1);
        if (width == 0) counts[^1] = count;
        else
            foreach (float value in values)
                if (float.IsFinite(value)) counts[Math.Clamp((int)((value - minimum) / width), 0, buckets - 1)]++;

        var histogram = new ProtoBuffer();
        histogram.Double(1, minimum);
        histogram.Double(2, maximum);
        histogram.Double(3, count);
        histogram.Double(4, sum);
        histogram.Double(5, sumOfSquares);
        histogram.PackedDoubles(6, limits);
        histogram.PackedDoubles(7, counts);
        var summaryValue = new ProtoBuffer();
        summaryValue.String(1, tag);
        summaryValue.Message(5, histogram);
        WriteSummary(step, summaryValue);
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose() => _stream.Dispose();

    private void WriteSummary(long step, ProtoBuffer summaryValue)
    {
        var summary = new ProtoBuffer();
        summary.Message(1, summaryValue);
        var proto = new ProtoBuffer();
        proto.Double(1, WallTime());
        proto.Int64(2, step);
        proto.Message(5, summary);
        WriteRecord(proto.ToArray());
    }

    private static double WallTime() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>Appends one TFRecord: length, masked CRC of the length, data, masked CRC of the data.</summary>
    private void WriteRecord(ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc32C(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc32C(data));
        _stream.Write(header);
        _stream.Write(data);
        _stream.Write(footer);
        _stream.Flush();
    }

    /// <summary>CRC-32C (Castagnoli) of <paramref name="data"/>, with the usual initial value and final inversion; hardware-accelerated through <see cref="BitOperations.Crc32C(uint, ulong)"/>.</summary>
    internal static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }

    /// <summary>TensorFlow's masked CRC: rotated right by 15 bits plus a constant, so that a CRC stored inside CRC'd data does not weaken it.</summary>
    internal static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    /// <summary>The protobuf wire format, for the handful of field types these messages use.</summary>
    private sealed class ProtoBuffer
    {
        private readonly MemoryStream _bytes = new();

        public byte[] ToArray() => _bytes.ToArray();

        private void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

        private void Varint(ulong value)
        {
            while (value >= 0x80)
            {
                _bytes.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }
            _bytes.WriteByte((byte)value);
        }

        /// <summary>Wire type 1 (64-bit): a little-endian IEEE double.</summary>
        public void Double(int field, double value)
        {
            Tag(field, 1);
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
            _bytes.Write(bytes);
        }

        /// <summary>Wire type 5 (32-bit): a little-endian IEEE float.</summary>
        public void Float(int field, float value)
        {
            Tag(field, 5);
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
            _bytes.Write(bytes);
        }

        /// <summary>Wire type 0: an int64 as a varint (negative values take ten bytes, as protobuf's two's complement).</summary>
        public void Int64(int field, long value)
        {
            Tag(field, 0);
            Varint((ulong)value);
        }

        /// <summary>Wire type 2: UTF-8 bytes with their length.</summary>
        public void String(int field, string value)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(value);
            Tag(field, 2);
            Varint((ulong)bytes.Length);
            _bytes.Write(bytes);
        }

        /// <summary>Wire type 2: an embedded message with its length.</summary>
        public void Message(int field, ProtoBuffer message)
        {
            byte[] bytes = message.ToArray();
            Tag(field, 2);
            Varint((ulong)bytes.Length);
            _bytes.Write(bytes);
        }

        /// <summary>Wire type 2: a packed repeated double (8 bytes each).</summary>
        public void PackedDoubles(int field, double[] values)
        {
            Tag(field, 2);
            Varint((ulong)values.Length * 8);
            Span<byte> bytes = stackalloc byte[8];
            foreach (double value in values)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
                _bytes.Write(bytes);
            }
        }
    }
}
