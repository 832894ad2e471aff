using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sharpformer.IO;

namespace Sharpformer.Text;

/// <summary>
/// A byte-level BPE tokenizer in the schema of Hugging Face's <c>tokenizers</c> library (GPT-2's layout), so that
/// their libraries (Python, Rust, JavaScript) and <c>transformers</c> give the same ids as Sharpformer:
/// <code>
/// tokenizer.json
/// {
///   "version": "1.0", "truncation": null, "padding": null,
///   "added_tokens": [ { "id": 0, "content": "&lt;pad&gt;", "special": true, ... }, ... ],
///   "normalizer": null,
///   "pre_tokenizer": { "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true },
///   "post_processor": { "type": "ByteLevel", ... },
///   "decoder": { "type": "ByteLevel", ... },
///   "model": { "type": "BPE", "vocab": { "&lt;pad&gt;": 0, ..., "Ġthe": 301 }, "merges": [ "Ġ t", ... ], ... }
/// }
/// tokenizer_config.json
/// { "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "&lt;bos&gt;", ..., "clean_up_tokenization_spaces": false }
/// </code>
/// Special tokens are added tokens at their own ids. One difference remains: Hugging Face's libraries turn the
/// text of a special token ("&lt;eos&gt;") in the input into its id, where Sharpformer encodes it as ordinary text.
/// <see cref="ITokenizer.Load"/> reads this format too: any tokenizer.json of the same kind (byte-level
/// BPE with GPT-2's pre-tokenizer, no normalizer, special added tokens), such as GPT-2's own. A post-processor
/// (which adds special tokens around a sequence), truncation and padding are ignored, as Sharpformer adds
/// &lt;bos&gt; and &lt;eos&gt; itself; anything else that would change the ids is refused by name.
/// </summary>
public static class HuggingFaceTokenizerFile
{
    /// <summary>The configuration file that <c>transformers</c> reads next to tokenizer.json.</summary>
    public const string ConfigFile = "tokenizer_config.json";

    /// <summary>
    /// Writes tokenizer.json and tokenizer_config.json to <paramref name="directory"/> (created if needed,
    /// atomically per file) and returns their paths. <paramref name="modelMaxLength"/>, when given, is the longest
    /// sequence the model takes. Only byte-level BPE has an equivalent: a character or word tokenizer throws
    /// <see cref="NotSupportedException"/>, as does a vocabulary with an ordinary token written like a special one.
    /// </summary>
    public static IReadOnlyList<string> Write(ITokenizer tokenizer, string directory, int? modelMaxLength = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (tokenizer is not BpeTokenizer bpe)
            throw new NotSupportedException(
                $"only byte-level BPE tokenizers have a Hugging Face equivalent; this one is \"{tokenizer.Type}\"");
        string[] tokens = Tokens(bpe);
        Directory.CreateDirectory(directory);
        string tokenizerPath = Path.Combine(directory, "tokenizer.json"), configPath = Path.Combine(directory, ConfigFile);
        WriteJson(tokenizerPath, json => WriteTokenizer(json, bpe, tokens));
        WriteJson(configPath, json => WriteConfig(json, bpe.SpecialTokens, modelMaxLength));
        return [tokenizerPath, configPath];
    }

    // Each id's string: its bytes in GPT-2's byte-to-character form, or a special token's name; all distinct.
    private static string[] Tokens(BpeTokenizer bpe)
    {
        var tokens = new string[bpe.VocabSize];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < tokens.Length; id++)
        {
            tokens[id] = bpe.SpecialTokens.TryGetText(id, out string? name) ? name : ByteUnicode.Encode(bpe.TokenBytes(id));
            if (!seen.TryAdd(tokens[id], id))
                throw new NotSupportedException(
                    $"tokens {seen[tokens[id]]} and {id} are both written '{tokens[id]}' (an ordinary token spelt like a special " +
                    "one); the Hugging Face format keys tokens by their text");
        }
        return tokens;
    }

    private static void WriteTokenizer(Utf8JsonWriter json, BpeTokenizer bpe, string[] tokens)
    {
        json.WriteString("version", "1.0");
        json.WriteNull("truncation");
        json.WriteNull("padding");
        json.WriteStartArray("added_tokens");
        foreach (var special in bpe.SpecialTokens.All.OrderBy(token => token.Id))
        {
            json.WriteStartObject();
            json.WriteNumber("id", special.Id);
            WriteAddedToken(json, special.Text);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteNull("normalizer");
        WriteByteLevel(json, "pre_tokenizer", addPrefixSpace: false, trimOffsets: true);
        WriteByteLevel(json, "post_processor", addPrefixSpace: true, trimOffsets: false);
        WriteByteLevel(json, "decoder", addPrefixSpace: true, trimOffsets: true);
        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteNull("dropout");
        json.WriteNull("unk_token");
        json.WriteString("continuing_subword_prefix", "");
        json.WriteString("end_of_word_suffix", "");
        json.WriteBoolean("fuse_unk", false);
        json.WriteBoolean("byte_fallback", false);
        json.WriteBoolean("ignore_merges", false);
        json.WriteStartObject("vocab");
        for (int id = 0; id < tokens.Length; id++) json.WriteNumber(tokens[id], id);
        json.WriteEndObject();
        json.WriteStartArray("merges");
        foreach (var (left, right) in bpe.Merges) json.WriteStringValue($"{tokens[left]} {tokens[right]}");
        json.WriteEndArray();
        json.WriteEndObject();
    }

    // ByteLevel's fields (the pre-tokenizer, post-processor and decoder share one type); only use_regex and, for
    // the pre-tokenizer, add_prefix_space change ids.
    private static void WriteByteLevel(Utf8JsonWriter json, string name, bool addPrefixSpace, bool trimOffsets)
    {
        json.WriteStartObject(name);
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", addPrefixSpace);
        json.WriteBoolean("trim_offsets", trimOffsets);
        json.WriteBoolean("use_regex", true);
        json.WriteEndObject();
    }

    private static void WriteAddedToken(Utf8JsonWriter json, string content)
    {
        json.WriteString("content", content);
        json.WriteBoolean("single_word", false);
        json.WriteBoolean("lstrip", false);
        json.WriteBoolean("rstrip", false);
        json.WriteBoolean("normalized", false);
        json.WriteBoolean("special", true);
    }

    private static void WriteConfig(Utf8JsonWriter json, SpecialTokenSet specials, int? modelMaxLength)
    {
        json.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
        foreach (var (role, id) in new[] { ("bos_token", specials.Bos), ("eos_token", specials.Eos), ("pad_token", specials.Pad),
                     ("unk_token", specials.Unk) })
        {
            if (id is int known && specials.TryGetText(known, out string? name)) json.WriteString(role, name);
        }
        if (modelMaxLength is int length) json.WriteNumber("model_max_length", length);
        json.WriteBoolean("add_prefix_space", false);
        json.WriteBoolean("clean_up_tokenization_spaces", false);
        json.WriteStartObject("added_tokens_decoder");
        foreach (var special in specials.All.OrderBy(token => token.Id))
        {
            json.WriteStartObject(special.Id.ToString(CultureInfo.InvariantCulture));
            WriteAddedToken(json, special.Text);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private static void WriteJson(string path, Action<Utf8JsonWriter> body) => AtomicFile.Write(path, stream =>
    {
        using var json = new Utf8JsonWriter(stream,
            new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        body(json);
        json.WriteEndObject();
        json.Flush();
        stream.WriteByte((byte)'\n');
    });

    /// <summary>Whether a tokenizer.json's top level is in this schema rather than Sharpformer's own.</summary>
    internal static bool Recognises(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("model", out _) && !root.TryGetProperty("format", out _);

    private const int MaxEntries = NN.TransformerConfig.MaxVocab, MaxAddedTokens = 1024;

    /// <summary>Reads a tokenizer.json of this schema (see the summary for what is accepted).</summary>
    internal static BpeTokenizer Read(JsonFields root)
    {
        RequireNull(root, "normalizer", "text normalisation");
        var preTokenizer = ByteLevel(root, "pre_tokenizer");
        if (preTokenizer.Bool("add_prefix_space", false))
            throw root.Error("\"pre_tokenizer.add_prefix_space\" is true; Sharpformer's byte-level BPE adds no space before the text");
        if (!root.IsNull("decoder")) ByteLevel(root, "decoder");
        var model = root.Object("model");
        string type = model.String("type", "BPE");
        if (type != "BPE") throw root.Error($"\"model.type\" is {Quote(type)}; only \"BPE\" (byte-level) is supported");
        RequireNull(model, "dropout", "BPE dropout");
        if (model.Bool("byte_fallback", false)) throw root.Error("\"model.byte_fallback\" is not supported (byte-level BPE needs none)");
        if (model.Bool("ignore_merges", false))
            throw root.Error("\"model.ignore_merges\" is true (whole words looked up before merging); not supported");
        foreach (string affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (!model.IsNull(affix) && model.String(affix) != "")
                throw root.Error($"\"model.{affix}\" is not empty; byte-level BPE has no such marks");
        }
        var specials = AddedTokens(root);
        string[] tokens = TokensById(root, model.IntMap("vocab", MaxEntries), specials);
        return TokenizerFile.BpeFromStrings(root, tokens, Merges(model), specials, everyTokenMerged: false,
            id => $"model.vocab entry {Quote(tokens[id])} (id {id})");
    }

    private static JsonFields ByteLevel(JsonFields root, string name)
    {
        if (root.IsNull(name)) throw root.Error($"\"{name}\" is null; Sharpformer's BPE needs GPT-2's ByteLevel {name.Replace('_', '-')}");
        var part = root.Object(name);
        string type = part.String("type");
        if (type != "ByteLevel")
            throw root.Error($"\"{name}.type\" is {Quote(type)}; only GPT-2's \"ByteLevel\" is supported");
        if (!part.Bool("use_regex", true)) throw root.Error($"\"{name}.use_regex\" is false; GPT-2's splitting pattern is required");
        return part;
    }

    private static void RequireNull(JsonFields fields, string name, string what)
    {
        if (!fields.IsNull(name)) throw fields.Error($"\"{name}\" is set; {what} is not supported");
    }

    private static SpecialTokenSet AddedTokens(JsonFields root)
    {
        if (root.IsNull("added_tokens")) return new SpecialTokenSet([]);
        var tokens = root.Array("added_tokens", MaxAddedTokens).Select((element, i) =>
        {
            var token = root.Element(element, $"added_tokens[{i}]");
            var special = new SpecialToken(token.String("content"), token.Int("id"));
            if (!token.Bool("special", false))
                throw root.Error(
                    $"added token {Quote(special.Text)} is not special: added tokens that split ordinary text are not supported");
            return special;
        });
        try
        {
            return new SpecialTokenSet(tokens);
        }
        catch (ArgumentException e)
        {
            throw root.Error($"\"added_tokens\": {e.Message}");
        }
    }

    // The vocab as an array by id: each id from 0 up to the largest belongs to exactly one token or special token.
    private static string[] TokensById(JsonFields root, (string Key, int Value)[] vocab, SpecialTokenSet specials)
    {
        List<(string Text, int Id)> entries = [.. vocab, .. specials.All.Select(token => (token.Text, token.Id))];
        foreach (var (text, id) in entries)
        {
            if (id is < 0 or >= MaxEntries)
                throw root.Error($"token {Quote(text)} has id {id}, outside 0 to {MaxEntries - 1:N0} (a model's largest vocabulary)");
        }
        int size = entries.Select(entry => entry.Id + 1).DefaultIfEmpty(0).Max();
        var tokens = new string?[size];
        foreach (var (text, id) in vocab)
        {
            if (tokens[id] is { } other) throw root.Error($"model.vocab gives id {id} to both {Quote(other)} and {Quote(text)}");
            tokens[id] = text;
        }
        foreach (var special in specials.All)
        {
            if (tokens[special.Id] is { } text && text != special.Text)
                throw root.Error($"special token {Quote(special.Text)} has id {special.Id}, which model.vocab gives to {Quote(text)}");
            tokens[special.Id] = special.Text;
        }
        int missing = Array.IndexOf(tokens, null);
        return missing < 0 ? [.. tokens.Select(token => token!)]
            : throw root.Error($"no token has id {missing} (ids must run from 0 to {size - 1} without a gap)");
    }

    // "left right" (a space never occurs inside a byte-level token) or ["left", "right"].
    private static (string, string)[] Merges(JsonFields model) => [.. model.Array("merges", MaxEntries).Select((element, rank) =>
    {
        string?[] parts = element.ValueKind == JsonValueKind.Array && element.GetArrayLength() == 2
            ? element.EnumerateArray().Select(item => Text(item)).ToArray()
            : Text(element)?.Split(' ') ?? [];
        return parts.Length == 2 && parts[0] is { } left && parts[1] is { } right ? (left, right)
            : throw model.Error($"model.merges[{rank}] is not two tokens (\"left right\" or [\"left\", \"right\"])");
    })];

    // A string's text; null for another kind of value or for invalid Unicode (an unpaired surrogate escape).
    private static string? Text(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.String) return null;
        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string Quote(string text) => InvalidFileException.Quote(text, 40);
}
