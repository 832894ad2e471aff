using System.Text;

namespace Sharpformer.Evaluation;

/// <summary>
/// The few string operations sacreBLEU's metrics lean on, with Python's meaning so that scores agree:
/// <c>str.split()</c> / <c>str.rstrip()</c> use Python's whitespace set (wider than <see cref="char.IsWhiteSpace(char)"/>:
/// it also holds U+001C–U+001F), and text is indexed by code point, not by UTF-16 unit.
/// </summary>
internal static class PythonText
{
    /// <summary>True for the characters Python's <c>str.isspace()</c> accepts (all lie in the BMP).</summary>
    public static bool IsSpace(char c) => c switch
    {
        >= '\t' and <= '\r' => true,
        >= '\u001C' and <= '\u0020' => true,
        '\u0085' or '\u00A0' or '\u1680' => true,
        >= '\u2000' and <= '\u200A' => true,
        '\u2028' or '\u2029' or '\u202F' or '\u205F' or '\u3000' => true,
        _ => false,
    };

    /// <summary>Python's <c>s.split()</c>: runs of whitespace separate, no empty pieces.</summary>
    public static List<string> Split(string s)
    {
        var pieces = new List<string>();
        int start = -1;
        for (int i = 0; i <= s.Length; i++)
        {
            bool space = i == s.Length || IsSpace(s[i]);
            if (space && start >= 0) { pieces.Add(s[start..i]); start = -1; }
            else if (!space && start < 0) start = i;
        }
        return pieces;
    }

    /// <summary>Python's <c>s.rstrip()</c>.</summary>
    public static string RStrip(string s)
    {
        int end = s.Length;
        while (end > 0 && IsSpace(s[end - 1])) end--;
        return s[..end];
    }

    /// <summary>Python's <c>''.join(s.split())</c>: the text with every whitespace character removed.</summary>
    public static string RemoveSpaces(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (char c in s) if (!IsSpace(c)) sb.Append(c);
        return sb.ToString();
    }

    /// <summary>The code points of <paramref name="s"/> (a lone surrogate stands for itself, as in Python).</summary>
    public static int[] CodePoints(string s)
    {
        var points = new List<int>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                points.Add(char.ConvertToUtf32(s[i], s[i + 1]));
                i++;
            }
            else points.Add(s[i]);
        }
        return points.ToArray();
    }
}
