using System.Text;
using Sharpformer.Exercises.Week11;
using Sharpformer.Text;

namespace Sharpformer.Exercises.Tests;

/// <summary>Grades week 11: learning BPE merges and encoding with them, against the library's trainer and tokenizer.</summary>
[Trait("Week", "11")]
public sealed class Week11Tests
{
    // The corpus of Sennrich et al.'s example: low ×5, lower ×2, newest ×6, widest ×3.
    private static readonly string[] Words =
    [
        .. Enumerable.Repeat("low", 5), .. Enumerable.Repeat("lower", 2), .. Enumerable.Repeat("newest", 6),
        .. Enumerable.Repeat("widest", 3),
    ];

    [Fact]
    public void TheFirstMergesByHand()
    {
        // "es" and "st" occur 9 times each ("newest" ×6, "widest" ×3): ties go to the left symbol first, e < s.
        var merges = Bpe.LearnMerges(Words, 2);
        Assert.Equal(new[] { ("e", "s"), ("es", "t") }, merges);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(10)]
    [InlineData(40)]
    public void LearnMergesMatchesTheLibrary(int count)
    {
        var expected = LibraryMerges(Words, count);
        Assert.Equal(expected, Bpe.LearnMerges(Words, count));
    }

    [Fact]
    public void LearnMergesOnALargerCorpus()
    {
        string sentence = "the cat sat on the mat then the cat ate the rat that sat there";
        string[] words = [.. sentence.Split(' ').SelectMany(w => Enumerable.Repeat(w, 3))];
        Assert.Equal(LibraryMerges(words, 25), Bpe.LearnMerges(words, 25));
    }

    [Theory]
    [InlineData("lowest")]
    [InlineData("newer")]
    [InlineData("widest")]
    [InlineData("x")]
    public void EncodeMatchesTheLibrarysTokenizer(string word)
    {
        var options = new TokenizerTrainingOptions { VocabSize = SpecialTokens.Count + 256 + 10, MinFrequency = 2 };
        var tokenizer = BpeTrainer.Train(Words, options);
        var merges = tokenizer.Merges.Select(m => (Text(tokenizer, m.Left), Text(tokenizer, m.Right))).ToArray();
        string[] expected = [.. tokenizer.Encode(word).Select(id => Text(tokenizer, id))];
        Assert.Equal(expected, Bpe.Encode(word, merges));
    }

    [Fact]
    public void EncodeByHand() => Assert.Equal(new[] { "b", "est" }, Bpe.Encode("best", [("e", "s"), ("es", "t")]));

    private static (string, string)[] LibraryMerges(string[] words, int count)
    {
        var options = new TokenizerTrainingOptions { VocabSize = SpecialTokens.Count + 256 + count, MinFrequency = 2 };
        var tokenizer = BpeTrainer.Train(words, options);
        return [.. tokenizer.Merges.Select(m => (Text(tokenizer, m.Left), Text(tokenizer, m.Right)))];
    }

    private static string Text(BpeTokenizer tokenizer, int id) => Encoding.ASCII.GetString(tokenizer.TokenBytes(id));
}
