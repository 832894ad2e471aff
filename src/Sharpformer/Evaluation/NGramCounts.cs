namespace Sharpformer.Evaluation;

/// <summary>
/// Counts of the n-grams of one order over a sequence of integer symbols (token ids or code points),
/// keyed by the n-gram itself, so that matching is exact (no hashing of joined strings).
/// </summary>
internal sealed class NGramCounts
{
    private readonly Dictionary<ArraySegment<int>, int> _counts = new(SegmentComparer.Instance);

    /// <summary>The number of n-grams counted, with repeats (len − n + 1, or 0 if shorter than n).</summary>
    public int Total { get; private set; }

    /// <summary>The distinct n-grams and their counts.</summary>
    public IEnumerable<KeyValuePair<ArraySegment<int>, int>> Entries => _counts;

    /// <summary>True when no n-gram was counted.</summary>
    public bool IsEmpty => _counts.Count == 0;

    /// <summary>Counts every n-gram of order <paramref name="n"/> in <paramref name="symbols"/>.</summary>
    public static NGramCounts Of(int[] symbols, int n)
    {
        var counts = new NGramCounts();
        for (int i = 0; i + n <= symbols.Length; i++) counts.Add(new ArraySegment<int>(symbols, i, n), 1);
        return counts;
    }

    /// <summary>How often <paramref name="ngram"/> was counted (0 if never).</summary>
    public int this[ArraySegment<int> ngram] => _counts.GetValueOrDefault(ngram);

    /// <summary>Keeps, for each n-gram, the larger of its count here and in <paramref name="other"/>.</summary>
    public void MaxWith(NGramCounts other)
    {
        foreach (var (ngram, count) in other._counts)
            if (count > _counts.GetValueOrDefault(ngram)) _counts[ngram] = count;
    }

    /// <summary>Σ over n-grams here of min(count here, count in <paramref name="reference"/>): clipped matches.</summary>
    public int ClippedMatches(NGramCounts reference)
    {
        int matches = 0;
        foreach (var (ngram, count) in _counts) matches += Math.Min(count, reference[ngram]);
        return matches;
    }

    private void Add(ArraySegment<int> ngram, int count)
    {
        _counts[ngram] = _counts.GetValueOrDefault(ngram) + count;
        Total += count;
    }

    private sealed class SegmentComparer : IEqualityComparer<ArraySegment<int>>
    {
        public static readonly SegmentComparer Instance = new();

        public bool Equals(ArraySegment<int> a, ArraySegment<int> b) => a.AsSpan().SequenceEqual(b.AsSpan());

        public int GetHashCode(ArraySegment<int> s)
        {
            var hash = new HashCode();
            foreach (int v in s.AsSpan()) hash.Add(v);
            return hash.ToHashCode();
        }
    }
}

/// <summary>Maps tokens to small integer ids so that word n-grams can be counted by <see cref="NGramCounts"/>.</summary>
internal sealed class TokenIds
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    /// <summary>The ids of <paramref name="tokens"/>, new tokens getting the next free id.</summary>
    public int[] Of(IReadOnlyList<string> tokens)
    {
        var ids = new int[tokens.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            if (!_ids.TryGetValue(tokens[i], out int id)) _ids[tokens[i]] = id = _ids.Count;
            ids[i] = id;
        }
        return ids;
    }
}
