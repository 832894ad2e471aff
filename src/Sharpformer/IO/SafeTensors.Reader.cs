using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Sharpformer.Tensors;

namespace Sharpformer.IO;

public static partial class SafeTensors
{
    /// <summary>
    /// Reads every tensor of the safetensors file at <paramref name="path"/>, in file order, converting
    /// F64, F16 and BF16 to float32. The file is fully validated before any tensor data is allocated.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is malformed; the message names it and the problem.</exception>
    public static SafeTensorsFile Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Read(stream, path);
    }

    /// <summary>
    /// Reads a safetensors file that starts at the current position of a seekable
    /// <paramref name="stream"/> and runs to its end; <paramref name="sourceName"/> names it in errors.
    /// </summary>
    /// <exception cref="InvalidDataException">The content is malformed.</exception>
    public static SafeTensorsFile Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException("SafeTensors.Read: the stream must be readable and seekable", nameof(stream));
        EnsureLittleEndian();

        long start = stream.Position, length = stream.Length - start;
        if (length < 8)
            throw SafeTensorsHeader.Invalid(sourceName, $"it is {length} bytes long, shorter than the 8-byte header size");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > SafeTensorsHeader.MaxBytes)
            throw SafeTensorsHeader.Invalid(sourceName, $"the header size {headerLength} exceeds the limit of {SafeTensorsHeader.MaxBytes} bytes");
        if (headerLength > (ulong)(length - 8))
            throw SafeTensorsHeader.Invalid(sourceName, $"the header size {headerLength} is more than the {length - 8} bytes after it");
        var json = new byte[headerLength];
        stream.ReadExactly(json);
        long dataStart = start + 8 + json.Length;
        var header = SafeTensorsHeader.Parse(json, length - 8 - json.Length, sourceName);

        var tensors = new List<KeyValuePair<string, Tensor>>(header.Entries.Count);
        try
        {
            foreach (var entry in header.Entries)
            {
                var data = new float[entry.Count];
                stream.Position = dataStart + entry.Begin;
                ReadValues(stream, entry.DType, data);
                tensors.Add(new(entry.Name, new Tensor(data, entry.Shape)));
            }
        }
        catch (EndOfStreamException)
        {
            throw SafeTensorsHeader.Invalid(sourceName, "it ended while being read (was it changed meanwhile?)");
        }
        return new SafeTensorsFile(tensors, header.Metadata);
    }

    /// <summary>Reads <paramref name="destination"/>.Length elements of <paramref name="dtype"/> as float32.</summary>
    private static void ReadValues(Stream stream, SafeTensorsDType dtype, Span<float> destination)
    {
        if (dtype == SafeTensorsDType.F32)
        {
            // In slices, since a span of more than 2^31 bytes cannot exist.
            for (int done = 0; done < destination.Length; done += MaxSliceFloats)
                stream.ReadExactly(MemoryMarshal.AsBytes(destination.Slice(done, Math.Min(MaxSliceFloats, destination.Length - done))));
            return;
        }
        int size = SafeTensorsDTypes.Size(dtype), chunk = Math.Max(1, Math.Min(destination.Length, (1 << 16) / size));
        var buffer = new byte[chunk * size];
        for (int done = 0; done < destination.Length; done += chunk)
        {
            int n = Math.Min(chunk, destination.Length - done);
            stream.ReadExactly(buffer, 0, n * size);
            SafeTensorsDTypes.ToSingle(dtype, buffer.AsSpan(0, n * size), destination.Slice(done, n));
        }
    }
}
