namespace Sharpformer.Generation;

/// <summary>
/// One text's translation with what went into it: the source, the tokens decoded from it, the tokens cut
/// because the model holds no more (0 when it fits), and the hypotheses, best first (none for an empty text).
/// </summary>
public sealed record TranslationResult(string Source, int SourceTokens, int TruncatedTokens, IReadOnlyList<Translation> Hypotheses)
{
    /// <summary>The best translation's text ("" for an empty source).</summary>
    public string Text => Hypotheses.Count > 0 ? Hypotheses[0].Text : "";
}
