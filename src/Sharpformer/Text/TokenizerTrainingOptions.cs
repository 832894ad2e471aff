namespace Sharpformer.Text;

/// <summary>Settings shared by the three tokenizer trainers.</summary>
public sealed record TokenizerTrainingOptions
{
    /// <summary>Most ids in the vocabulary, special tokens included (BPE: the 256 byte tokens too).</summary>
    public int VocabSize { get; init; } = 8000;

    /// <summary>
    /// Fewest occurrences for a character or word to enter the vocabulary, or for a BPE pair to be merged
    /// (BPE training stops early when no pair is that frequent).
    /// </summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>
    /// Special tokens beyond the reserved <c>&lt;pad&gt; &lt;bos&gt; &lt;eos&gt; &lt;unk&gt;</c>, which every
    /// Sharpformer vocabulary starts with; these take the ids after them.
    /// </summary>
    public IReadOnlyList<string> ExtraSpecialTokens { get; init; } = [];

    /// <summary>Checks the settings and returns the special tokens, numbered from 0.</summary>
    internal SpecialTokenSet Validate(int minimumVocab)
    {
        var specials = SpecialTokenSet.Reserved(ExtraSpecialTokens);
        int needed = minimumVocab + ExtraSpecialTokens.Count;
        if (VocabSize < needed) throw new ArgumentException($"vocabulary size {VocabSize} is too small: it must be at least {needed}");
        if (MinFrequency < 1) throw new ArgumentException($"minimum frequency must be at least 1, not {MinFrequency}");
        return specials;
    }
}
