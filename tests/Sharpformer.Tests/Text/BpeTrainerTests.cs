using System.Text;
using Sharpformer.Text;

namespace Sharpformer.Tests.Text;

public sealed class BpeTrainerTests
{
    // Pieces: "hug", " hug" ×2, " pug", " pun", " bun", " hugs".
    private static readonly string[] Corpus = ["hug hug hug pug pun bun hugs"];

    private static string Text(BpeTokenizer bpe, int id) => Encoding.UTF8.GetString(bpe.TokenBytes(id));

    [Fact]
    public void FirstMergesAreTheHandCountedOnes()
    {
        // Pair counts: (u,g) 5, (h,u) 4, ( ,h) 3, ( ,p) 2, (p,u) 2, (u,n) 2. After "ug": (h,ug) 4 → "hug";
        // then ( ,hug) 3 → " hug"; then ( ,p) and (u,n) tie at 2 and ' ' (0x20) has the smaller id → " p";
        // then (u,n) 2 → "un"; every other pair occurs once, below the minimum frequency of 2.
        var bpe = BpeTrainer.Train(Corpus, new TokenizerTrainingOptions { VocabSize = 1000, MinFrequency = 2 });
        Assert.Equal(["ug", "hug", " hug", " p", "un"], bpe.Merges.Select((_, rank) => Text(bpe, 260 + rank)));
        Assert.Equal(("u", "g"), (Text(bpe, bpe.Merges[0].Left), Text(bpe, bpe.Merges[0].Right)));
        Assert.Equal(265, bpe.VocabSize);

        Assert.Equal(["hug", " p", "ug", " ", "b", "un"], bpe.Encode("hug pug bun").Select(id => Text(bpe, id)));
    }

    [Fact]
    public void ByteIdsFollowTheSpecialTokens()
    {
        var bpe = BpeTrainer.Train(Corpus, new TokenizerTrainingOptions { VocabSize = 300, ExtraSpecialTokens = ["<sep>"] });
        Assert.Equal(5, bpe.SpecialTokens.All.Count);
        Assert.Equal(4, bpe.SpecialTokens.IdOf("<sep>"));
        Assert.Equal([5 + 'A'], bpe.Encode("A"));
        Assert.Equal([5 + 0xC3, 5 + 0xB1], bpe.Encode("ñ"));
    }

    [Fact]
    public void VocabSizeStopsTraining()
    {
        var bpe = BpeTrainer.Train(Corpus, new TokenizerTrainingOptions { VocabSize = 262, MinFrequency = 1 });
        Assert.Equal(2, bpe.Merges.Count);
    }

    [Fact]
    public void TrainingIsDeterministic()
    {
        var options = new TokenizerTrainingOptions { VocabSize = 500, MinFrequency = 1 };
        var a = BpeTrainer.Train(RoundTripTests.Corpus, options);
        var b = BpeTrainer.Train(RoundTripTests.Corpus.Reverse(), options);
        Assert.Equal(a.Merges, b.Merges);
    }

    [Fact]
    public void ARepeatedByteMergesLeftToRight()
    {
        // (a,a) occurs 6 + 2 × 2 times: one merge, then "aaa" is "aa" + "a", never "a" + "aa".
        var bpe = BpeTrainer.Train(["aaaaaaa aaa aaa"], new TokenizerTrainingOptions { VocabSize = 261, MinFrequency = 2 });
        Assert.Equal("aa", Text(bpe, bpe.Merges[0].Left) + Text(bpe, bpe.Merges[0].Right));
        Assert.Equal(["aa", "a"], bpe.Encode("aaa").Select(id => Text(bpe, id)));
        Assert.Equal(["aa", "aa", "aa", "a"], bpe.Encode("aaaaaaa").Select(id => Text(bpe, id)));
    }

    [Theory]
    [InlineData(259, 1)]
    [InlineData(1000, 0)]
    public void BadOptionsAreRejected(int vocabSize, int minFrequency) =>
        Assert.Throws<ArgumentException>(() => BpeTrainer.Train(Corpus,
            new TokenizerTrainingOptions { VocabSize = vocabSize, MinFrequency = minFrequency }));

    [Fact]
    public void ALongPieceEncodesQuickly()
    {
        var bpe = BpeTrainer.Train(RoundTripTests.Corpus, new TokenizerTrainingOptions { VocabSize = 400 });
        string text = string.Concat(Enumerable.Repeat("abcdefghij", 20_000));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(text, bpe.Decode(bpe.Encode(text)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }
}
