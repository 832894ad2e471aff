using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Sharpformer.Text;

/// <summary>The classes of Unicode scalar values that the pre-tokenizers split on.</summary>
internal enum CharKind : byte
{
    /// <summary>Categories L* (\p{L}).</summary>
    Letter,
    /// <summary>Categories N* (\p{N}).</summary>
    Number,
    /// <summary>White space: \t \n \v \f \r, U+0085 and categories Z* (.NET's \s).</summary>
    Space,
    /// <summary>Combining marks, categories M*.</summary>
    Mark,
    /// <summary>Everything else, including a lone surrogate.</summary>
    Other,
}

/// <summary>Classifies the scalar value at a position of UTF-16 text; a surrogate pair counts as one value.</summary>
internal static class CharClass
{
    private static readonly CharKind[] Ascii = BuildAscii();

    private static CharKind[] BuildAscii()
    {
        var kinds = new CharKind[128];
        for (int c = 0; c < 128; c++) kinds[c] = Classify(new Rune(c));
        return kinds;
    }

    /// <summary>The class of the value starting at <paramref name="index"/>, and its length in chars (1 or 2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CharKind At(ReadOnlySpan<char> text, int index, out int width)
    {
        char c = text[index];
        width = 1;
        if (c < 128) return Ascii[c];
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            width = 2;
            return Classify(new Rune(c, text[index + 1]));
        }
        return char.IsSurrogate(c) ? CharKind.Other : Classify(new Rune(c));
    }

    private static CharKind Classify(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharKind.Letter,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharKind.Number,
        UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => CharKind.Mark,
        _ when Rune.IsWhiteSpace(rune) => CharKind.Space,
        _ => CharKind.Other,
    };

    /// <summary>The end of the run of values of class <paramref name="kind"/> starting at <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RunEnd(ReadOnlySpan<char> text, int index, CharKind kind)
    {
        while (index < text.Length && At(text, index, out int width) == kind) index += width;
        return index;
    }
}
