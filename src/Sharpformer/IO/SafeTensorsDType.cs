using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Sharpformer.IO;

/// <summary>
/// The element types this library reads from safetensors files; each converts to float32, and I8 (the values of a
/// quantized model) is also read as it is.
/// </summary>
internal enum SafeTensorsDType
{
    F32,
    F64,
    F16,
    BF16,
    I8,
}

internal static class SafeTensorsDTypes
{
    /// <summary>The dtype for a header name, or null when it is not one this library reads.</summary>
    public static SafeTensorsDType? Parse(string name) => name switch
    {
        "F32" => SafeTensorsDType.F32,
        "F64" => SafeTensorsDType.F64,
        "F16" => SafeTensorsDType.F16,
        "BF16" => SafeTensorsDType.BF16,
        "I8" => SafeTensorsDType.I8,
        _ => null,
    };

    /// <summary>Bytes per element.</summary>
    public static int Size(SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F32 => 4,
        SafeTensorsDType.F64 => 8,
        SafeTensorsDType.I8 => 1,
        _ => 2,
    };

    /// <summary>Converts little-endian elements of <paramref name="dtype"/> (not F32) to float32.</summary>
    public static void ToSingle(SafeTensorsDType dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (dtype)
        {
            case SafeTensorsDType.F64:
                var doubles = MemoryMarshal.Cast<byte, double>(source);
                for (int i = 0; i < doubles.Length; i++) destination[i] = (float)doubles[i];
                break;
            case SafeTensorsDType.F16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]));
                break;
            case SafeTensorsDType.I8:
                var bytes = MemoryMarshal.Cast<byte, sbyte>(source);
                for (int i = 0; i < destination.Length; i++) destination[i] = bytes[i];
                break;
            case SafeTensorsDType.BF16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BitConverter.UInt32BitsToSingle(
                        (uint)BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]) << 16);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "ToSingle: F32 needs no conversion");
        }
    }
}
