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
            using var json = new Utf8JsonWriter(stream,
                new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
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

    /// <summary>The largest tokenizer file read (a 1M-token vocabulary with its merges is about 40 MB).</summary>
    private const long MaxBytes = 64L << 20;

    /// <summary>Most entries of "vocab" and of "merges" (the largest vocabulary a model accepts), and of "special_tokens".</summary>
    private const int MaxEntries = NN.TransformerConfig.MaxVocab, MaxSpecialTokens = 1024;

    /// <summary>Reads and validates the file; every problem is an <see cref="InvalidFileException"/> naming the file.</summary>
    public static ITokenizer Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Parse(FileBytes.Read(path, MaxBytes), path);
    }

    /// <summary>Parses and validates tokenizer.json content; <paramref name="path"/> names it in errors.</summary>
    public static ITokenizer Parse(ReadOnlyMemory<byte> utf8, string path)
    {
        using var document = JsonFields.Parse(utf8, path);
        var json = new JsonFields(document.RootElement, path);
        try
        {
            return HuggingFaceTokenizerFile.Recognises(document.RootElement) ? HuggingFaceTokenizerFile.Read(json) : FromJson(json);
        }
        catch (ArgumentException e)
        {
            throw new InvalidFileException(path, e.Message, e);
        }
    }

    private static ITokenizer FromJson(JsonFields root)
    {
        if (root.String("format") != FormatName) throw root.Error($"\"format\" is not \"{FormatName}\"");
        if (root.Int("version") != Version) throw root.Error($"unsupported \"version\" (this build reads version {Version})");
        string type = root.String("type");
        if (!TokenizerTrainer.Types.Contains(type))
            throw root.Error(
                $"unknown \"type\" {InvalidFileException.Quote(type, 20)} (expected {string.Join(", ", TokenizerTrainer.Types)})");
        var specials = new SpecialTokenSet(root.Array("special_tokens", MaxSpecialTokens).Select((element, i) =>
        {
            var token = root.Element(element, $"special_tokens[{i}]");
            var special = new SpecialToken(token.String("text"), token.Int("id"));
            token.RejectOthers();
            return special;
        }));
        string[] vocab = root.Strings("vocab", MaxEntries);
        foreach (var special in specials.All)
        {
            if (special.Id >= vocab.Length)
                throw root.Error($"special token {Quote(special.Text)} has id {special.Id}, outside the vocab of {vocab.Length}");
            if (vocab[special.Id] != special.Text)
                throw root.Error($"vocab[{special.Id}] is {Quote(vocab[special.Id])}, not the special token {Quote(special.Text)}");
        }
        bool hasMerges = root.Has("merges");
        if (hasMerges != (type == "bpe"))
            throw root.Error(type == "bpe" ? "a bpe tokenizer needs \"merges\"" : $"a {type} tokenizer has no \"merges\"");
        string[]? merges = hasMerges ? root.Strings("merges", MaxEntries) : null;
        root.RejectOthers();
        return type switch
        {
            "char" => new CharTokenizer(vocab, specials),
            "word" => new WordTokenizer(vocab, specials),
            _ => Bpe(root, vocab, merges!, specials),
        };
    }

    private static BpeTokenizer Bpe(JsonFields root, string[] vocab, string[] mergeLines, SpecialTokenSet specials)
    {
        var merges = new (string, string)[mergeLines.Length];
        for (int rank = 0; rank < mergeLines.Length; rank++)
        {
            string[] parts = mergeLines[rank].Split(' ');
            merges[rank] = parts.Length == 2 ? (parts[0], parts[1])
                : throw root.Error($"merges[{rank}] ({Quote(mergeLines[rank])}) is not two tokens separated by one space");
        }
        return BpeFromStrings(root, vocab, merges, specials, everyTokenMerged: true, id => $"vocab[{id}]");
    }

    /// <summary>
    /// A byte-level BPE tokenizer from the strings both file formats hold: <paramref name="tokens"/> by id in GPT-2's
    /// byte-to-character form (special ids are skipped) and the merges in rank order as pairs of tokens.
    /// <paramref name="everyTokenMerged"/>: each token of several bytes must be made by a merge;
    /// <paramref name="name"/> names a token's entry in errors.
    /// </summary>
    internal static BpeTokenizer BpeFromStrings(JsonFields root, string[] tokens, IReadOnlyList<(string Left, string Right)> merges,
        SpecialTokenSet specials, bool everyTokenMerged, Func<int, string> name)
    {
        var bytes = new byte[]?[tokens.Length];
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < tokens.Length; id++)
        {
            if (specials.TryGetText(id, out _)) continue;
            bytes[id] = ByteUnicode.Decode(tokens[id]) is { Length: > 0 } decoded ? decoded
                : throw root.Error($"{name(id)} ({Quote(tokens[id])}) is not a byte sequence in GPT-2's byte-to-character mapping");
            if (!ids.TryAdd(tokens[id], id)) throw root.Error($"{name(id)} ({Quote(tokens[id])}) repeats {name(ids[tokens[id]])}");
        }
        var triples = new (int, int, int)[merges.Count];
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            int Id(string token) => ids.TryGetValue(token, out int id) ? id
                : throw root.Error($"merges[{rank}] names {Quote(token)}, which is not in the vocab");
            triples[rank] = (Id(left), Id(right), Id(left + right));
        }
        if (everyTokenMerged)
        {
            var made = new HashSet<int>(triples.Select(merge => merge.Item3));
            for (int id = 0; id < tokens.Length; id++)
            {
                if (bytes[id] is { Length: > 1 } && !made.Contains(id))
                    throw root.Error($"{name(id)} ({Quote(tokens[id])}) is made by no merge");
            }
        }
        return new BpeTokenizer(bytes, triples, specials);
    }

    private static string Quote(string text) => InvalidFileException.Quote(text, 40);
}
