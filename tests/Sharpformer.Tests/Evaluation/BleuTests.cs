using Sharpformer.Evaluation;

namespace Sharpformer.Tests.Evaluation;

/// <summary>BLEU on strings: sacreBLEU's published examples and edge cases.</summary>
public class BleuTests
{
    // sacreBLEU's README corpus: three hypotheses, two reference streams.
    private static readonly string[] Hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];
    private static readonly string?[] RefsA = ["The dog bit the man.", "It was not unexpected.", "The man bit him first."];
    private static readonly string?[] RefsB = ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."];

    [Fact]
    public void ReadmeExampleMatchesSacreBleu()
    {
        // README: "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)",
        // signature nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp; its test suite: 48.530827.
        var score = Bleu.Corpus(Hyps, [RefsA, RefsB]);
        Assert.Equal(48.530827, score.Score, 1e-6);
        Assert.Equal("BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)", score.ToString());
        Assert.Equal("nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:sharpformer", score.Signature);
        Assert.Equal([14L, 7, 5, 3], score.Counts);
        Assert.Equal([17L, 14, 11, 8], score.Totals);
    }

    [Fact]
    public void ReadmeExampleWithoutTokenization()
    {
        // sacreBLEU test suite, tokenize='none': 49.1919566.
        var score = Bleu.Corpus(Hyps, [RefsA, RefsB], new BleuOptions { Tokenizer = BleuTokenizer.None });
        Assert.Equal(49.1919566, score.Score, 1e-6);
        Assert.Contains("|tok:none|", score.Signature);
    }

    [Fact]
    public void VariableNumberOfReferences()
    {
        // README: dropping the first sentence's first reference gives "BLEU = 29.44 82.4/42.9/27.3/12.5
        // (BP = 0.889 ratio = 0.895 hyp_len = 17 ref_len = 19)" and nrefs:var.
        string?[] refsA = ["", .. RefsA[1..]];
        var score = Bleu.Corpus(Hyps, [refsA, RefsB]);
        Assert.Equal("BLEU = 29.44 82.4/42.9/27.3/12.5 (BP = 0.889 ratio = 0.895 hyp_len = 17 ref_len = 19)", score.ToString());
        Assert.StartsWith("nrefs:var|", score.Signature);
        Assert.Equal(score.Score, Bleu.Corpus(Hyps, [[null, .. RefsA[1..]], RefsB]).Score); // null = empty
    }

    [Fact]
    public void FromStatisticsMatchesSacreBleu()
    {
        // sacreBLEU test suite: compute_bleu([9,7,5,3], [10,8,6,4], 11, 11) = 83.75922397.
        var score = Bleu.FromStatistics([9, 7, 5, 3], [10, 8, 6, 4], 11, 11);
        Assert.Equal(83.75922397, score.Score, 1e-6);
        Assert.Equal(1.0, score.BrevityPenalty);
    }

    [Fact]
    public void ExpSmoothingHalvesEachMissingOrder()
    {
        // Orders 3 and 4 have no match: p3 = 1/(2·6), p4 = 1/(4·4); BLEU = (9/10 · 7/8 · 1/12 · 1/16)^¼.
        var score = Bleu.FromStatistics([9, 7, 0, 0], [10, 8, 6, 4], 11, 11);
        Assert.Equal(100.0 / 12, score.Precisions[2], 1e-9);
        Assert.Equal(100.0 / 16, score.Precisions[3], 1e-9);
        Assert.Equal(100 * Math.Pow(0.9 * 0.875 / 12 / 16, 0.25), score.Score, 1e-9);
        Assert.Equal(0.0,
            Bleu.FromStatistics([9, 7, 0, 0], [10, 8, 6, 4], 11, 11, new BleuOptions { Smoothing = BleuSmoothing.None }).Score);
    }

    [Fact]
    public void EffectiveOrderAndFloorSmoothing()
    {
        // sacreBLEU test suite (raw_corpus_bleu: tokenize none, floor smoothing, effective order), scores /100:
        var raw = new BleuOptions { Tokenizer = BleuTokenizer.None, Smoothing = BleuSmoothing.Floor, SmoothValue = 0.01,
            EffectiveOrder = true };
        Assert.Equal(0.3678794411714425, Bleu.Corpus(["test"], [["a test"]], raw).Score / 100, 1e-8);
        Assert.Equal(1.0, Bleu.Corpus(["a test"], [["a test"]], raw).Score / 100, 1e-8);
        Assert.Equal(0.03218297948685433, Bleu.Corpus(["a little test"], [["a test"]], raw).Score / 100, 1e-8);
        // Statistics [4,2,1,0]/[6,5,4,3]: 0.1555722182 with the default floor 0.1, 0 with floor 0.
        string hyp = "am I am a character sequence", reference = "I am a symbol string sequence a a";
        var floor = Bleu.Corpus([hyp], [[reference]], raw with { SmoothValue = null });
        Assert.Equal([4L, 2, 1, 0], floor.Counts);
        Assert.Equal([6L, 5, 4, 3], floor.Totals);
        Assert.Equal(0.1555722182, floor.Score / 100, 1e-8);
        Assert.Equal(0.0, Bleu.Corpus([hyp], [[reference]], raw with { SmoothValue = 0.0 }).Score);
    }

    [Fact]
    public void SentenceBleuUsesEffectiveOrder()
    {
        // Two tokens, both matching, against a two-token reference: orders 3–4 have no n-grams, so with
        // effective order BLEU = (1 · 1)^½ = 100; without it orders 3–4 count as 0 and BLEU is 0.
        Assert.Equal(100.0, Bleu.Sentence("a test", ["a test"]).Score, 1e-9);
        Assert.Equal(0.0, Bleu.Corpus(["a test"], [["a test"]]).Score);
        Assert.Contains("|eff:yes|", Bleu.Sentence("a test", ["a test"]).Signature);
    }

    [Fact]
    public void EmptyHypothesesScoreZero()
    {
        // sacreBLEU test suite: empty hypotheses are kept and score 0; c = 0 gives BP 0.
        var score = Bleu.Corpus(["", "", ""], [RefsA, RefsB]);
        Assert.Equal(0.0, score.Score);
        Assert.Equal(0.0, score.BrevityPenalty);
        Assert.Equal(0L, score.SysLen);
    }

    [Fact]
    public void NoMatchScoresZero()
    {
        var score = Bleu.Corpus(["completely different words here"], [["the cat sat on the mat"]]);
        Assert.Equal(0.0, score.Score);
        Assert.All(score.Precisions, p => Assert.Equal(0.0, p));
    }

    [Fact]
    public void LongerHypothesisHasNoBrevityPenalty()
    {
        var score = Bleu.Corpus(["the cat sat on the mat all day long"], [["the cat sat on the mat"]]);
        Assert.Equal(1.0, score.BrevityPenalty);
        // 6/9, 5/8, 4/7, 3/6 of the n-grams match.
        Assert.Equal(100 * Math.Pow(6.0 / 9 * 5 / 8 * 4 / 7 * 3 / 6, 0.25), score.Score, 1e-9);
    }

    [Fact]
    public void ShorterHypothesisPaysBrevityPenalty()
    {
        // c = 4, r = 6: BP = exp(1 − 6/4); all n-grams match.
        var score = Bleu.Corpus(["the cat sat on"], [["the cat sat on the mat"]]);
        Assert.Equal(Math.Exp(1 - 6.0 / 4), score.BrevityPenalty, 1e-12);
        Assert.Equal(100 * Math.Exp(1 - 6.0 / 4), score.Score, 1e-9);
    }

    [Fact]
    public void MultipleReferencesClipAndPickTheClosestLength()
    {
        // "the" ×4: its count is clipped at 2 (the most in any one reference), not 1 + 2 = 3.
        var score = Bleu.Corpus(["the the the the"], [["the cat"], ["the the mat is"]]);
        Assert.Equal(2L, score.Counts[0]);
        Assert.Equal(4L, score.RefLen); // lengths 2 and 4: 4 is closer to 4
        // Lengths 3 and 5 are equally close to 4: the shorter one counts.
        Assert.Equal(3L, Bleu.Corpus(["a b c d"], [["a b c"], ["a b c d e"]]).RefLen);
        Assert.Equal(3L, Bleu.Corpus(["a b c d"], [["a b c d e"], ["a b c"]]).RefLen);
    }

    [Fact]
    public void LowercaseOption()
    {
        var mixed = Bleu.Corpus(["THE CAT SAT ON THE MAT"], [["the cat sat on the mat"]]);
        var lower = Bleu.Corpus(["THE CAT SAT ON THE MAT"], [["the cat sat on the mat"]], new BleuOptions { Lowercase = true });
        Assert.Equal(0.0, mixed.Score);
        Assert.Equal(100.0, lower.Score, 1e-9);
        Assert.Contains("|case:lc|", lower.Signature);
    }

    [Fact]
    public void RejectsMismatchedStreams()
    {
        Assert.Throws<ArgumentException>(() => Bleu.Corpus(["a", "b"], [["a"]]));
        Assert.Throws<ArgumentException>(() => Bleu.Corpus(["a"], [[""]]));
    }
}
