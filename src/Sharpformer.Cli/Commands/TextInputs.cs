using Sharpformer.IO;

namespace Sharpformer.Cli.Commands;

/// <summary>
/// The texts of tokenizer training inputs: every line of a plain text file, and every tab-separated
/// field of every line of a file whose name ends in ".tsv" (so both sides of a translation corpus count,
/// and no token spans a tab). Line breaks are not part of the texts.
/// </summary>
internal static class TextInputs
{
    /// <summary>Checks that every file exists, then streams their texts; invalid UTF-8 is an error naming the file.</summary>
    public static IEnumerable<string> Read(IReadOnlyList<string> paths)
    {
        foreach (string path in paths)
        {
            if (!File.Exists(path)) throw InvalidFileException.Missing(path);
        }
        return paths.SelectMany(ReadFile);
    }

    /// <summary>
    /// <paramref name="text"/> on one line (line breaks become spaces), for output that promises a line per input: a sampled
    /// translation may hold a line-break token.
    /// </summary>
    public static string OneLine(string text) => text.Contains('\n') || text.Contains('\r')
        ? text.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ').Replace('\r', ' ')
        : text;

    /// <summary>The texts of one file (read whole, so invalid UTF-8 is reported on its exact line).</summary>
    public static IEnumerable<string> ReadFile(string path)
    {
        bool tsv = path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase);
        string[] lines = TextFile.ReadAll(path).Split('\n');
        foreach (string line in lines.Length > 0 && lines[^1].Length == 0 ? lines[..^1] : lines)
        {
            string text = line.EndsWith('\r') ? line[..^1] : line;
            if (!tsv) yield return text;
            else
            {
                foreach (string field in text.Split('\t')) yield return field;
            }
        }
    }
}
