using Sharpformer.Evaluation;

namespace Sharpformer.Tests.Evaluation;

/// <summary>mteval-v13a tokenization, each expected output worked out from the rules in <see cref="Tokenizer13a"/>.</summary>
public class Tokenizer13aTests
{
    [Theory]
    // Punctuation: symbols are split off; period and comma split when not between digits.
    [InlineData("Hello, world!", "Hello , world !")]
    [InlineData("x=1+2*3/4; y@z#w", "x = 1 + 2 * 3 / 4 ; y @ z # w")]
    [InlineData("[a]{b}|c~d^e_f`g\\h", "[ a ] { b } | c ~ d ^ e _ f ` g \\ h")]
    [InlineData("A.B.C.", "A . B . C .")]
    [InlineData("wait...", "wait . . .")]
    [InlineData("e-mail: a.b@c.com", "e-mail : a . b @ c . com")]
    // Numbers: a period or comma between digits stays; one before a non-digit splits.
    [InlineData("It costs $1,000.50.", "It costs $ 1,000.50 .")]
    [InlineData("3.14, 2.5", "3.14 , 2.5")]
    [InlineData("1,2,3", "1,2,3")]
    [InlineData(".5", ". 5")]
    // Dashes: split only after a digit; hyphenated words and a leading minus stay.
    [InlineData("Prices rose 5-10 percent in 2019-2020.", "Prices rose 5 - 10 percent in 2019 - 2020 .")]
    [InlineData("a well-known state-of-the-art model", "a well-known state-of-the-art model")]
    [InlineData("-5 and 5-", "-5 and 5 -")]
    // Quotes: the double quote is a symbol, the apostrophe is not; entities are unescaped first.
    [InlineData("He said \"no\" (twice).", "He said \" no \" ( twice ) .")]
    [InlineData("don't rock 'n' roll", "don't rock 'n' roll")]
    [InlineData("&quot;Hi&quot; &amp; bye &lt;3", "\" Hi \" & bye < 3")]
    // Non-ASCII: letters, currency, guillemets, dashes and CJK punctuation are never split.
    [InlineData("Größe: 5 €, naïve café.", "Größe : 5 € , naïve café .")]
    [InlineData("«Bonjour» — dit-il.", "«Bonjour» — dit-il .")]
    [InlineData("日本語、テスト。", "日本語、テスト。")]
    [InlineData("😀 smile.", "😀 smile .")]
    // Lines and whitespace: "-\n" joins, "\n" is a space, <skipped> goes, Python's whitespace collapses.
    [InlineData("line-\nbreak\nnext", "linebreak next")]
    [InlineData("a <skipped> b", "a b")]
    [InlineData("tab\there\u00a0nbsp\u2003em\u001cfs", "tab here nbsp em fs")]
    [InlineData("", "")]
    public void Tokenizes(string input, string expected) => Assert.Equal(expected, Tokenizer13a.Tokenize(input));

    [Fact]
    public void DoesNotLowercase() => Assert.Equal("The CAT", Tokenizer13a.Tokenize("The CAT"));

    [Fact]
    public void ReadmeSentencesGiveTheFixtureTokens()
    {
        // The pre-tokenized sacreBLEU README case in bleu_nltk.json is exactly what 13a makes of the raw strings.
        Assert.Equal(["It", "wasn't", "surprising", "."], Tokenizer13a.Tokens("It wasn't surprising."));
        Assert.Equal(["The", "man", "had", "just", "bitten", "him", "."], Tokenizer13a.Tokens("The man had just bitten him."));
    }
}
