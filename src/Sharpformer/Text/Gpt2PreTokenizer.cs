namespace Sharpformer.Text;

/// <summary>
/// GPT-2's pre-tokenizer, hand-written: text is cut into pieces as by the pattern
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>, and BPE merges never
/// cross a piece boundary. Classes are taken per Unicode scalar value, as GPT-2's Python regex does
/// (a letter outside the BMP is a letter; .NET's Regex would see two surrogates instead).
/// </summary>
internal static class Gpt2PreTokenizer
{
    /// <summary>The end of the piece that starts at <paramref name="start"/> (which is below the length).</summary>
    public static int PieceEnd(ReadOnlySpan<char> text, int start)
    {
        char first = text[start];
        if (first == '\'' && start + 1 < text.Length)
        {
            char c = text[start + 1];
            if (c is 's' or 't' or 'm' or 'd') return start + 2;
            if (start + 2 < text.Length)
            {
                char d = text[start + 2];
                if ((c == 'r' && d == 'e') || (c == 'v' && d == 'e') || (c == 'l' && d == 'l')) return start + 3;
            }
        }
        // " ?X+" for letters, numbers and other symbols: one leading space joins the run after it.
        int body = first == ' ' && start + 1 < text.Length && CharClass.At(text, start + 1, out _) != CharKind.Space ? start + 1 : start;
        CharKind kind = CharClass.At(text, body, out _);
        if (kind == CharKind.Space) return WhitespaceEnd(text, start);
        if (kind == CharKind.Mark) kind = CharKind.Other;
        return kind == CharKind.Other ? OtherRunEnd(text, body) : CharClass.RunEnd(text, body, kind);
    }

    // "\s+(?!\S)|\s+": a run of white space, less its last character when more text follows (that one
    // then starts the next piece, so that " word" keeps its space).
    private static int WhitespaceEnd(ReadOnlySpan<char> text, int start)
    {
        int end = CharClass.RunEnd(text, start, CharKind.Space);
        return end < text.Length && end - start >= 2 ? end - 1 : end;
    }

    // [^\s\p{L}\p{N}]+ : marks count as "other" here.
    private static int OtherRunEnd(ReadOnlySpan<char> text, int index)
    {
        while (index < text.Length && CharClass.At(text, index, out int width) is CharKind.Other or CharKind.Mark) index += width;
        return index;
    }
}
