using Sharpformer.Evaluation;

namespace Sharpformer.Tests.Evaluation;

/// <summary>chrF and chrF++: sacreBLEU's published values and small cases worked out by hand.</summary>
public class ChrfTests
{
    private static readonly ChrfOptions Beta3 = new() { Beta = 3 };

    [Fact]
    public void ReadmeExampleMatchesSacreBleu()
    {
        // sacreBLEU README: CHRF().corpus_score(sys, refs) → "chrF2 = 59.73" (two reference streams).
        string[] hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];
        string?[] refsA = ["The dog bit the man.", "It was not unexpected.", "The man bit him first."];
        string?[] refsB = ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."];
        var score = Chrf.Corpus(hyps, [refsA, refsB]);
        Assert.Equal(59.73, score.Score, 0.005);
        Assert.Equal("chrF2 = 59.73", score.ToString());
        Assert.Equal("nrefs:2|case:mixed|eff:yes|nc:6|nw:0|space:no|version:sharpformer", score.Signature);
    }

    [Theory]
    // sacreBLEU test suite, default (effective-order) averaging, β = 3.
    [InlineData(new[] { "a" }, new[] { "a" }, 100.0)]
    [InlineData(new[] { "" }, new[] { "reference" }, 0.0)]
    [InlineData(new[] { "a b c" }, new[] { "a b c" }, 100.0)]
    [InlineData(new[] { "a b c" }, new[] { "abc" }, 100.0)]
    [InlineData(new[] { "" }, new[] { "c" }, 0.0)]
    [InlineData(new[] { "a", "b" }, new[] { "a", "c" }, 50.0)]
    [InlineData(new[] { "aa" }, new[] { "ab" }, 25.0)]
    public void EffectiveOrderValues(string[] hyps, string[] refs, double expected) =>
        Assert.Equal(expected, Chrf.Corpus(hyps, [refs], Beta3).Score, 1e-4);

    [Theory]
    // sacreBLEU test suite, ε-smoothing (chrF++.py / NLTK style), β = 3.
    [InlineData("abcdefg", "hijklmnop", 0.0)]
    [InlineData("a", "b", 0.0)]
    [InlineData("", "b", 0.0)]
    [InlineData("aa", "ab", 8.3333)]
    [InlineData("a", "a", 16.6667)]
    [InlineData("a b c", "a b c", 50.0)]
    [InlineData("a b c", "abc", 50.0)]
    [InlineData(" risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .",
        "risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .", 63.361730)]
    [InlineData(" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. ",
        "Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.", 64.1302698)]
    [InlineData("Niemand hat die Absicht, eine Mauer zu errichten", "Niemand hat die Absicht, eine Mauer zu errichten", 100.0)]
    public void EpsSmoothingValues(string hyp, string reference, double expected) =>
        Assert.Equal(expected, Chrf.Corpus([hyp], [[reference]], Beta3 with { EpsSmoothing = true }).Score, 1e-4);

    [Theory]
    // sacreBLEU test suite, sentence_chrf with ε-smoothing, default β = 2.
    [InlineData("Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.",
        "Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.", 39.14078509)]
    [InlineData("Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.",
        "A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.", 31.22557079)]
    [InlineData("Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.",
        "Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.", 57.15704367)]
    public void SentenceEpsSmoothingValues(string hyp, string reference, double expected) =>
        Assert.Equal(expected, Chrf.Sentence(hyp, [reference], new ChrfOptions { EpsSmoothing = true }).Score, 1e-4);

    [Theory]
    // sacreBLEU test suite, whitespace kept in character n-grams, β = 3.
    [InlineData("Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.",
        "Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.", 67.3481606)]
    [InlineData("risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .",
        "risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .", 65.2414427)]
    public void KeepWhitespaceValues(string hyp, string reference, double expected) =>
        Assert.Equal(expected, Chrf.Corpus([hyp], [[reference]], Beta3 with { Whitespace = true }).Score, 1e-4);

    // Worked by hand: hypothesis "cats, dogs." against reference "cats dogs".
    // Characters without spaces: "cats,dogs." (10) vs "catsdogs" (8). [hyp n-grams, ref n-grams, matches]:
    //   n=1: 10, 8, 8 (c a t s s d o g; ',' and '.' unmatched)
    //   n=2: 9, 7, 6 (ca at ts do og gs)      n=3: 8, 6, 4 (cat ats dog ogs)
    //   n=4: 7, 5, 2 (cats dogs)              n=5: 6, 4, 0      n=6: 5, 3, 0
    // chrF++ words, one trailing punctuation mark split off: [cats , dogs .] vs [cats dogs]:
    //   words n=1: 4, 2, 2                    words n=2: 3, 1, 0
    private static readonly (double Hyp, double Ref, double Match)[] CatsDogs =
        [(10, 8, 8), (9, 7, 6), (8, 6, 4), (7, 5, 2), (6, 4, 0), (5, 3, 0), (4, 2, 2), (3, 1, 0)];

    private static double Expected(int orders, double beta)
    {
        // Mean precision and recall over the orders, then F_β, ×100.
        double p = CatsDogs.Take(orders).Average(o => o.Match / o.Hyp), r = CatsDogs.Take(orders).Average(o => o.Match / o.Ref);
        return 100 * (1 + beta * beta) * p * r / (beta * beta * p + r);
    }

    [Fact]
    public void HandWorkedChrf() => Assert.Equal(Expected(6, 2), Chrf.Sentence("cats, dogs.", ["cats dogs"]).Score, 1e-9);

    [Fact]
    public void HandWorkedChrfPlusPlus()
    {
        var score = Chrf.Sentence("cats, dogs.", ["cats dogs"], ChrfOptions.PlusPlus);
        Assert.Equal(Expected(8, 2), score.Score, 1e-9);
        Assert.Equal("chrF2++", score.Name);
        Assert.Contains("|nw:2|", score.Signature);
    }

    [Theory]
    [InlineData("cats, dogs.", new[] { "cats", ",", "dogs", "." })]
    [InlineData("(hi)", new[] { "(hi", ")" })] // only one mark, the trailing one first (sacreBLEU issue #124)
    [InlineData("\"quoted", new[] { "\"", "quoted" })]
    [InlineData(", a !", new[] { ",", "a", "!" })] // one-character words stay whole
    public void ChrfPlusPlusWordSplit(string text, string[] expected) => Assert.Equal(expected, Chrf.SplitPunctuation(text));

    [Fact]
    public void CorpusSumsStatisticsBeforeTheFScore()
    {
        // Segment "a"/"a" is perfect; "b"/"c" has one unigram each, no match. Summed: 2 hyp, 2 ref,
        // 1 match at order 1 only → P = R = ½ → 50, not the mean of the segment scores (100 and 0).
        Assert.Equal(50.0, Chrf.Corpus(["a", "b"], [["a", "c"]]).Score, 1e-9);
    }

    [Fact]
    public void MultipleReferencesKeepTheBestOne()
    {
        Assert.Equal(100.0, Chrf.Sentence("abc def", ["xyz", "abc def"]).Score, 1e-9);
        Assert.Equal(Chrf.Sentence("abc def", ["abc de"]).Score, Chrf.Sentence("abc def", ["zzz", "abc de"]).Score, 1e-12);
        Assert.StartsWith("nrefs:var|", Chrf.Corpus(["a", "b"], [["a", "b"], ["a", null]]).Signature);
    }

    [Fact]
    public void CharactersAreCodePoints()
    {
        // "😀a" is two characters (one surrogate pair + 'a'), as in Python: n=1: 2,2,2 and n=2: 1,1,1.
        Assert.Equal(100.0, Chrf.Sentence("😀a", ["😀a"]).Score, 1e-9);
        // The hypothesis shares only the emoji: n=1 gives P = R = ½, n=2 gives 0 → 25.
        Assert.Equal(25.0, Chrf.Sentence("😀a", ["😀b"]).Score, 1e-9);
    }
}
