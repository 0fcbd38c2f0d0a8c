using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Dendrite.IO;

/// <summary>The element types a safetensors file may hold that Dendrite reads (each converted to float32).</summary>
internal enum SafetensorsDType
{
    F32,
    F16,
    BF16,
    F64,
    F8E4M3,
    F8E5M2,
    I64,
    I32,
    I16,
    I8,
    U64,
    U32,
    U16,
    U8,
    Bool,
}

/// <summary>Names, sizes and float32 conversions of <see cref="SafetensorsDType"/>, as the Python library spells them.</summary>
internal static class SafetensorsDTypes
{
    /// <summary>For error messages: every dtype name <see cref="TryParse"/> accepts.</summary>
    public const string SupportedNames = "F32, F16, BF16, F64, F8_E4M3, F8_E5M2, I64, I32, I16, I8, U64, U32, U16, U8, BOOL";

    /// <summary>Parses a header's dtype string; names are case-sensitive, as in the Python library.</summary>
    public static bool TryParse(string name, out SafetensorsDType dtype)
    {
        SafetensorsDType? parsed = name switch
        {
            "F32" => SafetensorsDType.F32,
            "F16" => SafetensorsDType.F16,
            "BF16" => SafetensorsDType.BF16,
            "F64" => SafetensorsDType.F64,
            "F8_E4M3" => SafetensorsDType.F8E4M3,
            "F8_E5M2" => SafetensorsDType.F8E5M2,
            "I64" => SafetensorsDType.I64,
            "I32" => SafetensorsDType.I32,
            "I16" => SafetensorsDType.I16,
            "I8" => SafetensorsDType.I8,
            "U64" => SafetensorsDType.U64,
            "U32" => SafetensorsDType.U32,
            "U16" => SafetensorsDType.U16,
            "U8" => SafetensorsDType.U8,
            "BOOL" => SafetensorsDType.Bool,
            _ => null,
        };
        dtype = parsed.GetValueOrDefault();
        return parsed.HasValue;
    }

    /// <summary>The name as written in a header.</summary>
    public static string Name(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F8E4M3 => "F8_E4M3",
        SafetensorsDType.F8E5M2 => "F8_E5M2",
        SafetensorsDType.Bool => "BOOL",
        _ => dtype.ToString(),
    };

    /// <summary>Bytes per element.</summary>
    public static int Size(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 or SafetensorsDType.I64 or SafetensorsDType.U64 => 8,
        SafetensorsDType.F32 or SafetensorsDType.I32 or SafetensorsDType.U32 => 4,
        SafetensorsDType.F16 or SafetensorsDType.BF16 or SafetensorsDType.I16 or SafetensorsDType.U16 => 2,
        _ => 1,
    };

    /// <summary>
    /// Converts little-endian elements of <paramref name="dtype"/> to float32.
    /// <paramref name="source"/> holds exactly <c>destination.Length × Size(dtype)</c> bytes.
    /// Floats round to nearest (F64 beyond float32's range becomes ±infinity); integers beyond 2^24
    /// round to the nearest float32; BOOL gives 1 for any non-zero byte, else 0.
    /// </summary>
    public static void ConvertToSingle(SafetensorsDType dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        int count = destination.Length;
        switch (dtype)
        {
            case SafetensorsDType.F32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
                else for (int i = 0; i < count; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]);
                break;
            case SafetensorsDType.F16:
                if (BitConverter.IsLittleEndian) TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination);
                else for (int i = 0; i < count; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source[(2 * i)..]);
                break;
            case SafetensorsDType.BF16:
                // bfloat16 is the top half of a float32: shifting its bits up is exact.
                for (int i = 0; i < count; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]) << 16);
                break;
            case SafetensorsDType.F64:
                for (int i = 0; i < count; i++) destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(source[(8 * i)..]);
                break;
            case SafetensorsDType.F8E4M3:
                for (int i = 0; i < count; i++) destination[i] = Float8E4M3ToSingle(source[i]);
                break;
            case SafetensorsDType.F8E5M2:
                // E5M2 is the top byte of an IEEE half: same exponent width and bias, 2 mantissa bits.
                for (int i = 0; i < count; i++) destination[i] = (float)BitConverter.UInt16BitsToHalf((ushort)(source[i] << 8));
                break;
            case SafetensorsDType.I64:
                for (int i = 0; i < count; i++) destination[i] = BinaryPrimitives.ReadInt64LittleEndian(source[(8 * i)..]);
                break;
            case SafetensorsDType.I32:
                for (int i = 0; i < count; i++) destination[i] = BinaryPrimitives.ReadInt32LittleEndian(source[(4 * i)..]);
                break;
            case SafetensorsDType.I16:
                for (int i = 0; i < count; i++) destination[i] = BinaryPrimitives.ReadInt16LittleEndian(source[(2 * i)..]);
                break;
            case SafetensorsDType.I8:
                for (int i = 0; i < count; i++) destination[i] = (sbyte)source[i];
                break;
            case SafetensorsDType.U64:
                for (int i = 0; i < count; i++) destination[i] = BinaryPrimitives.ReadUInt64LittleEndian(source[(8 * i)..]);
                break;
            case SafetensorsDType.U32:
                for (int i = 0; i < count; i++) destination[i] = BinaryPrimitives.ReadUInt32LittleEndian(source[(4 * i)..]);
                break;
            case SafetensorsDType.U16:
                for (int i = 0; i < count; i++) destination[i] = BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]);
                break;
            case SafetensorsDType.U8:
                for (int i = 0; i < count; i++) destination[i] = source[i];
                break;
            case SafetensorsDType.Bool:
                for (int i = 0; i < count; i++) destination[i] = source[i] != 0 ? 1f : 0f;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "No conversion for this dtype.");
        }
    }

    /// <summary>
    /// float8 e4m3fn (PyTorch's <c>float8_e4m3fn</c>): 1 sign, 4 exponent (bias 7), 3 mantissa bits;
    /// no infinities, S.1111.111 is NaN; largest finite 448; exponent 0 is subnormal, m/8 · 2^-6.
    /// </summary>
    internal static float Float8E4M3ToSingle(byte bits)
    {
        int exponent = (bits >> 3) & 0xF;
        int mantissa = bits & 0x7;
        float magnitude;
        if (exponent == 0xF && mantissa == 0x7) magnitude = float.NaN;
        else if (exponent == 0) magnitude = mantissa / 8f * (1f / 64f);
        else magnitude = (1f + mantissa / 8f) * MathF.ScaleB(1f, exponent - 7);
        return (bits & 0x80) != 0 ? -magnitude : magnitude;
    }
}
