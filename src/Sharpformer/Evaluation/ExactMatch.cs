namespace Sharpformer.Evaluation;

/// <summary>Exact match: the fraction of hypotheses equal to one of their references.</summary>
public static class ExactMatch
{
    /// <summary>
    /// The fraction of hypotheses that equal their reference after trimming whitespace at both ends
    /// (ordinal comparison); NaN for an empty corpus.
    /// </summary>
    public static double Fraction(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references)
    {
        ArgumentNullException.ThrowIfNull(references);
        return Fraction(hypotheses, [references]);
    }

    /// <summary>
    /// As <see cref="Fraction(IReadOnlyList{string}, IReadOnlyList{string})"/> with several references in
    /// sacreBLEU's stream layout: a hypothesis counts if it equals any of its (non-null) references.
    /// </summary>
    public static double Fraction(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string?>> referenceStreams)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(referenceStreams);
        foreach (var stream in referenceStreams)
            if (stream.Count != hypotheses.Count)
                throw new ArgumentException($"a reference stream has {stream.Count} segments, the hypotheses {hypotheses.Count}",
                    nameof(referenceStreams));
        if (hypotheses.Count == 0) return double.NaN;
        int matches = 0;
        for (int i = 0; i < hypotheses.Count; i++)
        {
            string hyp = hypotheses[i].Trim();
            if (referenceStreams.Any(s => s[i] is { } r && string.Equals(hyp, r.Trim(), StringComparison.Ordinal))) matches++;
        }
        return (double)matches / hypotheses.Count;
    }

    /// <summary>The fraction of token sequences equal, element by element, to their reference; NaN for none.</summary>
    public static double Fraction<T>(IReadOnlyList<IReadOnlyList<T>> hypotheses, IReadOnlyList<IReadOnlyList<T>> references)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count != hypotheses.Count)
            throw new ArgumentException($"{references.Count} references for {hypotheses.Count} hypotheses", nameof(references));
        if (hypotheses.Count == 0) return double.NaN;
        int matches = 0;
        for (int i = 0; i < hypotheses.Count; i++)
            if (hypotheses[i].SequenceEqual(references[i])) matches++;
        return (double)matches / hypotheses.Count;
    }
}
