using System.Text;
using Sharpformer.IO;

namespace Sharpformer.Cli.Commands;

/// <summary>
/// The texts of tokenizer training inputs: every line of a plain text file, and every tab-separated
/// field of every line of a file whose name ends in ".tsv" (so both sides of a translation corpus count,
/// and no token spans a tab). Line breaks are not part of the texts.
/// </summary>
internal static class TextInputs
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Checks that every file exists, then streams their texts; invalid UTF-8 is an error naming the file.</summary>
    public static IEnumerable<string> Read(IReadOnlyList<string> paths)
    {
        foreach (string path in paths)
        {
            if (!File.Exists(path)) throw InvalidFileException.Missing(path);
        }
        return paths.SelectMany(ReadFile);
    }

    /// <summary>The texts of one file.</summary>
    public static IEnumerable<string> ReadFile(string path)
    {
        bool tsv = path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase);
        using var reader = new StreamReader(path, StrictUtf8, detectEncodingFromByteOrderMarks: true);
        for (int lineNumber = 1; ; lineNumber++)
        {
            string? line;
            try
            {
                line = reader.ReadLine();
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidFileException(path, lineNumber, "invalid UTF-8 (at or shortly after this line)");
            }
            if (line is null) yield break;
            if (!tsv) yield return line;
            else
            {
                foreach (string field in line.Split('\t')) yield return field;
            }
        }
    }
}
