using System.Globalization;
using System.Text;

namespace Sharpformer.IO;

/// <summary>
/// A file that Sharpformer was asked to read is missing, unreadable or malformed. Every loader — config,
/// weights, tokenizer, trainer state, metrics, TSV and text — reports a bad file with this exception and
/// no other. Its message is one line, <c>FILE: problem</c> or <c>FILE:LINE: problem</c>, which the
/// command line prints as <c>sharpformer: FILE: problem</c>; text quoted from the file is escaped and
/// shortened (see <see cref="Quote"/>), never copied raw.
/// </summary>
public sealed class InvalidFileException : IOException
{
    /// <summary>A problem with the file at <paramref name="path"/> as a whole.</summary>
    public InvalidFileException(string path, string problem, Exception? innerException = null)
        : base($"{OneLine(path)}: {OneLine(problem)}", innerException)
    {
        FilePath = path;
        Problem = OneLine(problem);
    }

    /// <summary>A problem on line <paramref name="line"/> (1-based) of the file at <paramref name="path"/>.</summary>
    public InvalidFileException(string path, int line, string problem, Exception? innerException = null)
        : base(string.Create(CultureInfo.InvariantCulture, $"{OneLine(path)}:{line}: {OneLine(problem)}"), innerException)
    {
        FilePath = path;
        Line = line;
        Problem = OneLine(problem);
    }

    /// <summary>The file, as the caller named it.</summary>
    public string FilePath { get; }

    /// <summary>The 1-based line the problem is on, for line-oriented files.</summary>
    public int? Line { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }

    /// <summary>The file at <paramref name="path"/> does not exist.</summary>
    public static InvalidFileException Missing(string path, string what = "file") => new(path, $"no such {what}");

    /// <summary>
    /// Text from a file made safe for a one-line message: in single quotes, control and format characters
    /// (line breaks, tabs, bidirectional overrides) and unpaired surrogates escaped as \uXXXX, and cut to
    /// <paramref name="limit"/> characters.
    /// </summary>
    public static string Quote(string text, int limit = 60) => $"'{Escape(text, limit)}'";

    // Escapes what could break or disguise a one-line message; cuts after `limit` characters.
    private static string Escape(string text, int limit = int.MaxValue)
    {
        var result = new StringBuilder(Math.Min(text.Length, limit) + 8);
        for (int i = 0, shown = 0; i < text.Length; i++, shown++)
        {
            if (shown == limit)
            {
                result.Append("...");
                break;
            }
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                result.Append(c).Append(text[++i]);
            else if (NeedsEscape(c))
                result.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            else
                result.Append(c);
        }
        return result.ToString();
    }

    // A message must stay on one line, and short, whatever the text holds.
    private static string OneLine(string problem) =>
        problem.Length > MaxProblem || problem.Any(NeedsEscape) ? Escape(problem, MaxProblem) : problem;

    private const int MaxProblem = 400;

    private static bool NeedsEscape(char c) =>
        char.IsControl(c) || char.IsSurrogate(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
