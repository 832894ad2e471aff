using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Sharpformer.Tensors;

namespace Sharpformer.IO;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header size N, N bytes of UTF-8
/// JSON describing each tensor (dtype, shape, byte range), then the raw little-endian tensor data.
/// Only little-endian hosts are supported.
/// </summary>
public static partial class SafeTensors
{
    /// <summary>Floats moved per read or write call (256 MB), keeping byte spans below 2^31.</summary>
    private const int MaxSliceFloats = 1 << 26;

    /// <summary>
    /// Writes <paramref name="tensors"/> as F32 to <paramref name="path"/> atomically (see
    /// <see cref="AtomicFile"/>), laid out back to back in the order given, with optional string metadata.
    /// </summary>
    /// <exception cref="ArgumentException">A name is empty, repeated or reserved.</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = Validate(tensors, metadata);
        AtomicFile.Write(path, stream => WriteValidated(stream, list, metadata));
    }

    /// <summary>Writes <paramref name="tensors"/> in safetensors format to <paramref name="stream"/> at its current position.</summary>
    /// <exception cref="ArgumentException">A name is empty, repeated or reserved.</exception>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        WriteValidated(stream, Validate(tensors, metadata), metadata);
    }

    private static List<KeyValuePair<string, Tensor>> Validate(IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        EnsureLittleEndian();
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in list)
        {
            if (string.IsNullOrEmpty(name))
                throw new ArgumentException("SafeTensors.Write: a tensor has an empty name", nameof(tensors));
            if (name == SafeTensorsHeader.MetadataKey)
                throw new ArgumentException($"SafeTensors.Write: '{name}' is reserved for metadata and cannot name a tensor",
                    nameof(tensors));
            if (!names.Add(name))
                throw new ArgumentException($"SafeTensors.Write: tensor name '{name}' appears twice", nameof(tensors));
            if (tensor is null)
                throw new ArgumentException($"SafeTensors.Write: tensor '{name}' is null", nameof(tensors));
        }
        if (metadata is not null)
            foreach (var (key, value) in metadata)
                if (value is null)
                    throw new ArgumentException($"SafeTensors.Write: metadata value of '{key}' is null", nameof(metadata));
        return list;
    }

    private static void WriteValidated(Stream stream, List<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata)
    {
        var header = SafeTensorsHeader.Serialize(tensors.ConvertAll(t => (t.Key, t.Value.ShapeArray())), metadata);
        Span<byte> size = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(size, (ulong)header.Length);
        stream.Write(size);
        stream.Write(header);
        foreach (var (_, tensor) in tensors)
        {
            ReadOnlySpan<float> values = tensor.IsContiguous ? tensor.AsSpan() : tensor.ToArray();
            for (int done = 0; done < values.Length; done += MaxSliceFloats)
                stream.Write(MemoryMarshal.AsBytes(values.Slice(done, Math.Min(MaxSliceFloats, values.Length - done))));
        }
    }

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("SafeTensors: only little-endian hosts are supported");
    }
}
