namespace Sharpformer.Text;

/// <summary>
/// The word tokenizer's split: a word (a run of letters, combining marks and digits) or a single other
/// character, each taking one leading space if there is one; white space that no such piece takes
/// (line breaks, runs of spaces) forms its own pieces, as in GPT-2. Concatenating the pieces gives back the text.
/// </summary>
internal static class WordPreTokenizer
{
    /// <summary>The end of the piece that starts at <paramref name="start"/> (which is below the length).</summary>
    public static int PieceEnd(ReadOnlySpan<char> text, int start)
    {
        int body = text[start] == ' ' && start + 1 < text.Length && CharClass.At(text, start + 1, out _) != CharKind.Space
            ? start + 1 : start;
        CharKind kind = CharClass.At(text, body, out int width);
        switch (kind)
        {
            case CharKind.Space:
                int end = CharClass.RunEnd(text, start, CharKind.Space);
                return end < text.Length && end - start >= 2 && text[end - 1] == ' ' ? end - 1 : end;
            case CharKind.Other:
                return body + width;
            default:
                int index = body;
                while (index < text.Length && CharClass.At(text, index, out width) is CharKind.Letter or CharKind.Number or CharKind.Mark)
                    index += width;
                return index;
        }
    }
}
