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
    /// <exception cref="InvalidFileException">
    /// The file is missing, unreadable or malformed; the message names it and the problem.
    /// </exception>
    public static SafeTensorsFile Read(string path)
    {
        using var reader = SafeTensorsReader.Open(path);
        return reader.ReadAll();
    }

    /// <summary>
    /// Reads a safetensors file that starts at the current position of a seekable
    /// <paramref name="stream"/> and runs to its end; <paramref name="sourceName"/> names it in errors.
    /// </summary>
    /// <exception cref="InvalidFileException">The content is malformed.</exception>
    public static SafeTensorsFile Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException("SafeTensors.Read: the stream must be readable and seekable", nameof(stream));
        using var reader = new SafeTensorsReader(stream, sourceName, ownsStream: false);
        return reader.ReadAll();
    }
}

/// <summary>
/// An open safetensors file whose header has been read and fully validated (against the file's size),
/// with its tensors read on demand: a loader can check names and shapes before it allocates anything,
/// then read each tensor straight into its destination.
/// </summary>
internal sealed class SafeTensorsReader : IDisposable
{
    /// <summary>Floats moved per read call (256 MB), keeping byte spans below 2^31.</summary>
    private const int MaxSliceFloats = 1 << 26;

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly long _dataStart;

    /// <summary>Reads and validates the header of the stream's content from its current position to its end.</summary>
    public SafeTensorsReader(Stream stream, string sourceName, bool ownsStream)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("SafeTensors: only little-endian hosts are supported");
        (_stream, _ownsStream, Source) = (stream, ownsStream, sourceName);
        try
        {
            long start = stream.Position, length = stream.Length - start;
            if (length < 8)
                throw SafeTensorsHeader.Invalid(sourceName, $"it is {length} bytes long, shorter than the 8-byte header size");
            Span<byte> prefix = stackalloc byte[8];
            stream.ReadExactly(prefix);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > SafeTensorsHeader.MaxBytes)
                throw SafeTensorsHeader.Invalid(sourceName,
                    $"the header size {headerLength} exceeds the limit of {SafeTensorsHeader.MaxBytes} bytes");
            if (headerLength > (ulong)(length - 8))
                throw SafeTensorsHeader.Invalid(sourceName, $"the header size {headerLength} is more than the {length - 8} bytes after it");
            var json = new byte[headerLength];
            stream.ReadExactly(json);
            _dataStart = start + 8 + json.Length;
            var header = SafeTensorsHeader.Parse(json, length - 8 - json.Length, sourceName);
            (Entries, Metadata) = (header.Entries, header.Metadata);
        }
        catch
        {
            if (ownsStream) stream.Dispose();
            throw;
        }
    }

    /// <summary>Opens the file at <paramref name="path"/> and reads its header.</summary>
    /// <exception cref="InvalidFileException">The file is missing, unreadable, or its header is malformed.</exception>
    public static SafeTensorsReader Open(string path)
    {
        var stream = FileBytes.Open(path);
        try
        {
            return new SafeTensorsReader(stream, path, ownsStream: true);
        }
        catch (IOException e) when (e is not InvalidFileException)
        {
            throw new InvalidFileException(path, $"cannot be read ({e.Message})", e);
        }
    }

    /// <summary>The name the file goes by in errors.</summary>
    public string Source { get; }

    /// <summary>The tensors the header describes, in header order.</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries { get; }

    /// <summary>The <c>__metadata__</c> entries.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor, as float32, in header order.</summary>
    public SafeTensorsFile ReadAll()
    {
        var tensors = new List<KeyValuePair<string, Tensor>>(Entries.Count);
        foreach (var entry in Entries)
        {
            var data = new float[entry.Count];
            ReadInto(entry, data);
            tensors.Add(new(entry.Name, new Tensor(data, entry.Shape)));
        }
        return new SafeTensorsFile(tensors, Metadata);
    }

    /// <summary>
    /// Reads <paramref name="entry"/>'s values, converted to float32, into <paramref name="destination"/>
    /// (exactly its size).
    /// </summary>
    public void ReadInto(SafeTensorsEntry entry, Span<float> destination)
    {
        if (destination.Length != entry.Count)
            throw new ArgumentException($"SafeTensorsReader: '{entry.Name}' holds {entry.Count} values, not {destination.Length}",
                nameof(destination));
        try
        {
            _stream.Position = _dataStart + entry.Begin;
            ReadValues(entry.DType, destination);
        }
        catch (EndOfStreamException)
        {
            throw SafeTensorsHeader.Invalid(Source, "it ended while being read (was it changed meanwhile?)");
        }
        catch (IOException e)
        {
            throw new InvalidFileException(Source, $"cannot be read ({e.Message})", e);
        }
    }

    /// <summary>
    /// Reads the int8 values of <paramref name="entry"/> (which must be I8) into <paramref name="destination"/> (exactly its size).
    /// </summary>
    public void ReadInto(SafeTensorsEntry entry, Span<sbyte> destination)
    {
        if (entry.DType != SafeTensorsDType.I8)
            throw SafeTensorsHeader.Invalid(Source, $"tensor '{entry.Name}' is {entry.DType}, but a quantized model stores it as I8");
        if (destination.Length != entry.Count)
            throw new ArgumentException($"SafeTensorsReader: '{entry.Name}' holds {entry.Count} values, not {destination.Length}",
                nameof(destination));
        try
        {
            _stream.Position = _dataStart + entry.Begin;
            _stream.ReadExactly(MemoryMarshal.AsBytes(destination));
        }
        catch (EndOfStreamException)
        {
            throw SafeTensorsHeader.Invalid(Source, "it ended while being read (was it changed meanwhile?)");
        }
        catch (IOException e)
        {
            throw new InvalidFileException(Source, $"cannot be read ({e.Message})", e);
        }
    }

    /// <summary>Reads <paramref name="destination"/>.Length elements of <paramref name="dtype"/> as float32.</summary>
    private void ReadValues(SafeTensorsDType dtype, Span<float> destination)
    {
        if (dtype == SafeTensorsDType.F32)
        {
            for (int done = 0; done < destination.Length; done += MaxSliceFloats)
                _stream.ReadExactly(MemoryMarshal.AsBytes(destination.Slice(done, Math.Min(MaxSliceFloats, destination.Length - done))));
            return;
        }
        int size = SafeTensorsDTypes.Size(dtype), chunk = Math.Max(1, Math.Min(destination.Length, (1 << 16) / size));
        var buffer = new byte[chunk * size];
        for (int done = 0; done < destination.Length; done += chunk)
        {
            int n = Math.Min(chunk, destination.Length - done);
            _stream.ReadExactly(buffer, 0, n * size);
            SafeTensorsDTypes.ToSingle(dtype, buffer.AsSpan(0, n * size), destination.Slice(done, n));
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsStream) _stream.Dispose();
    }
}
