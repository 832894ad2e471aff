using System.Text;
using System.Text.Json.Nodes;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Fuzz;

/// <summary>
/// Seeded mutations of file content, as a hostile user or a failing disk would make them: bit flips,
/// truncation, inserted and deleted bytes, and for JSON, edits of one value (huge, negative, fractional
/// or overflowing numbers, wrong types, lone surrogates, invalid UTF-8, deep nesting, long strings),
/// removed, duplicated, renamed and unknown keys.
/// </summary>
internal static class Mutator
{
    /// <summary>Raw JSON fragments that replace a value; each is valid JSON syntax unless noted.</summary>
    public static readonly string[] HostileValues =
    [
        "0", "-1", "1", "2", "3", "7", "255", "256", "1024", "65536", "2147483647", "2147483648", "-2147483648", "-2147483649",
        "4294967296", "9223372036854775807", "18446744073709551615", "18446744073709551616", "1e400", "-1e400", "1e-400",
        "1.5", "-0.0", "0.1", "1e9", "33554432", "67108864", "1000000",
        "\"\"", "\"x\"", "\"relu\"", "\"gelu\"", "\"pre\"", "\"decoder-only\"", "\"bpe\"", "\"char\"", "\"word\"",
        "\"\\ud800\"", "\"a\\udc00b\"",
        "\"\\u0000\"", "\"<pad>\"", "\"1,2\"", "\"NaN\"", "\"Infinity\"",
        "true", "false", "null", "[]", "{}", "[1,2]", "[\"a b\"]", "{\"a\":1}",
        new string('[', 300) + new string(']', 300),                       // deeper than any reader allows
        "\"" + new string('x', 100_000) + "\"",
    ];

    /// <summary>One to three mutations of <paramref name="input"/>; JSON-aware ones when <paramref name="json"/>.</summary>
    public static byte[] Mutate(Rng rng, byte[] input, bool json)
    {
        byte[] result = input;
        int rounds = rng.NextInt(10) < 6 ? 1 : 2 + rng.NextInt(2);
        for (int round = 0; round < rounds; round++)
            result = json && rng.NextInt(3) > 0 ? MutateJson(rng, result) : MutateBytes(rng, result);
        return result;
    }

    /// <summary>One byte-level mutation.</summary>
    public static byte[] MutateBytes(Rng rng, byte[] input)
    {
        if (input.Length == 0) return [(byte)rng.NextInt(256)];
        var bytes = (byte[])input.Clone();
        int at = rng.NextInt(bytes.Length);
        switch (rng.NextInt(8))
        {
            case 0:
            case 1:
                for (int flips = 1 + rng.NextInt(8); flips > 0; flips--) bytes[rng.NextInt(bytes.Length)] ^= (byte)(1 << rng.NextInt(8));
                return bytes;
            case 2: return bytes[..at];                                                     // truncated
            case 3: return [.. bytes[..at], .. bytes[Math.Min(bytes.Length, at + 1 + rng.NextInt(64))..]];   // a range deleted
            case 4: return [.. bytes[..at], .. RandomBytes(rng, 1 + rng.NextInt(16)), .. bytes[at..]];
            case 5: return [.. bytes[..at], .. InvalidUtf8(rng), .. bytes[at..]];
            case 6:
                int length = Math.Min(bytes.Length - at, 1 + rng.NextInt(256));
                return [.. bytes[..(at + length)], .. bytes[at..(at + length)], .. bytes[(at + length)..]];   // a range repeated
            default:
                const string Syntax = "{}[]\",:\\0-e.\n\t";
                bytes[at] = (byte)Syntax[rng.NextInt(Syntax.Length)];
                return bytes;
        }
    }

    /// <summary>One JSON-aware mutation (byte-level when the input is not JSON any more).</summary>
    public static byte[] MutateJson(Rng rng, byte[] input)
    {
        try
        {
            return MutateJsonValue(rng, input);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            return MutateBytes(rng, input);   // JsonNode holds neither text that is not valid Unicode nor a key twice
        }
    }

    private static byte[] MutateJsonValue(Rng rng, byte[] input)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(input, documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = 1000 });
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
        {
            return MutateBytes(rng, input);
        }
        if (root is null) return MutateBytes(rng, input);
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        var target = nodes[rng.NextInt(nodes.Count)];
        const string Marker = "\"__hostile__\"";
        string fragment = HostileValues[rng.NextInt(HostileValues.Length)];
        switch (rng.NextInt(8))
        {
            case 7 when target is JsonValue value && value.TryGetValue(out double number):
                // A plausible neighbour rather than a hostile value: the input often stays loadable.
                double[] nudged = [number + 1, number - 1, number * 2, Math.Floor(number / 2), -number, 0, 1];
                if (!Replace(target, JsonValue.Create(nudged[rng.NextInt(nudged.Length)]))) return MutateBytes(rng, input);
                return Serialize(root);
            case 0:
            case 1:
            case 2:
                if (!Replace(target, JsonValue.Create("__hostile__"))) return MutateBytes(rng, input);
                break;
            case 3 when target is JsonObject obj && obj.Count > 0:
                obj.Remove(obj.ElementAt(rng.NextInt(obj.Count)).Key);   // a key removed
                return Serialize(root);
            case 4 when target is JsonObject obj:
                obj["unknown_" + rng.NextInt(100)] = JsonValue.Create("__hostile__");   // a key nobody reads
                break;
            case 5 when target is JsonArray array && array.Count > 0:
                int index = rng.NextInt(array.Count);
                if (rng.NextInt(2) == 0) array.RemoveAt(index);
                else array.Insert(index, array[index]?.DeepClone());
                return Serialize(root);
            case 6 when target is JsonObject obj && obj.Count > 0:
                string text = Encoding.UTF8.GetString(Serialize(root));
                string key = obj.ElementAt(rng.NextInt(obj.Count)).Key;
                int at = text.IndexOf($"\"{key}\":", StringComparison.Ordinal);
                if (at < 0) return MutateBytes(rng, input);
                return Encoding.UTF8.GetBytes(text[..at] + $"\"{key}\":{fragment}," + text[at..]);   // the key twice
            default:
                return InsertIntoString(rng, input);
        }
        return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Serialize(root)).Replace(Marker, fragment));
    }

    // A lone surrogate escape or an invalid UTF-8 sequence inside a string of the file.
    private static byte[] InsertIntoString(Rng rng, byte[] input)
    {
        var quotes = Enumerable.Range(0, input.Length).Where(i => input[i] == (byte)'"').ToList();
        if (quotes.Count == 0) return MutateBytes(rng, input);
        int at = quotes[rng.NextInt(quotes.Count)] + 1;
        byte[] insert = rng.NextInt(2) == 0 ? Encoding.ASCII.GetBytes(rng.NextInt(2) == 0 ? "\\ud800" : "\\udfff") : InvalidUtf8(rng);
        return [.. input[..at], .. insert, .. input[at..]];
    }

    private static byte[] InvalidUtf8(Rng rng) => rng.NextInt(5) switch
    {
        0 => [0xFF],
        1 => [0xC0, 0x80],              // overlong NUL
        2 => [0xED, 0xA0, 0x80],        // an encoded surrogate
        3 => [0xE2, 0x82],              // truncated sequence
        _ => [0x80],                    // a lone continuation byte
    };

    private static byte[] RandomBytes(Rng rng, int count)
    {
        var bytes = new byte[count];
        for (int i = 0; i < count; i++) bytes[i] = (byte)rng.NextInt(256);
        return bytes;
    }

    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        nodes.Add(node);
        if (node is JsonObject obj)
            foreach (var (_, child) in obj)
                if (child is not null) Collect(child, nodes);
        if (node is JsonArray array)
            foreach (var child in array)
                if (child is not null) Collect(child, nodes);
    }

    private static bool Replace(JsonNode target, JsonNode replacement)
    {
        switch (target.Parent)
        {
            case JsonObject parent:
                parent[target.GetPropertyName()] = replacement;
                return true;
            case JsonArray parent:
                parent[target.GetElementIndex()] = replacement;
                return true;
            default:
                return false;
        }
    }

    private static byte[] Serialize(JsonNode root) => Encoding.UTF8.GetBytes(root.ToJsonString());
}
