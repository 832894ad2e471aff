using System.Text.Encodings.Web;
using System.Text.Json;
using Sharpformer.IO;

namespace Sharpformer.Text;

/// <summary>
/// tokenizer.json, Sharpformer's own format (in the spirit of Hugging Face's, not compatible with it):
/// <code>
/// {
///   "format": "sharpformer-tokenizer", "version": 1,
///   "type": "bpe",                                  // "char", "word" or "bpe"
///   "special_tokens": [ { "id": 0, "text": "&lt;pad&gt;" }, ... ],
///   "vocab": [ "&lt;pad&gt;", "&lt;bos&gt;", "&lt;eos&gt;", "&lt;unk&gt;", "!", ..., "Ġthe", ... ],   // id = index
///   "merges": [ "Ġ t", "h e", ... ]                 // "bpe" only, in rank order
/// }
/// </code>
/// Special ids hold the token's name in "vocab". For "bpe", every other entry is a byte sequence written
/// with GPT-2's byte-to-character mapping (a space is 'Ġ'; see <see cref="ByteUnicode"/>), every single byte
/// has exactly one entry, and each merge is "left right", two vocab entries whose concatenation is also one.
/// "char" and "word" vocabularies hold the text of each piece and need an "&lt;unk&gt;" special token.
/// </summary>
internal static class TokenizerFile
{
    private const string FormatName = "sharpformer-tokenizer";
    private const int Version = 1;

    /// <summary>Writes the file atomically.</summary>
    public static void Write(string path, string type, SpecialTokenSet specials, IReadOnlyList<string> vocab, IReadOnlyList<string>? merges)
    {
        AtomicFile.Write(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            json.WriteStartObject();
            json.WriteString("format", FormatName);
            json.WriteNumber("version", Version);
            json.WriteString("type", type);
            json.WriteStartArray("special_tokens");
            foreach (var token in specials.All)
            {
                json.WriteStartObject();
                json.WriteNumber("id", token.Id);
                json.WriteString("text", token.Text);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            WriteStrings(json, "vocab", vocab);
            if (merges is not null) WriteStrings(json, "merges", merges);
            json.WriteEndObject();
            json.Flush();
            stream.WriteByte((byte)'\n');
        });
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values) json.WriteStringValue(value);
        json.WriteEndArray();
    }

    /// <summary>Reads and validates the file; errors name the file and the problem.</summary>
    public static ITokenizer Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            try
            {
                return FromJson(document.RootElement);
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                throw new InvalidDataException($"{path}: {e.Message}", e);
            }
        }
    }

    private static ITokenizer FromJson(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("the top level is not a JSON object");
        if (String(root, "format") != FormatName) throw new FormatException($"\"format\" is not \"{FormatName}\"");
        if (!Property(root, "version", JsonValueKind.Number).TryGetInt32(out int version) || version != Version)
            throw new FormatException($"unsupported \"version\" (this build reads version {Version})");
        string type = String(root, "type");
        if (!TokenizerTrainer.Types.Contains(type)) throw new FormatException($"unknown \"type\" '{type}' (expected {string.Join(", ", TokenizerTrainer.Types)})");
        var specials = new SpecialTokenSet(Property(root, "special_tokens", JsonValueKind.Array).EnumerateArray().Select((token, i) =>
        {
            if (token.ValueKind != JsonValueKind.Object) throw new FormatException($"special_tokens[{i}] is not an object");
            if (!Property(token, "id", JsonValueKind.Number).TryGetInt32(out int id)) throw new FormatException($"special_tokens[{i}].id is not a whole number");
            return new SpecialToken(String(token, "text"), id);
        }));
        string[] vocab = Strings(root, "vocab");
        foreach (var special in specials.All)
        {
            if (special.Id >= vocab.Length) throw new FormatException($"special token '{special.Text}' has id {special.Id}, outside the vocab of {vocab.Length}");
            if (vocab[special.Id] != special.Text) throw new FormatException($"vocab[{special.Id}] is '{vocab[special.Id]}', not the special token '{special.Text}'");
        }
        bool hasMerges = root.TryGetProperty("merges", out _);
        if (hasMerges != (type == "bpe")) throw new FormatException(type == "bpe" ? "a bpe tokenizer needs \"merges\"" : $"a {type} tokenizer has no \"merges\"");
        return type switch
        {
            "char" => new CharTokenizer(vocab, specials),
            "word" => new WordTokenizer(vocab, specials),
            _ => Bpe(vocab, Strings(root, "merges"), specials),
        };
    }

    private static BpeTokenizer Bpe(string[] vocab, string[] mergeLines, SpecialTokenSet specials)
    {
        var bytes = new byte[]?[vocab.Length];
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < vocab.Length; id++)
        {
            if (specials.TryGetText(id, out _)) continue;
            bytes[id] = ByteUnicode.Decode(vocab[id]) is { Length: > 0 } decoded ? decoded
                : throw new FormatException($"vocab[{id}] ('{vocab[id]}') is not a byte sequence in GPT-2's byte-to-character mapping");
            if (!ids.TryAdd(vocab[id], id)) throw new FormatException($"vocab[{id}] ('{vocab[id]}') repeats vocab[{ids[vocab[id]]}]");
        }
        var merges = new (int, int, int)[mergeLines.Length];
        for (int rank = 0; rank < mergeLines.Length; rank++)
        {
            string[] parts = mergeLines[rank].Split(' ');
            if (parts.Length != 2) throw new FormatException($"merges[{rank}] ('{mergeLines[rank]}') is not two tokens separated by one space");
            int Id(string token) => ids.TryGetValue(token, out int id) ? id : throw new FormatException($"merges[{rank}] names '{token}', which is not in the vocab");
            merges[rank] = (Id(parts[0]), Id(parts[1]), Id(parts[0] + parts[1]));
        }
        var made = new HashSet<int>(merges.Select(merge => merge.Item3));
        for (int id = 0; id < vocab.Length; id++)
        {
            if (bytes[id] is { Length: > 1 } && !made.Contains(id)) throw new FormatException($"vocab[{id}] ('{vocab[id]}') is made by no merge");
        }
        return new BpeTokenizer(bytes, merges, specials);
    }

    private static JsonElement Property(JsonElement element, string name, JsonValueKind kind) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == kind ? value
            : throw new FormatException($"\"{name}\" is missing or not a JSON {kind.ToString().ToLowerInvariant()}");

    private static string String(JsonElement element, string name) => Property(element, name, JsonValueKind.String).GetString()!;

    private static string[] Strings(JsonElement element, string name) =>
        [.. Property(element, name, JsonValueKind.Array).EnumerateArray().Select((value, i) =>
            value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new FormatException($"{name}[{i}] is not a string"))];
}
