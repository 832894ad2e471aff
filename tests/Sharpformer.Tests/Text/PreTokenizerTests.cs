using System.Text.RegularExpressions;
using Sharpformer.Text;

namespace Sharpformer.Tests.Text;

public sealed partial class PreTokenizerTests
{
    // GPT-2's pattern. .NET's Regex classifies UTF-16 code units, so it agrees with GPT-2's Python regex
    // (and with the scanner) only on text without surrogate pairs.
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2Pattern();

    private static List<string> Pieces(string text, PieceCounter.Splitter split)
    {
        var pieces = new List<string>();
        for (int start = 0; start < text.Length;)
        {
            int end = split(text, start);
            pieces.Add(text[start..end]);
            start = end;
        }
        return pieces;
    }

    [Theory]
    [InlineData("Hello world", new[] { "Hello", " world" })]
    [InlineData("I'm sure they'll say it's John's.", new[] { "I", "'m", " sure", " they", "'ll", " say", " it", "'s", " John", "'s", "." })]
    [InlineData("a  b\n\nc   ", new[] { "a", " ", " b", "\n", "\n", "c", "   " })]
    [InlineData("x?'s 2024!! ", new[] { "x", "?'", "s", " 2024", "!!", " " })]
    [InlineData("𝔘𝔫𝔦 😀😀 e\u0301", new[] { "𝔘𝔫𝔦", " 😀😀", " e", "\u0301" })]
    public void Gpt2SplitsAsThePattern(string text, string[] expected) =>
        Assert.Equal(expected, Pieces(text, Gpt2PreTokenizer.PieceEnd));

    [Fact]
    public void Gpt2ScannerAgreesWithTheRegexOnRandomText()
    {
        var random = new Random(7);
        for (int i = 0; i < 3000; i++)
        {
            string text = RandomText.Next(random);
            if (text.Any(char.IsSurrogate)) continue;
            Assert.Equal(Gpt2Pattern().Matches(text).Select(m => m.Value), Pieces(text, Gpt2PreTokenizer.PieceEnd));
        }
    }

    [Theory]
    [InlineData("Don't stop, Mr. Smith!", new[] { "Don", "'", "t", " stop", ",", " Mr", ".", " Smith", "!" })]
    [InlineData("one  two\n\tthree", new[] { "one", " ", " two", "\n\t", "three" })]
    [InlineData("caf\u00E9 cafe\u0301 ¿qué?", new[] { "caf\u00E9", " cafe\u0301", " ¿", "qué", "?" })]
    public void WordsSplitOnWhitespaceAndPunctuation(string text, string[] expected) =>
        Assert.Equal(expected, Pieces(text, WordPreTokenizer.PieceEnd));
}
