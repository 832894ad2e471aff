using Sharpformer.Text;

namespace Sharpformer.Tests.Text;

/// <summary>decode(encode(x)) == x: always for BPE; for seen text for the character and word tokenizers.</summary>
public sealed class RoundTripTests
{
    private static readonly List<string> RandomTexts = MakeRandomTexts(3000, seed: 12345);

    private static List<string> MakeRandomTexts(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => RandomText.Next(random))];
    }

    internal static readonly string[] Corpus =
    [
        "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.",
        "However little known the feelings or views of such a man may be on his first entering a neighbourhood, " +
            "this truth is so well fixed.",
        "\"My dear Mr. Bennet,\" said his lady to him one day, \"have you heard that Netherfield Park is let at last?\"",
        "Mr. Bennet replied that he had not. \"But it is,\" returned she; \"for Mrs. Long has just been here, " +
            "and she told me all about it.\"",
        "En el principio creó Dios los cielos y la tierra. Y la tierra estaba desordenada y vacía; ¿no es así? ¡Sí!",
        "In 1811, they'd walked 3 miles — 4.8 km — and we'll see what's next…   Tabs\tand\nnewlines too.",
    ];

    [Fact]
    public void BpeRoundTripsRandomUnicode()
    {
        var bpe = BpeTrainer.Train(Corpus, new TokenizerTrainingOptions { VocabSize = 400, MinFrequency = 1 });
        foreach (string text in RandomTexts)
        {
            int[] ids = bpe.Encode(text);
            Assert.All(ids, id => Assert.InRange(id, SpecialTokens.Count, bpe.VocabSize - 1));
            Assert.Equal(text, bpe.Decode(ids));
        }
    }

    [Fact]
    public void BpeRoundTripsEveryCodePointOfEveryPlane()
    {
        var bpe = BpeTrainer.Train(Corpus, new TokenizerTrainingOptions { VocabSize = 300 });
        var all = new System.Text.StringBuilder();
        for (int scalar = 0; scalar < 0x110000; scalar += scalar < 0x3000 ? 1 : 97)
        {
            if (scalar is >= 0xD800 and <= 0xDFFF) continue;
            all.Append(char.ConvertFromUtf32(scalar));
        }
        string text = all.ToString();
        Assert.Equal(text, bpe.Decode(bpe.Encode(text)));
    }

    [Fact]
    public void ALoneSurrogateBecomesTheReplacementCharacter()
    {
        var bpe = BpeTrainer.Train(Corpus, new TokenizerTrainingOptions { VocabSize = 300 });
        Assert.Equal("a\uFFFDb\uFFFD", bpe.Decode(bpe.Encode("a\uD800b\uDC00")));
    }

    [Fact]
    public void CharTokenizerRoundTripsTheTextItWasTrainedOn()
    {
        var tokenizer = CharTokenizer.Train(RandomTexts, new TokenizerTrainingOptions { VocabSize = 1_000_000, MinFrequency = 1 });
        foreach (string text in RandomTexts) Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        // One id per scalar value: a surrogate pair is one token.
        Assert.Equal(3, tokenizer.Encode("a😀b").Length);
    }

    [Fact]
    public void WordTokenizerRoundTripsTheTextItWasTrainedOn()
    {
        var tokenizer = WordTokenizer.Train(RandomTexts, new TokenizerTrainingOptions { VocabSize = 1_000_000, MinFrequency = 1 });
        foreach (string text in RandomTexts) Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
    }

    [Fact]
    public void UnseenPiecesBecomeUnk()
    {
        var options = new TokenizerTrainingOptions { VocabSize = 1000, MinFrequency = 1 };
        var words = WordTokenizer.Train(Corpus, options);
        int[] ids = words.Encode("It is a zebra.");
        Assert.Equal(["It", " is", " a", "<unk>", "."], ids.Select(id => words.Tokens[id]));
        Assert.Equal("It is a<unk>.", words.Decode(ids));

        var chars = CharTokenizer.Train(Corpus, options);
        Assert.Equal([SpecialTokens.Unk, chars.Encode("a")[0]], chars.Encode("😀a"));
    }

    [Fact]
    public void VocabularySizeAndMinimumFrequencyBoundTheVocabulary()
    {
        var words = WordTokenizer.Train(Corpus, new TokenizerTrainingOptions { VocabSize = 10, MinFrequency = 1 });
        Assert.Equal(10, words.VocabSize);
        Assert.Equal(SpecialTokens.Names, words.Tokens.Take(SpecialTokens.Count));
        var frequent = WordTokenizer.Train(Corpus, new TokenizerTrainingOptions { VocabSize = 1000, MinFrequency = 3 });
        Assert.Contains(" a", frequent.Tokens);
        Assert.DoesNotContain(" wife", frequent.Tokens);
    }

    [Fact]
    public void SpecialTokenTextIsOrdinaryText()
    {
        var bpe = BpeTrainer.Train(Corpus, new TokenizerTrainingOptions { VocabSize = 300 });
        int[] ids = bpe.Encode("<pad><eos>");
        Assert.DoesNotContain(ids, id => id < SpecialTokens.Count);
        Assert.Equal("<pad><eos>", bpe.Decode(ids));
        // A special id decodes as its name.
        Assert.Equal("<bos>x<eos>", bpe.Decode([SpecialTokens.Bos, .. bpe.Encode("x"), SpecialTokens.Eos]));
    }

    [Fact]
    public void DecodeRejectsIdsOutsideTheVocabulary()
    {
        var bpe = BpeTrainer.Train(Corpus, new TokenizerTrainingOptions { VocabSize = 300 });
        Assert.Throws<ArgumentOutOfRangeException>(() => bpe.Decode([bpe.VocabSize]));
        Assert.Throws<ArgumentOutOfRangeException>(() => bpe.Decode([-1]));
        var chars = CharTokenizer.Train(Corpus, new TokenizerTrainingOptions());
        Assert.Throws<ArgumentOutOfRangeException>(() => chars.Decode([chars.VocabSize]));
    }
}
