using System.Globalization;

namespace Sharpformer.Evaluation;

/// <summary>
/// Corpus BLEU (Papineni et al. 2002) computed as sacreBLEU 2.x does by default: 13a tokenization,
/// mixed case, n-grams 1–4 with counts clipped by the largest count in any one reference, matches
/// and totals summed over the corpus, exp smoothing, and the brevity penalty exp(1 − r/c) with r the
/// sum over segments of the reference length closest to the hypothesis length (ties: the shorter one).
/// BLEU = BP · exp(mean over orders of log pₙ), reported ×100.
/// </summary>
public static class Bleu
{
    /// <summary>
    /// Corpus BLEU of untokenized strings. <paramref name="referenceStreams"/> is sacreBLEU's layout:
    /// stream k holds the k-th reference of every hypothesis; a null or empty entry means that
    /// hypothesis has fewer references. Each string is right-stripped, optionally lowercased, then tokenized.
    /// </summary>
    public static BleuScore Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string?>> referenceStreams,
        BleuOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        options ??= BleuOptions.Default;
        var (perSegment, nrefs) = ReferenceSets.FromStreams(hypotheses.Count, referenceStreams);
        var hyps = hypotheses.Select(h => Tokenize(h, options)).ToList();
        var refs = perSegment.Select(rs => (IReadOnlyList<IReadOnlyList<string>>)rs.Select(r => Tokenize(r, options)).ToList()).ToList();
        string tok = options.Tokenizer == BleuTokenizer.Mteval13a ? "13a" : "none";
        return Score(hyps, refs, options, Signature(nrefs, options, tok));
    }

    /// <summary>
    /// BLEU of one hypothesis against its references; by default with sacreBLEU's
    /// <c>sentence_bleu</c> settings (<see cref="BleuOptions.SentenceDefault"/>: effective order on).
    /// </summary>
    public static BleuScore Sentence(string hypothesis, IReadOnlyList<string> references, BleuOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(references);
        var streams = references.Select(r => (IReadOnlyList<string?>)new[] { r }).ToList();
        return Corpus([hypothesis], streams, options ?? BleuOptions.SentenceDefault);
    }

    /// <summary>
    /// Corpus BLEU of pre-tokenized text, in NLTK's <c>corpus_bleu</c> layout:
    /// <paramref name="references"/>[i] is the list of reference token lists of hypothesis i. Tokens are
    /// compared as given (ordinal); <see cref="BleuOptions.Tokenizer"/> and <see cref="BleuOptions.Lowercase"/>
    /// are not applied.
    /// </summary>
    public static BleuScore CorpusFromTokens(
        IReadOnlyList<IReadOnlyList<string>> hypotheses,
        IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> references,
        BleuOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count != hypotheses.Count)
            throw new ArgumentException($"{references.Count} reference sets for {hypotheses.Count} hypotheses", nameof(references));
        options ??= BleuOptions.Default;
        var sizes = new HashSet<int>();
        for (int i = 0; i < references.Count; i++)
        {
            if (references[i].Count == 0) throw new ArgumentException($"hypothesis {i} has no reference", nameof(references));
            sizes.Add(references[i].Count);
        }
        string nrefs = sizes.Count == 1 ? sizes.First().ToString(CultureInfo.InvariantCulture) : sizes.Count == 0 ? "1" : "var";
        return Score(hypotheses, references, options, Signature(nrefs, options, "none"));
    }

    /// <summary>
    /// BLEU from corpus statistics (sacreBLEU's <c>compute_bleu</c>): clipped matches and totals per
    /// order, hypothesis length c and closest-reference length r.
    /// </summary>
    public static BleuScore FromStatistics(IReadOnlyList<long> counts, IReadOnlyList<long> totals, long sysLen, long refLen,
        BleuOptions? options = null, string signature = "")
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(totals);
        options ??= BleuOptions.Default;
        int orders = options.MaxNgramOrder;
        if (counts.Count != orders || totals.Count != orders)
            throw new ArgumentException($"BLEU: need {orders} counts and totals, got {counts.Count} and {totals.Count}");

        double bp = sysLen < refLen ? (sysLen > 0 ? Math.Exp(1 - (double)refLen / sysLen) : 0.0) : 1.0;
        var precisions = new double[orders];
        if (counts.All(c => c == 0))
            return new BleuScore(0.0, counts.ToArray(), totals.ToArray(), precisions, bp, sysLen, refLen, signature);

        double k = options.ResolvedSmoothValue;
        double mtevalFactor = 1;
        int effectiveOrder = orders;
        for (int n = 1; n <= orders; n++)
        {
            double correct = counts[n - 1], total = totals[n - 1];
            if (options.Smoothing == BleuSmoothing.AddK && n > 1) { correct += k; total += k; }
            if (total == 0) break;
            if (options.EffectiveOrder) effectiveOrder = n;
            if (correct == 0)
            {
                if (options.Smoothing == BleuSmoothing.Exp)
                {
                    mtevalFactor *= 2;
                    precisions[n - 1] = 100.0 / (mtevalFactor * total);
                }
                else if (options.Smoothing == BleuSmoothing.Floor)
                    precisions[n - 1] = 100.0 * k / total;
            }
            else precisions[n - 1] = 100.0 * correct / total;
        }

        double logSum = 0;
        for (int n = 0; n < effectiveOrder; n++) logSum += precisions[n] == 0 ? -9999999999.0 : Math.Log(precisions[n]);
        double score = bp * Math.Exp(logSum / effectiveOrder);
        return new BleuScore(score, counts.ToArray(), totals.ToArray(), precisions, bp, sysLen, refLen, signature);
    }

    private static List<string> Tokenize(string text, BleuOptions options)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (options.Lowercase) text = text.ToLowerInvariant();
        text = PythonText.RStrip(text);
        return options.Tokenizer == BleuTokenizer.Mteval13a ? Tokenizer13a.Tokens(text) : PythonText.Split(text);
    }

    private static BleuScore Score(
        IReadOnlyList<IReadOnlyList<string>> hypotheses,
        IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> references,
        BleuOptions options,
        string signature)
    {
        int orders = options.MaxNgramOrder;
        if (orders < 1) throw new ArgumentOutOfRangeException(nameof(options), "BLEU: MaxNgramOrder must be at least 1");
        var counts = new long[orders];
        var totals = new long[orders];
        long sysLen = 0, refLen = 0;
        var ids = new TokenIds();
        for (int i = 0; i < hypotheses.Count; i++)
        {
            int[] hyp = ids.Of(hypotheses[i]);
            var refs = references[i].Select(ids.Of).ToList();
            sysLen += hyp.Length;
            refLen += ClosestLength(hyp.Length, refs);
            for (int n = 1; n <= orders; n++)
            {
                var hypNgrams = NGramCounts.Of(hyp, n);
                var refNgrams = NGramCounts.Of(refs[0], n);
                for (int r = 1; r < refs.Count; r++) refNgrams.MaxWith(NGramCounts.Of(refs[r], n));
                counts[n - 1] += hypNgrams.ClippedMatches(refNgrams);
                totals[n - 1] += hypNgrams.Total;
            }
        }
        return FromStatistics(counts, totals, sysLen, refLen, options, signature);
    }

    /// <summary>The reference length closest to <paramref name="hypLength"/>, the shorter one on a tie.</summary>
    private static int ClosestLength(int hypLength, List<int[]> refs)
    {
        int best = refs[0].Length;
        foreach (var r in refs)
        {
            int d = Math.Abs(hypLength - r.Length), bestD = Math.Abs(hypLength - best);
            if (d < bestD || (d == bestD && r.Length < best)) best = r.Length;
        }
        return best;
    }

    private static string Signature(string nrefs, BleuOptions options, string tok)
    {
        string smooth = options.Smoothing switch
        {
            BleuSmoothing.None => "none",
            BleuSmoothing.Exp => "exp",
            BleuSmoothing.Floor => string.Create(CultureInfo.InvariantCulture, $"floor[{options.ResolvedSmoothValue:F2}]"),
            _ => string.Create(CultureInfo.InvariantCulture, $"add-k[{options.ResolvedSmoothValue:F2}]"),
        };
        string cased = options.Lowercase ? "lc" : "mixed";
        string eff = options.EffectiveOrder ? "yes" : "no";
        return $"nrefs:{nrefs}|case:{cased}|eff:{eff}|tok:{tok}|smooth:{smooth}|version:sharpformer";
    }
}
