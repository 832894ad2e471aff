using System.Text;

namespace Sharpformer.Tests.Text;

/// <summary>Seeded random strings of valid Unicode that stress tokenizers.</summary>
internal static class RandomText
{
    private static readonly string[] Fragments =
    [
        " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \n ", "\u00A0", "\u3000", "\u2028",
        "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'", "''", "\"",
        "the", " the", "The", "don't", "1999", " 42", "3.14", "—", "…", "!!", "?!", ".,;:", "(x)", "<pad>", "<|endoftext|>",
        "e\u0301", "\u0301\u0302", "n\u0303", "ñ", "é", "ü", "ß", "Ω", "ж",
        "日本語", "中文", "한국어", "العربية", "עברית", "हिन्दी",
        "😀", "👍🏽", "👨‍👩‍👧", "🇪🇸", "𝔘𝔫𝔦", "𝟏𝟐", "𐍈",
        "\u0000", "\u0007", "\u001B", "\u007F", "\u0085", "\u200B", "\uFEFF", "\uFFFD",
    ];

    /// <summary>A string of up to <paramref name="maxParts"/> parts: fragments above or random scalar values of any plane.</summary>
    public static string Next(Random random, int maxParts = 24)
    {
        var text = new StringBuilder();
        int parts = random.Next(maxParts + 1);
        for (int i = 0; i < parts; i++)
        {
            if (random.Next(3) > 0) text.Append(Fragments[random.Next(Fragments.Length)]);
            else text.Append(new Rune(RandomScalar(random)).ToString());
        }
        return text.ToString();
    }

    private static int RandomScalar(Random random) => random.Next(4) switch
    {
        0 => random.Next(0x20, 0x7F),
        1 => random.Next(0x80, 0x800),
        2 => random.Next(0x800, 0xD800),
        _ => random.Next(0x10000, 0x110000),
    };
}
