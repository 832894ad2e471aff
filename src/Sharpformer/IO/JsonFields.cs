using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace Sharpformer.IO;

/// <summary>
/// Reads one JSON object of a Sharpformer file field by field, strictly: each field must have its
/// expected JSON type, whole numbers must fit, enum fields take their names only (never integers),
/// and fields nobody asked for are an error (<see cref="RejectOthers"/>). Every problem is an
/// <see cref="InvalidFileException"/> that names the file and the field, never quoting the file raw.
/// </summary>
internal sealed class JsonFields
{
    /// <summary>Deepest nesting accepted in any file.</summary>
    public const int MaxDepth = 32;

    private readonly JsonElement _object;
    private readonly string _path, _prefix;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    /// <summary>The fields of <paramref name="element"/>, which must be an object; <paramref name="prefix"/> names it in errors (e.g. "options.").</summary>
    public JsonFields(JsonElement element, string path, string prefix = "")
    {
        (_path, _prefix) = (path, prefix);
        if (element.ValueKind != JsonValueKind.Object)
            throw Error(prefix.Length == 0 ? $"the top level is a JSON {Kind(element)}, not an object" : $"\"{prefix.TrimEnd('.')}\" is a JSON {Kind(element)}, not an object");
        _object = element;
    }

    /// <summary>
    /// Parses <paramref name="utf8"/> (a UTF-8 byte order mark is skipped) as one JSON document: valid
    /// UTF-8, comments and trailing commas allowed, no key twice in an object, nesting at most
    /// <see cref="MaxDepth"/>. A syntax error names the line and byte, not the text.
    /// </summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, string path)
    {
        if (utf8.Span.StartsWith("\uFEFF"u8)) utf8 = utf8[3..];
        if (!Utf8.IsValid(utf8.Span)) throw new InvalidFileException(path, $"not valid UTF-8 (at byte {InvalidUtf8Offset(utf8.Span)})");
        try
        {
            return JsonDocument.Parse(utf8, new JsonDocumentOptions
            {
                AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = MaxDepth, AllowDuplicateProperties = false,
            });
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is long line ? string.Create(CultureInfo.InvariantCulture, $" at line {line + 1}, byte {e.BytePositionInLine + 1}") : "";
            string why = e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase) ? $": nested deeper than {MaxDepth} levels"
                : e.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase) ? ": a key appears twice in one object" : "";
            throw new InvalidFileException(path, $"not valid JSON{where}{why}", e);
        }
        catch (InvalidOperationException e)
        {
            // Raised while comparing keys for duplicates: a key with an unpaired surrogate escape.
            throw new InvalidFileException(path, "a key is not valid Unicode text (an unpaired surrogate escape)", e);
        }
    }

    /// <summary>Reads and parses the file at <paramref name="path"/> (see <see cref="Parse"/>).</summary>
    public static JsonDocument ReadFile(string path, long maxBytes = 1L << 30)
    {
        byte[] bytes = FileBytes.Read(path, maxBytes);
        return Parse(bytes, path);
    }

    /// <summary>True when the object has the field.</summary>
    public bool Has(string name) => _object.TryGetProperty(name, out _);

    /// <summary>A whole number in [int.MinValue, int.MaxValue]; <paramref name="fallback"/> when absent (null: the field is required).</summary>
    public int Int(string name, int? fallback = null) => !TryGet(name, out var value) ? fallback ?? throw Missing(name)
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n) ? n
        : throw Error($"{Name(name)} must be a whole number from {int.MinValue} to {int.MaxValue}, not {Describe(value)}");

    /// <summary>A whole number in [0, ulong.MaxValue].</summary>
    public ulong ULong(string name, ulong? fallback = null) => !TryGet(name, out var value) ? fallback ?? throw Missing(name)
        : WholeNumber(value, Name(name));

    /// <summary>A finite number that fits a float.</summary>
    public float Float(string name, float? fallback = null) => !TryGet(name, out var value) ? fallback ?? throw Missing(name)
        : value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double d) && float.IsFinite((float)d) ? (float)d
        : throw Error($"{Name(name)} must be a finite number, not {Describe(value)}");

    /// <summary>true or false.</summary>
    public bool Bool(string name, bool? fallback = null) => !TryGet(name, out var value) ? fallback ?? throw Missing(name)
        : value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error($"{Name(name)} must be true or false, not {Describe(value)}"),
        };

    /// <summary>A string (valid Unicode).</summary>
    public string String(string name, string? fallback = null) => !TryGet(name, out var value) ? fallback ?? throw Missing(name)
        : value.ValueKind == JsonValueKind.String ? Text(value, Name(name))
        : throw Error($"{Name(name)} must be a string, not {Describe(value)}");

    /// <summary>One of the names the enum's members declare with <see cref="JsonStringEnumMemberNameAttribute"/> (never a number).</summary>
    public T Enum<T>(string name, T? fallback = null) where T : struct, Enum
    {
        if (!TryGet(name, out var value)) return fallback ?? throw Missing(name);
        var names = EnumNames<T>.ByName;
        string accepted = string.Join(", ", names.Keys.Select(n => $"\"{n}\""));
        if (value.ValueKind != JsonValueKind.String) throw Error($"{Name(name)} must be one of {accepted}, not {Describe(value)}");
        string text = Text(value, Name(name));
        return names.TryGetValue(text, out T member) ? member : throw Error($"{Name(name)} is {InvalidFileException.Quote(text, 40)}, not one of {accepted}");
    }

    /// <summary>An array of whole numbers in [0, ulong.MaxValue].</summary>
    public ulong[] ULongs(string name) => [.. Array(name).Select((item, i) => WholeNumber(item, Name($"{name}[{i}]")))];

    /// <summary>An array of strings.</summary>
    public string[] Strings(string name) => [.. Array(name).Select((item, i) => item.ValueKind == JsonValueKind.String ? Text(item, Name($"{name}[{i}]"))
        : throw Error($"{Name($"{name}[{i}]")} must be a string, not {Describe(item)}"))];

    /// <summary>The elements of an array field (required).</summary>
    public JsonElement[] Array(string name) => !TryGet(name, out var value) ? throw Missing(name)
        : value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray()]
        : throw Error($"{Name(name)} must be an array, not {Describe(value)}");

    /// <summary>A nested object (required), read with the same rules.</summary>
    public JsonFields Object(string name) => TryGet(name, out var value) ? new JsonFields(value, _path, $"{_prefix}{name}.") : throw Missing(name);

    /// <summary>An element of an array, as an object; <paramref name="label"/> names it in errors (e.g. "special_tokens[2]").</summary>
    public JsonFields Element(JsonElement element, string label) => new(element, _path, $"{_prefix}{label}.");

    /// <summary>Fails on any field not read so far (a misspelt name must not be ignored silently).</summary>
    public void RejectOthers()
    {
        foreach (var property in _object.EnumerateObject())
            if (!_read.Contains(property.Name))
                throw Error($"unknown field {Name(SafeName(property))}");
    }

    /// <summary>An error about this file.</summary>
    public InvalidFileException Error(string problem) => new(_path, problem);

    private bool TryGet(string name, out JsonElement value)
    {
        _read.Add(name);
        return _object.TryGetProperty(name, out value);
    }

    private InvalidFileException Missing(string name) => Error($"{Name(name)} is missing");

    private ulong WholeNumber(JsonElement value, string what) => value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out ulong n) ? n
        : throw Error($"{what} must be a whole number from 0 to {ulong.MaxValue}, not {Describe(value)}");

    private string Name(string name) => $"\"{_prefix}{name}\"";

    private string SafeName(JsonProperty property)
    {
        try
        {
            return InvalidFileException.Quote(property.Name, 40).Trim('\'');
        }
        catch (InvalidOperationException)
        {
            return "(a name that is not valid Unicode)";
        }
    }

    // JsonElement.GetString throws InvalidOperationException for escapes such as a lone "\ud800".
    private string Text(JsonElement value, string what)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw Error($"{what} is not valid Unicode text (an unpaired surrogate escape)");
        }
    }

    /// <summary>The kind of a JSON value, and a number's value, for messages: never the file's raw text.</summary>
    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetDouble(out double d) && double.IsFinite(d) => $"the number {d.ToString("R", CultureInfo.InvariantCulture)}",
        JsonValueKind.Number => "a number out of range",
        JsonValueKind.String => "a string",
        JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null => Kind(value),
        _ => $"a JSON {Kind(value)}",
    };

    private static string Kind(JsonElement value) => value.ValueKind.ToString().ToLowerInvariant();

    private static int InvalidUtf8Offset(ReadOnlySpan<byte> bytes)
    {
        var status = System.Text.Unicode.Utf8.ToUtf16(bytes, new char[bytes.Length], out int read, out _, replaceInvalidSequences: false);
        return status == System.Buffers.OperationStatus.Done ? bytes.Length : read;
    }

    /// <summary>The JSON names of an enum's members.</summary>
    private static class EnumNames<T> where T : struct, Enum
    {
        public static readonly Dictionary<string, T> ByName = typeof(T).GetFields(BindingFlags.Public | BindingFlags.Static).ToDictionary(
            field => field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name
                ?? throw new InvalidOperationException($"{typeof(T).Name}.{field.Name} has no JSON name"),
            field => (T)field.GetValue(null)!, StringComparer.Ordinal);
    }
}
