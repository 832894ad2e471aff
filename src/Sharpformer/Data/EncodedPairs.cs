namespace Sharpformer.Data;

/// <summary>Text pairs turned into token-id pairs, with how many were cut to the maximum length.</summary>
public sealed record EncodedPairs(IReadOnlyList<SequencePair> Pairs, int Truncated)
{
    /// <summary>
    /// Encodes each side with <paramref name="encode"/> and cuts the source to <paramref name="maxLength"/>
    /// tokens and the target to maxLength − 1 (leaving room for eos); counts the pairs that were cut.
    /// </summary>
    public static EncodedPairs Encode(IEnumerable<(string Source, string Target)> pairs, Func<string, int[]> encode, int maxLength)
    {
        if (maxLength < 2) throw new ArgumentOutOfRangeException(nameof(maxLength), $"maximum length {maxLength} must be at least 2");
        var result = new List<SequencePair>();
        int truncated = 0;
        foreach (var (source, target) in pairs)
        {
            var s = encode(source);
            var t = encode(target);
            if (s.Length > maxLength || t.Length > maxLength - 1)
            {
                truncated++;
                s = s[..Math.Min(s.Length, maxLength)];
                t = t[..Math.Min(t.Length, maxLength - 1)];
            }
            result.Add(new SequencePair(s, t));
        }
        return new EncodedPairs(result, truncated);
    }
}
