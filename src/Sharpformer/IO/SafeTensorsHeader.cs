using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace Sharpformer.IO;

/// <summary>One tensor described by a header: its element type, shape and byte range in the data section.</summary>
internal sealed record SafeTensorsEntry(string Name, SafeTensorsDType DType, int[] Shape, int Count, long Begin, long End);

/// <summary>
/// The JSON header of a safetensors file: parsing with full validation against the data section's size,
/// and serialization (padded with spaces to a multiple of 8 bytes).
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>The largest header accepted, in bytes (the reference implementation's limit).</summary>
    public const long MaxBytes = 100_000_000;

    public const string MetadataKey = "__metadata__";

    private SafeTensorsHeader(List<SafeTensorsEntry> entries, Dictionary<string, string> metadata)
    {
        Entries = entries;
        Metadata = metadata;
    }

    /// <summary>Tensors in header order.</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// Parses and validates a header whose data section holds <paramref name="dataLength"/> bytes; throws
    /// <see cref="InvalidFileException"/> naming <paramref name="source"/> and the problem.
    /// </summary>
    public static SafeTensorsHeader Parse(ReadOnlyMemory<byte> json, long dataLength, string source)
    {
        if (!Utf8.IsValid(json.Span)) throw Invalid(source, "the header is not valid UTF-8");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw Invalid(source, $"the header is not valid JSON (at byte {e.BytePositionInLine + 1} of line {e.LineNumber + 1})");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Invalid(source, $"the header is a JSON {Kind(document.RootElement)}, not an object");
            var entries = new List<SafeTensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var names = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    string name = property.Name;
                    if (!names.Add(name)) throw Invalid(source, $"the header names {Quote(name)} twice");
                    if (name == MetadataKey) ParseMetadata(property.Value, metadata, source);
                    else entries.Add(ParseEntry(name, property.Value, dataLength, source));
                }
            }
            catch (InvalidOperationException)
            {
                // JsonElement.GetString throws this for escapes that decode to invalid UTF-16.
                throw Invalid(source, "the header holds a string that is not valid Unicode text (an unpaired surrogate escape)");
            }
            CheckLayout(entries, dataLength, source);
            return new SafeTensorsHeader(entries, metadata);
        }
    }

    /// <summary>
    /// The header JSON for tensors laid out back to back in the given order, padded with spaces to a multiple of
    /// 8 bytes. Metadata is written first, and only when there is some.
    /// </summary>
    public static byte[] Serialize(IReadOnlyList<(string Name, SafeTensorsDType DType, int[] Shape)> tensors,
        IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata) writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, dtype, shape) in tensors)
            {
                long end = offset + SafeTensorsDTypes.Size(dtype) * shape.Aggregate(1L, (n, d) => n * d);
                writer.WriteStartObject(name);
                writer.WriteString("dtype", dtype.ToString());
                writer.WriteStartArray("shape");
                foreach (int d in shape) writer.WriteNumberValue(d);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(end);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset = end;
            }
            writer.WriteEndObject();
        }
        int length = buffer.WrittenCount;
        var bytes = new byte[(length + 7) / 8 * 8];
        buffer.WrittenSpan.CopyTo(bytes);
        bytes.AsSpan(length).Fill((byte)' ');
        return bytes;
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(source, $"'{MetadataKey}' is a JSON {Kind(value)}, not an object");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Invalid(source, $"'{MetadataKey}' value of {Quote(item.Name)} is a JSON {Kind(item.Value)}, not a string");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw Invalid(source, $"'{MetadataKey}' names {Quote(item.Name)} twice");
        }
    }

    private static SafeTensorsEntry ParseEntry(string name, JsonElement value, long dataLength, string source)
    {
        string where = $"tensor {Quote(name)}";
        if (name.Length == 0) throw Invalid(source, "a tensor has an empty name");
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(source, $"{where} is described by a JSON {Kind(value)}, not an object");
        JsonElement? dtypeValue = null, shapeValue = null, offsetsValue = null;
        foreach (var field in value.EnumerateObject())
        {
            ref JsonElement? slot = ref dtypeValue;
            switch (field.Name)
            {
                case "dtype": break;
                case "shape": slot = ref shapeValue; break;
                case "data_offsets": slot = ref offsetsValue; break;
                default: throw Invalid(source, $"{where} has unknown key {Quote(field.Name)}");
            }
            if (slot is not null) throw Invalid(source, $"{where} has key '{field.Name}' twice");
            slot = field.Value;
        }
        var dtype = ParseDType(dtypeValue ?? throw Missing(source, where, "dtype"), where, source);
        var shape = ParseShape(shapeValue ?? throw Missing(source, where, "shape"), where, source);
        var (begin, end) = ParseOffsets(offsetsValue ?? throw Missing(source, where, "data_offsets"), where, source);

        long count = 1, bytes;
        try
        {
            foreach (int d in shape) count = checked(count * d);
            bytes = checked(count * SafeTensorsDTypes.Size(dtype));
        }
        catch (OverflowException)
        {
            throw Invalid(source, $"{where} has shape {Format(shape)}, too large to hold");
        }
        if (bytes != end - begin)
            throw Invalid(source, $"{where} has shape {Format(shape)} and dtype {dtype}, which need {bytes} bytes, " +
                $"but its data_offsets [{begin}, {end}] span {end - begin}");
        if (end > dataLength)
            throw Invalid(source, $"{where} has data_offsets [{begin}, {end}] beyond the end of the data section ({dataLength} bytes)");
        if (count > Array.MaxLength)
            throw Invalid(source, $"{where} has {count} elements, more than one array can hold");
        return new SafeTensorsEntry(name, dtype, shape, (int)count, begin, end);
    }

    private static SafeTensorsDType ParseDType(JsonElement value, string where, string source)
    {
        if (value.ValueKind != JsonValueKind.String)
            throw Invalid(source, $"{where} has a dtype that is a JSON {Kind(value)}, not a string");
        string name = value.GetString()!;
        return SafeTensorsDTypes.Parse(name)
            ?? throw Invalid(source, $"{where} has unsupported dtype {Quote(name)} (supported: F32, F64, F16, BF16, I8)");
    }

    private static int[] ParseShape(JsonElement value, string where, string source)
    {
        if (value.ValueKind != JsonValueKind.Array)
            throw Invalid(source, $"{where} has a shape that is a JSON {Kind(value)}, not an array");
        var shape = new int[value.GetArrayLength()];
        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int d) || d < 0)
                throw Invalid(source, $"{where} has shape dimension {i} = {Raw(item)}, not a non-negative integer below 2^31");
            shape[i++] = d;
        }
        return shape;
    }

    private static (long Begin, long End) ParseOffsets(JsonElement value, string where, string source)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 2)
            throw Invalid(source, $"{where} has data_offsets {Raw(value)}, not an array of two integers");
        Span<long> offsets = stackalloc long[2];
        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out offsets[i]) || offsets[i] < 0)
                throw Invalid(source, $"{where} has data_offsets {Raw(value)}, not two non-negative integers");
            i++;
        }
        if (offsets[0] > offsets[1])
            throw Invalid(source, $"{where} has data_offsets [{offsets[0]}, {offsets[1]}] that begin after they end");
        return (offsets[0], offsets[1]);
    }

    /// <summary>Checks that the tensors tile the data section exactly: no overlaps, no gaps.</summary>
    private static void CheckLayout(List<SafeTensorsEntry> entries, long dataLength, string source)
    {
        var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long covered = 0;
        SafeTensorsEntry? previous = null;
        foreach (var entry in sorted)
        {
            if (entry.Begin < covered)
                throw Invalid(source, $"tensor {Quote(entry.Name)} (bytes [{entry.Begin}, {entry.End}]) " +
                    $"overlaps tensor {Quote(previous!.Name)} (bytes [{previous.Begin}, {previous.End}])");
            if (entry.Begin > covered)
                throw Invalid(source, $"bytes [{covered}, {entry.Begin}) of the data section belong to no tensor");
            covered = entry.End;
            previous = entry;
        }
        if (covered < dataLength)
            throw Invalid(source, $"bytes [{covered}, {dataLength}) of the data section belong to no tensor");
    }

    private static string Kind(JsonElement value) => value.ValueKind.ToString().ToLowerInvariant();

    /// <summary>A name in quotes, escaped and shortened if long, for messages.</summary>
    private static string Quote(string text) => InvalidFileException.Quote(text, 80);

    /// <summary>A JSON value's text, escaped and shortened if long, for messages.</summary>
    private static string Raw(JsonElement value) => InvalidFileException.Quote(value.GetRawText(), 80);

    private static string Format(int[] shape) => $"[{string.Join(", ", shape)}]";

    private static InvalidFileException Missing(string source, string where, string key) =>
        Invalid(source, $"{where} has no '{key}'");

    /// <summary>The exception for a malformed file: names the file and the problem.</summary>
    public static InvalidFileException Invalid(string source, string problem) =>
        new(source, $"not a valid safetensors file: {problem}");
}
