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
        IReadOnlyDictionary<string, string>? metadata) =>
        WriteEntries(stream, tensors.ConvertAll(t => new SafeTensorsPayload(t.Key, t.Value)), metadata);

    /// <summary>
    /// Writes F32 tensors and int8 matrices (I8 values, row-major) to <paramref name="path"/> atomically, in the order given.
    /// Names must be unique (the caller's model guarantees it).
    /// </summary>
    internal static void Write(string path, IReadOnlyList<SafeTensorsPayload> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        EnsureLittleEndian();
        AtomicFile.Write(path, stream => WriteEntries(stream, entries, metadata));
    }

    private static void WriteEntries(Stream stream, IReadOnlyList<SafeTensorsPayload> entries,
        IReadOnlyDictionary<string, string>? metadata)
    {
        var header = SafeTensorsHeader.Serialize([.. entries.Select(e => (e.Name, e.DType, e.Shape))], metadata);
        Span<byte> size = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(size, (ulong)header.Length);
        stream.Write(size);
        stream.Write(header);
        foreach (var entry in entries) entry.WriteData(stream);
    }

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("SafeTensors: only little-endian hosts are supported");
    }
}

/// <summary>One tensor of a safetensors file being written: float32 values, or the int8 values of a quantized matrix.</summary>
internal sealed class SafeTensorsPayload
{
    private readonly Tensor? _tensor;
    private readonly IReadOnlyList<QuantizedMatrix>? _blocks;

    /// <summary>A float32 tensor.</summary>
    public SafeTensorsPayload(string name, Tensor tensor) =>
        (Name, DType, Shape, _tensor) = (name, SafeTensorsDType.F32, tensor.ShapeArray(), tensor);

    /// <summary>The int8 values of row blocks that stack into one matrix [Σ rows, columns].</summary>
    public SafeTensorsPayload(string name, IReadOnlyList<QuantizedMatrix> blocks) =>
        (Name, DType, Shape, _blocks) = (name, SafeTensorsDType.I8, [blocks.Sum(b => b.Rows), blocks[0].Columns], blocks);

    public string Name { get; }

    public SafeTensorsDType DType { get; }

    public int[] Shape { get; }

    public void WriteData(Stream stream)
    {
        if (_tensor is not null)
        {
            ReadOnlySpan<float> values = _tensor.IsContiguous ? _tensor.AsSpan() : _tensor.ToArray();
            for (int done = 0; done < values.Length; done += 1 << 26)
                stream.Write(MemoryMarshal.AsBytes(values.Slice(done, Math.Min(1 << 26, values.Length - done))));
            return;
        }
        foreach (var block in _blocks!)
        {
            var values = new sbyte[(long)block.Rows * block.Columns];
            block.CopyValuesTo(values);
            stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
        }
    }
}
