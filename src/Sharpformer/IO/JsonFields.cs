using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

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

    /// <summary>
    /// The fields of <paramref name="element"/>, which must be an object; <paramref name="prefix"/> names it
    /// in errors (e.g. "options.").
    /// </summary>
    public JsonFields(JsonElement element, string path, string prefix = "")
    {
        (_path, _prefix) = (path, prefix);
        if (element.ValueKind != JsonValueKind.Object)
            throw Error(prefix.Length == 0
                ? $"the top level is a JSON {Kind(element)}, not an object"
                : $"\"{prefix.TrimEnd('.')}\" is a JSON {Kind(element)}, not an object");
        _object = element;
    }

    /// <summary>
    /// Parses <paramref name="utf8"/> (a UTF-8 byte order mark is skipped) as one JSON document: valid
    /// UTF-8, comments and trailing commas allowed, nesting at most <see cref="MaxDepth"/>, no key twice
    /// in an object and every key valid Unicode. A syntax error names the line and byte, not the text.
    /// </summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, string path)
    {
        if (utf8.Span.StartsWith("\uFEFF"u8)) utf8 = utf8[3..];
        if (TextFile.FirstInvalidUtf8(utf8.Span) is var invalid and >= 0)
            throw new InvalidFileException(path, $"not valid UTF-8 (at byte {invalid})");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, Options(MaxDepth));
        }
        catch (JsonException e)
        {
            if (IsJson(utf8)) throw new InvalidFileException(path, $"nested deeper than {MaxDepth} levels", e);
            string where = e.LineNumber is long line
                ? string.Create(CultureInfo.InvariantCulture, $" at line {line + 1}, byte {e.BytePositionInLine + 1}")
                : "";
            throw new InvalidFileException(path, $"not valid JSON{where}", e);
        }
        try
        {
            CheckKeys(document.RootElement, path);
            return document;
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    private static JsonDocumentOptions Options(int depth) =>
        new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = depth };

    // Whether the text is JSON when nesting may go deeper (the question after a failed parse).
    private static bool IsJson(ReadOnlyMemory<byte> utf8)
    {
        try
        {
            using var _ = JsonDocument.Parse(utf8, Options(1 << 16));
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // Every key of every object valid Unicode (GetString would throw on an unpaired surrogate escape) and unique.
    private static void CheckKeys(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.Array)
            foreach (var item in element.EnumerateArray()) CheckKeys(item, path);
        if (element.ValueKind != JsonValueKind.Object) return;
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            string name;
            try
            {
                name = property.Name;
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidFileException(path, "a key is not valid Unicode text (an unpaired surrogate escape)", e);
            }
            if (!keys.Add(name))
                throw new InvalidFileException(path, $"the key {InvalidFileException.Quote(name, 40)} appears twice in one object");
            CheckKeys(property.Value, path);
        }
    }

    /// <summary>True when the object has the field.</summary>
    public bool Has(string name) => _object.TryGetProperty(name, out _);

    /// <summary>True when the field is absent or null.</summary>
    public bool IsNull(string name) => !TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null;

    /// <summary>
    /// An object field (required) of at most <paramref name="maxCount"/> keys, each mapped to a whole number in
    /// [0, int.MaxValue], in the file's order.
    /// </summary>
    public (string Key, int Value)[] IntMap(string name, int maxCount)
    {
        var map = Object(name)._object;
        int count = 0;
        foreach (var _ in map.EnumerateObject())
            if (++count > maxCount) throw Error($"{Name(name)} has more than the {maxCount:N0} entries accepted");
        return [.. map.EnumerateObject().Select(entry =>
            entry.Value.ValueKind == JsonValueKind.Number && entry.Value.TryGetInt32(out int n) && n >= 0 ? (entry.Name, n)
            : throw Error($"{Name(name)}[{InvalidFileException.Quote(entry.Name, 40)}] must be a whole number from 0 to {
                int.MaxValue}, not {Describe(entry.Value)}"))];
    }

    /// <summary>
    /// A whole number in [int.MinValue, int.MaxValue]; <paramref name="fallback"/> when absent (null: the
    /// field is required).
    /// </summary>
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

    /// <summary>A finite number.</summary>
    public double Double(string name, double? fallback = null) => !TryGet(name, out var value) ? fallback ?? throw Missing(name)
        : value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double d) && double.IsFinite(d) ? d
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

    /// <summary>
    /// One of the names the enum's members declare with <see cref="JsonStringEnumMemberNameAttribute"/>
    /// (never a number).
    /// </summary>
    public T Enum<T>(string name, T? fallback = null) where T : struct, Enum
    {
        if (!TryGet(name, out var value)) return fallback ?? throw Missing(name);
        var names = EnumNames<T>.ByName;
        string accepted = string.Join(", ", names.Keys.Select(n => $"\"{n}\""));
        if (value.ValueKind != JsonValueKind.String) throw Error($"{Name(name)} must be one of {accepted}, not {Describe(value)}");
        string text = Text(value, Name(name));
        return names.TryGetValue(text, out T member) ? member
            : throw Error($"{Name(name)} is {InvalidFileException.Quote(text, 40)}, not one of {accepted}");
    }

    /// <summary>An array of at most <paramref name="maxCount"/> whole numbers in [0, ulong.MaxValue].</summary>
    public ulong[] ULongs(string name, int maxCount) =>
        [.. Array(name, maxCount).Select((item, i) => WholeNumber(item, Name($"{name}[{i}]")))];

    /// <summary>An array of at most <paramref name="maxCount"/> strings.</summary>
    public string[] Strings(string name, int maxCount) => [.. Array(name, maxCount).Select((item, i) =>
        item.ValueKind == JsonValueKind.String ? Text(item, Name($"{name}[{i}]"))
        : throw Error($"{Name($"{name}[{i}]")} must be a string, not {Describe(item)}"))];

    /// <summary>
    /// The elements of an array field (required) of at most <paramref name="maxCount"/> elements, counted
    /// before any is copied.
    /// </summary>
    public JsonElement[] Array(string name, int maxCount) => !TryGet(name, out var value) ? throw Missing(name)
        : value.ValueKind != JsonValueKind.Array ? throw Error($"{Name(name)} must be an array, not {Describe(value)}")
        : value.GetArrayLength() > maxCount
            ? throw Error($"{Name(name)} has {value.GetArrayLength():N0} elements, more than the {maxCount:N0} accepted")
        : [.. value.EnumerateArray()];

    /// <summary>A nested object (required), read with the same rules.</summary>
    public JsonFields Object(string name) =>
        TryGet(name, out var value) ? new JsonFields(value, _path, $"{_prefix}{name}.") : throw Missing(name);

    /// <summary>An element of an array, as an object; <paramref name="label"/> names it in errors (e.g. "special_tokens[2]").</summary>
    public JsonFields Element(JsonElement element, string label) => new(element, _path, $"{_prefix}{label}.");

    /// <summary>Fails on any field not read so far (a misspelt name must not be ignored silently).</summary>
    public void RejectOthers()
    {
        foreach (var property in _object.EnumerateObject())
            if (!_read.Contains(property.Name))
                throw Error($"unknown field {Name(InvalidFileException.Quote(property.Name, 40).Trim('\''))}");
    }

    /// <summary>An error about this file.</summary>
    public InvalidFileException Error(string problem) => new(_path, problem);

    private bool TryGet(string name, out JsonElement value)
    {
        _read.Add(name);
        return _object.TryGetProperty(name, out value);
    }

    private InvalidFileException Missing(string name) => Error($"{Name(name)} is missing");

    private ulong WholeNumber(JsonElement value, string what) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out ulong n) ? n
        : throw Error($"{what} must be a whole number from 0 to {ulong.MaxValue}, not {Describe(value)}");

    private string Name(string name) => $"\"{_prefix}{name}\"";

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
        JsonValueKind.Number when value.TryGetDouble(out double d) && double.IsFinite(d) =>
            $"the number {d.ToString("R", CultureInfo.InvariantCulture)}",
        JsonValueKind.Number => "a number out of range",
        JsonValueKind.String => "a string",
        JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null => Kind(value),
        _ => $"a JSON {Kind(value)}",
    };

    private static string Kind(JsonElement value) => value.ValueKind.ToString().ToLowerInvariant();

    /// <summary>The JSON names of an enum's members.</summary>
    private static class EnumNames<T> where T : struct, Enum
    {
        public static readonly Dictionary<string, T> ByName = typeof(T).GetFields(BindingFlags.Public | BindingFlags.Static).ToDictionary(
            field => field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name
                ?? throw new InvalidOperationException($"{typeof(T).Name}.{field.Name} has no JSON name"),
            field => (T)field.GetValue(null)!, StringComparer.Ordinal);
    }
}
