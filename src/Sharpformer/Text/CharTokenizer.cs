namespace Sharpformer.Text;

/// <summary>
/// Character-level tokenizer: one token per Unicode scalar value (a surrogate pair is one character),
/// <c>&lt;unk&gt;</c> for characters outside the vocabulary.
/// </summary>
public sealed class CharTokenizer : PieceVocabularyTokenizer
{
    /// <summary>A tokenizer over <paramref name="tokens"/> (id = index; each one character, special ids hold their names).</summary>
    public CharTokenizer(IReadOnlyList<string> tokens, SpecialTokenSet specialTokens) : base(tokens, specialTokens)
    {
        for (int id = 0; id < tokens.Count; id++)
        {
            if (specialTokens.TryGetText(id, out _)) continue;
            if (CharEnd(tokens[id], 0) != tokens[id].Length)
                throw new ArgumentException($"token {id} ('{tokens[id]}') is not a single character");
        }
    }

    /// <inheritdoc/>
    public override string Type => "char";

    /// <summary>Learns the vocabulary: the most frequent characters of <paramref name="texts"/>.</summary>
    public static CharTokenizer Train(IEnumerable<string> texts, TokenizerTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tokens = TrainVocabulary(texts, options, CharEnd);
        return new CharTokenizer(tokens, SpecialTokenSet.Reserved(options.ExtraSpecialTokens));
    }

    private protected override int PieceEnd(ReadOnlySpan<char> text, int start) => CharEnd(text, start);

    private static int CharEnd(ReadOnlySpan<char> text, int start) =>
        char.IsHighSurrogate(text[start]) && start + 1 < text.Length && char.IsLowSurrogate(text[start + 1]) ? start + 2 : start + 1;
}
