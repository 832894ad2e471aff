using System.Text.Json;

namespace Sharpformer.Generation;

/// <summary>
/// One text's translation with what went into it: the source, the tokens decoded from it, the tokens cut
/// because the model holds no more (0 when it fits), and the hypotheses, best first (none for an empty text).
/// </summary>
public sealed record TranslationResult(string Source, int SourceTokens, int TruncatedTokens, IReadOnlyList<Translation> Hypotheses)
{
    /// <summary>The best translation's text ("" for an empty source).</summary>
    public string Text => Hypotheses.Count > 0 ? Hypotheses[0].Text : "";

    /// <summary>
    /// Writes the result as one JSON object — <c>{"source", "source_tokens", "truncated_tokens", "translations": [{"text",
    /// "score", "tokens", "ended"}]}</c>, scores to 4 decimals — the shape of <c>sharpformer translate --json</c> and of the server.
    /// </summary>
    public void WriteJson(Utf8JsonWriter json)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteStartObject();
        json.WriteString("source", Source);
        json.WriteNumber("source_tokens", SourceTokens);
        json.WriteNumber("truncated_tokens", TruncatedTokens);
        json.WriteStartArray("translations");
        foreach (var hypothesis in Hypotheses)
        {
            json.WriteStartObject();
            json.WriteString("text", hypothesis.Text);
            json.WriteNumber("score", Math.Round(hypothesis.Score, 4));
            json.WriteNumber("tokens", hypothesis.Tokens.Length);
            json.WriteBoolean("ended", hypothesis.Ended);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
