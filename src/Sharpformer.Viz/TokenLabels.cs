using System.Text;
using Sharpformer.Text;

namespace Sharpformer.Viz;

/// <summary>Short, visible axis labels for single tokens.</summary>
public static class TokenLabels
{
    /// <summary>Longest label, in characters, before it is cut with an ellipsis.</summary>
    public const int MaxLength = 12;

    /// <summary>The label of each id in <paramref name="ids"/>: its text with blanks made visible.</summary>
    public static string[] For(ITokenizer tokenizer, IReadOnlyList<int> ids) => [.. ids.Select(id => For(tokenizer, id))];

    /// <summary>
    /// The label of one token: its decoded text with spaces shown as ␣, line breaks as ⏎ and tabs as ⇥,
    /// other control characters as U+XXXX, an empty text as ∅, and anything longer than
    /// <see cref="MaxLength"/> cut with "…". Special tokens keep their names (e.g. &lt;bos&gt;).
    /// </summary>
    public static string For(ITokenizer tokenizer, int id) => Visible(tokenizer.Decode([id]));

    /// <summary>
    /// Makes the blanks and control characters of <paramref name="text"/> visible (see <see cref="For(ITokenizer, int)"/>).
    /// </summary>
    public static string Visible(string text)
    {
        if (text.Length == 0) return "∅";
        var label = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value == ' ') label.Append('␣');
            else if (rune.Value == '\n') label.Append('⏎');
            else if (rune.Value == '\t') label.Append('⇥');
            else if (Rune.IsControl(rune) || Rune.GetUnicodeCategory(rune) == System.Globalization.UnicodeCategory.Format)
                label.Append($"U+{rune.Value:X4}");
            else label.Append(rune.ToString());
        }
        string result = label.ToString();
        var info = new System.Globalization.StringInfo(result);
        return info.LengthInTextElements <= MaxLength ? result : info.SubstringByTextElements(0, MaxLength - 1) + "…";
    }
}
