using System.Text;

namespace Sharpformer.Onnx;

/// <summary>
/// The protocol-buffers wire format, as much as ONNX files need: varints, 32-bit floats, length-delimited bytes, strings
/// and nested messages, and packed 64-bit integers. Fields are written in the order they are given.
/// </summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _bytes = new();

    /// <summary>An integer field (wire type 0): int32, int64 and enums alike.</summary>
    public ProtoWriter Varint(int field, long value)
    {
        Tag(field, 0);
        Raw((ulong)value);
        return this;
    }

    /// <summary>A float field (wire type 5).</summary>
    public ProtoWriter Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> bytes = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _bytes.Write(bytes);
        return this;
    }

    /// <summary>A length-delimited field (wire type 2): bytes.</summary>
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        Raw((ulong)value.Length);
        _bytes.Write(value);
        return this;
    }

    /// <summary>A string field, UTF-8.</summary>
    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A nested message.</summary>
    public ProtoWriter Message(int field, ProtoWriter message) =>
        Bytes(field, message._bytes.GetBuffer().AsSpan(0, (int)message._bytes.Length));

    /// <summary>A repeated int64 field, packed.</summary>
    public ProtoWriter PackedInt64(int field, IEnumerable<long> values)
    {
        var packed = new ProtoWriter();
        foreach (long v in values) packed.Raw((ulong)v);
        return Message(field, packed);
    }

    /// <summary>What has been written.</summary>
    public byte[] ToArray() => _bytes.ToArray();

    private void Tag(int field, int wireType) => Raw((ulong)((field << 3) | wireType));

    private void Raw(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _bytes.WriteByte((byte)value);
    }
}
