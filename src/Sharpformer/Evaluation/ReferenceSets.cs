namespace Sharpformer.Evaluation;

/// <summary>
/// sacreBLEU's reference layout: a list of reference <em>streams</em>, stream k holding the k-th
/// reference of every segment. A null or empty reference is absent for that segment (a variable
/// number of references, signature <c>nrefs:var</c>); a segment left with none is an error.
/// </summary>
internal static class ReferenceSets
{
    /// <summary>The references of each segment, and the signature's <c>nrefs</c> value.</summary>
    public static (List<List<string>> PerSegment, string NRefs) FromStreams(int segments, IReadOnlyList<IReadOnlyList<string?>> streams)
    {
        ArgumentNullException.ThrowIfNull(streams);
        if (streams.Count == 0) throw new ArgumentException("at least one reference stream is needed", nameof(streams));
        for (int k = 0; k < streams.Count; k++)
            if (streams[k].Count != segments)
                throw new ArgumentException($"reference stream {k} has {streams[k].Count} segments, the hypotheses {segments}",
                    nameof(streams));
        var perSegment = new List<List<string>>(segments);
        var sizes = new HashSet<int>();
        for (int i = 0; i < segments; i++)
        {
            var refs = new List<string>(streams.Count);
            foreach (var stream in streams)
                if (!string.IsNullOrEmpty(stream[i])) refs.Add(stream[i]!);
            if (refs.Count == 0) throw new ArgumentException($"segment {i} has no non-empty reference", nameof(streams));
            sizes.Add(refs.Count);
            perSegment.Add(refs);
        }
        string nrefs = sizes.Count == 1 ? sizes.First().ToString(System.Globalization.CultureInfo.InvariantCulture)
            : sizes.Count == 0 ? streams.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) : "var";
        return (perSegment, nrefs);
    }
}
