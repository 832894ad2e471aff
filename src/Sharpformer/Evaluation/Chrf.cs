namespace Sharpformer.Evaluation;

/// <summary>
/// chrF (Popović 2015) and chrF++ (Popović 2017) as sacreBLEU 2.x computes them. Per segment and per
/// order (character orders 1..6 on the text with whitespace removed, then word orders 1..WordOrder on
/// words with one leading or trailing punctuation mark split off) it counts hypothesis n-grams,
/// reference n-grams and clipped matches; with several references it keeps the statistics of the
/// reference with the best segment F-score. The corpus score sums the statistics over segments, then
/// averages precision and recall over the orders for which both sides have n-grams, and returns
/// F_β = (1 + β²)·P·R / (β²·P + R), ×100.
/// </summary>
public static class Chrf
{
    private const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /// <summary>
    /// Corpus chrF. <paramref name="referenceStreams"/> is sacreBLEU's layout: stream k holds the k-th
    /// reference of every hypothesis (a null or empty entry: that hypothesis has fewer references).
    /// </summary>
    public static ChrfScore Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string?>> referenceStreams,
        ChrfOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        options ??= ChrfOptions.Default;
        if (options.CharOrder < 0 || options.WordOrder < 0 || options.CharOrder + options.WordOrder == 0)
            throw new ArgumentOutOfRangeException(nameof(options), "chrF: orders must be non-negative and not both zero");
        var (perSegment, nrefs) = ReferenceSets.FromStreams(hypotheses.Count, referenceStreams);
        var sums = new long[3 * (options.CharOrder + options.WordOrder)];
        var ids = new TokenIds();
        for (int i = 0; i < hypotheses.Count; i++)
        {
            var hyp = NGrams(hypotheses[i], options, ids);
            long[]? best = null;
            double bestF = -1;
            foreach (var reference in perSegment[i])
            {
                var stats = Statistics(hyp, NGrams(reference, options, ids));
                double f = FScore(stats, options);
                if (f > bestF) { bestF = f; best = stats; }
            }
            for (int j = 0; j < sums.Length; j++) sums[j] += best![j];
        }
        return new ChrfScore(FScore(sums, options), Name(options), Signature(nrefs, options));
    }

    /// <summary>chrF of one hypothesis against its references (the best reference's statistics).</summary>
    public static ChrfScore Sentence(string hypothesis, IReadOnlyList<string> references, ChrfOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(references);
        return Corpus([hypothesis], references.Select(r => (IReadOnlyList<string?>)new[] { r }).ToList(), options);
    }

    /// <summary>
    /// The score from statistics laid out as sacreBLEU's: for each order (characters, then words)
    /// the triple [hypothesis n-grams, reference n-grams, matches].
    /// </summary>
    public static double FScore(IReadOnlyList<long> statistics, ChrfOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        options ??= ChrfOptions.Default;
        int orders = options.CharOrder + options.WordOrder;
        if (statistics.Count != 3 * orders)
            throw new ArgumentException($"chrF: need {3 * orders} statistics, got {statistics.Count}", nameof(statistics));
        const double eps = 1e-16;
        double factor = (double)options.Beta * options.Beta;
        double epsSum = 0, precisionSum = 0, recallSum = 0;
        int effectiveOrder = 0;
        for (int o = 0; o < orders; o++)
        {
            long hyp = statistics[3 * o], reference = statistics[3 * o + 1], matches = statistics[3 * o + 2];
            double precision = hyp > 0 ? (double)matches / hyp : eps;
            double recall = reference > 0 ? (double)matches / reference : eps;
            double denominator = factor * precision + recall;
            epsSum += denominator > 0 ? (1 + factor) * precision * recall / denominator : eps;
            if (hyp > 0 && reference > 0)
            {
                precisionSum += precision;
                recallSum += recall;
                effectiveOrder++;
            }
        }
        if (options.EpsSmoothing) return 100 * epsSum / orders;
        if (effectiveOrder == 0) return 0;
        double p = precisionSum / effectiveOrder, r = recallSum / effectiveOrder;
        return p + r == 0 ? 0 : 100 * (1 + factor) * p * r / (factor * p + r);
    }

    /// <summary>The n-gram counts of one segment: character orders first, then word orders.</summary>
    private static List<NGramCounts> NGrams(string text, ChrfOptions options, TokenIds ids)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (options.Lowercase) text = text.ToLowerInvariant();
        var all = new List<NGramCounts>(options.CharOrder + options.WordOrder);
        int[] chars = PythonText.CodePoints(options.Whitespace ? text : PythonText.RemoveSpaces(text));
        for (int n = 1; n <= options.CharOrder; n++) all.Add(NGramCounts.Of(chars, n));
        if (options.WordOrder > 0)
        {
            int[] words = ids.Of(SplitPunctuation(text));
            for (int n = 1; n <= options.WordOrder; n++) all.Add(NGramCounts.Of(words, n));
        }
        return all;
    }

    /// <summary>[hyp, ref, matches] per order; hypothesis n-grams count only where the reference has some.</summary>
    private static long[] Statistics(List<NGramCounts> hyp, List<NGramCounts> reference)
    {
        var stats = new long[3 * hyp.Count];
        for (int o = 0; o < hyp.Count; o++)
        {
            stats[3 * o] = reference[o].IsEmpty ? 0 : hyp[o].Total;
            stats[3 * o + 1] = reference[o].Total;
            stats[3 * o + 2] = hyp[o].ClippedMatches(reference[o]);
        }
        return stats;
    }

    /// <summary>
    /// chrF++'s word split: whitespace-separated words, a word longer than one character losing one
    /// trailing punctuation mark, or else one leading one, as a token of its own.
    /// </summary>
    internal static List<string> SplitPunctuation(string text)
    {
        var tokens = new List<string>();
        foreach (string w in PythonText.Split(text))
        {
            // Python indexes by code point: a word of one surrogate pair is one character.
            int[] points = PythonText.CodePoints(w);
            if (points.Length == 1) { tokens.Add(w); continue; }
            char last = w[^1], first = w[0];
            if (Punctuation.Contains(last, StringComparison.Ordinal)) { tokens.Add(w[..^1]); tokens.Add(last.ToString()); }
            else if (Punctuation.Contains(first, StringComparison.Ordinal)) { tokens.Add(first.ToString()); tokens.Add(w[1..]); }
            else tokens.Add(w);
        }
        return tokens;
    }

    private static string Name(ChrfOptions options) => $"chrF{options.Beta}" + new string('+', options.WordOrder);

    private static string Signature(string nrefs, ChrfOptions options) =>
        $"nrefs:{nrefs}|case:{(options.Lowercase ? "lc" : "mixed")}|eff:{(options.EpsSmoothing ? "no" : "yes")}" +
        $"|nc:{options.CharOrder}|nw:{options.WordOrder}|space:{(options.Whitespace ? "yes" : "no")}|version:sharpformer";
}
