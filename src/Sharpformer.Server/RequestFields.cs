using System.Text.Json;

namespace Sharpformer.Server;

/// <summary>
/// The fields of a request's JSON object, read by name and type; a field of the wrong type, out of range, given twice,
/// or unknown to the endpoint is a 400 naming it.
/// </summary>
internal sealed class RequestFields
{
    private readonly Dictionary<string, JsonElement> _fields = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public RequestFields(JsonElement root)
    {
        foreach (var property in root.EnumerateObject())
        {
            string name;
            try
            {
                name = property.Name;
            }
            catch (InvalidOperationException)
            {
                throw new RequestException(400, "invalid_utf8", "a field name holds a lone surrogate escape, which is not text");
            }
            if (!_fields.TryAdd(name, property.Value)) throw RequestException.Invalid($"the field '{name}' is given twice");
        }
    }

    /// <summary>Whether the request sets <paramref name="name"/> (to anything but null).</summary>
    public bool Has(string name) => _fields.TryGetValue(name, out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>A string field, or null when absent.</summary>
    public string? String(string name) => Read(name) is not { } value ? null
        : value.ValueKind == JsonValueKind.String ? Text(name, value)
        : throw RequestException.Invalid($"'{name}' must be a string");

    /// <summary>A field holding a string or an array of strings, as an array; null when absent.</summary>
    public string[]? Strings(string name)
    {
        if (Read(name) is not { } value) return null;
        if (value.ValueKind == JsonValueKind.String) return [Text(name, value)];
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(item => item.ValueKind != JsonValueKind.String))
            throw RequestException.Invalid($"'{name}' must be a string or an array of strings");
        return [.. value.EnumerateArray().Select(item => Text(name, item))];
    }

    /// <summary>A whole number in [<paramref name="minimum"/>, <paramref name="maximum"/>], or null when absent.</summary>
    public int? Int(string name, int minimum, int maximum = int.MaxValue)
    {
        if (Read(name) is not { } value) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number) && number >= minimum && number <= maximum)
            return number;
        throw RequestException.Invalid($"'{name}' must be a whole number from {minimum} to {maximum}");
    }

    /// <summary>A whole number from 0 to 2⁶⁴ − 1, or null when absent.</summary>
    public ulong? UInt64(string name)
    {
        if (Read(name) is not { } value) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out ulong number)) return number;
        throw RequestException.Invalid($"'{name}' must be a whole number from 0 to {ulong.MaxValue}");
    }

    /// <summary>A number in [<paramref name="minimum"/>, <paramref name="maximum"/>], or null when absent.</summary>
    public float? Float(string name, float minimum, float maximum)
    {
        if (Read(name) is not { } value) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double number) && number >= minimum && number <= maximum)
            return (float)number;
        throw RequestException.Invalid(FormattableString.Invariant($"'{name}' must be a number from {minimum} to {maximum}"));
    }

    /// <summary>A true/false field, or null when absent.</summary>
    public bool? Bool(string name) => Read(name) is not { } value ? null
        : value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean()
        : throw RequestException.Invalid($"'{name}' must be true or false");

    /// <summary>Refuses the request if it has a field no reader asked for.</summary>
    public void RejectUnknown()
    {
        foreach (string name in _fields.Keys)
        {
            if (!_read.Contains(name))
                throw RequestException.Invalid($"unknown field '{name}' (known: {string.Join(", ", _read.Order(StringComparer.Ordinal))})");
        }
    }

    private JsonElement? Read(string name)
    {
        _read.Add(name);
        return _fields.TryGetValue(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;
    }

    // A string's text; escapes naming a lone surrogate ("\ud800") have no UTF-8 form and are refused.
    private static string Text(string name, JsonElement value)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new RequestException(400, "invalid_utf8", $"'{name}' holds a lone surrogate escape, which is not text");
        }
    }
}
