using System.Text.RegularExpressions;

namespace Sharpformer.Evaluation;

/// <summary>
/// sacreBLEU's default BLEU tokenizer, <c>13a</c>: the tokenization of WMT's mteval-v13a.pl script.
/// It does not lowercase. Steps, in order:
/// <list type="number">
/// <item>drop <c>&lt;skipped&gt;</c>, join lines broken after a hyphen (<c>-\n</c> → nothing), other
/// newlines become spaces, and the entities <c>&amp;quot; &amp;amp; &amp;lt; &amp;gt;</c> are unescaped;</item>
/// <item>every ASCII symbol except <c>' , - .</c> gets spaces around it
/// (<c>{|}~ [\]^_` !"#$%&amp; ()*+ :;&lt;=&gt;?@ /</c>);</item>
/// <item>a period or comma is split off unless it sits between digits: first when it follows a
/// non-digit, then when a non-digit follows it (so <c>1,000.5</c> stays whole, <c>end.</c> splits);</item>
/// <item>a dash after a digit is split off (<c>2-3</c> → <c>2 - 3</c>; <c>well-known</c> stays);</item>
/// <item>whitespace is collapsed to single spaces and trimmed.</item>
/// </list>
/// Each regex step is applied once, left to right over non-overlapping matches, as Python's
/// <c>re.sub</c> does; whitespace is Python's (see <see cref="PythonText"/>).
/// </summary>
public static class Tokenizer13a
{
    // The ASCII symbols of step 2, written as code-point ranges: { to ~, [ to `, space to &, ( to +, : to @, and /.
    private static readonly Regex Symbols =
        new(@"([\u007B-\u007E\u005B-\u0060\u0020-\u0026\u0028-\u002B\u003A-\u0040/])", RegexOptions.CultureInvariant);
    private static readonly Regex PeriodCommaAfterNonDigit = new(@"([^0-9])([.,])", RegexOptions.CultureInvariant);
    private static readonly Regex PeriodCommaBeforeNonDigit = new(@"([.,])([^0-9])", RegexOptions.CultureInvariant);
    private static readonly Regex DashAfterDigit = new(@"([0-9])(-)", RegexOptions.CultureInvariant);

    /// <summary>The tokenized line, tokens separated by single spaces.</summary>
    public static string Tokenize(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        line = line.Replace("<skipped>", "", StringComparison.Ordinal)
            .Replace("-\n", "", StringComparison.Ordinal)
            .Replace("\n", " ", StringComparison.Ordinal)
            .Replace("&quot;", "\"", StringComparison.Ordinal)
            .Replace("&amp;", "&", StringComparison.Ordinal)
            .Replace("&lt;", "<", StringComparison.Ordinal)
            .Replace("&gt;", ">", StringComparison.Ordinal);
        line = " " + line + " ";
        line = Symbols.Replace(line, " $1 ");
        line = PeriodCommaAfterNonDigit.Replace(line, "$1 $2 ");
        line = PeriodCommaBeforeNonDigit.Replace(line, " $1 $2");
        line = DashAfterDigit.Replace(line, "$1 $2 ");
        return string.Join(' ', PythonText.Split(line));
    }

    /// <summary>The tokens of <paramref name="line"/> under <see cref="Tokenize"/>.</summary>
    public static List<string> Tokens(string line) => PythonText.Split(Tokenize(line));
}
