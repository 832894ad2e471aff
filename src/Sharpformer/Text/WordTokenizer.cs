namespace Sharpformer.Text;

/// <summary>
/// Word-level tokenizer: pieces are words (letters, marks and digits) and single punctuation or symbol
/// characters, each with its leading space if any, plus the white space between them (see
/// <see cref="WordPreTokenizer"/>); <c>&lt;unk&gt;</c> for pieces outside the vocabulary. "the" and " the"
/// are distinct tokens, which is what lets seen text round-trip exactly.
/// </summary>
public sealed class WordTokenizer : PieceVocabularyTokenizer
{
    /// <summary>A tokenizer over <paramref name="tokens"/> (id = index; special ids hold their names).</summary>
    public WordTokenizer(IReadOnlyList<string> tokens, SpecialTokenSet specialTokens) : base(tokens, specialTokens)
    {
    }

    /// <inheritdoc/>
    public override string Type => "word";

    /// <summary>Learns the vocabulary: the most frequent pieces of <paramref name="texts"/>.</summary>
    public static WordTokenizer Train(IEnumerable<string> texts, TokenizerTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tokens = TrainVocabulary(texts, options, WordPreTokenizer.PieceEnd);
        return new WordTokenizer(tokens, SpecialTokenSet.Reserved(options.ExtraSpecialTokens));
    }

    private protected override int PieceEnd(ReadOnlySpan<char> text, int start) => WordPreTokenizer.PieceEnd(text, start);
}
