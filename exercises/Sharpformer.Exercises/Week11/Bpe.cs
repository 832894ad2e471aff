namespace Sharpformer.Exercises.Week11;

/// <summary>
/// Week 11: byte-pair encoding (docs/11). Words here are lowercase ASCII letters, so characters and bytes are the same.
/// </summary>
public static class Bpe
{
    /// <summary>
    /// Learns up to <paramref name="count"/> merges from <paramref name="words"/> (a word appears once per occurrence),
    /// starting from single characters: count every adjacent pair of symbols over all words, merge the most frequent
    /// pair everywhere, and repeat; stop early when no pair occurs at least twice. Ties go to the pair whose left symbol
    /// is first, then whose right symbol is first, in this order: single characters by character code, then merged
    /// symbols in the order they were made.
    /// </summary>
    public static IReadOnlyList<(string Left, string Right)> LearnMerges(IReadOnlyList<string> words, int count) =>
        throw new NotImplementedException("Week 11: write LearnMerges (docs/11-data.md)");

    /// <summary>
    /// Splits <paramref name="word"/> into symbols with <paramref name="merges"/> (in the order learned): start from its
    /// characters and repeatedly apply, wherever it occurs, the merge learned earliest among the adjacent pairs, until
    /// no merge applies.
    /// </summary>
    public static string[] Encode(string word, IReadOnlyList<(string Left, string Right)> merges) =>
        throw new NotImplementedException("Week 11: write Encode (docs/11-data.md)");
}
