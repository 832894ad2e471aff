using System.Text;
using Sharpformer.IO;

namespace Sharpformer.Data;

/// <summary>The pairs read from a TSV file and how many bad lines were skipped.</summary>
public sealed record TsvContent(IReadOnlyList<(string Source, string Target)> Pairs, int SkippedLines);

/// <summary>
/// Reads a parallel corpus in the contract's TSV format: UTF-8, one pair per line, <c>source&lt;TAB&gt;target</c>.
/// A line without exactly one tab, with an empty side, or with invalid UTF-8 is an error naming the file
/// and line, or (with skipBadLines) is skipped and counted. Empty lines are ignored; a trailing \r is removed.
/// </summary>
public static class TsvReader
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads <paramref name="path"/>.</summary>
    public static TsvContent Read(string path, bool skipBadLines = false)
    {
        byte[] bytes = FileBytes.Read(path);
        var pairs = new List<(string, string)>();
        int skipped = 0, lineNumber = 0, start = 0;
        if (bytes.AsSpan().StartsWith("\uFEFF"u8)) start = 3;
        while (start < bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) end = bytes.Length;
            lineNumber++;
            var raw = bytes.AsSpan(start, end - start);
            if (raw.EndsWith("\r"u8)) raw = raw[..^1];
            start = end + 1;
            if (raw.IsEmpty) continue;
            string? problem = Parse(raw, out var pair);
            if (problem is null)
            {
                pairs.Add(pair);
                continue;
            }
            if (!skipBadLines) throw new InvalidFileException(path, lineNumber, problem);
            skipped++;
        }
        return new TsvContent(pairs, skipped);
    }

    private static string? Parse(ReadOnlySpan<byte> raw, out (string, string) pair)
    {
        pair = default;
        string line;
        try
        {
            line = Strict.GetString(raw);
        }
        catch (DecoderFallbackException)
        {
            return "invalid UTF-8";
        }
        int tab = line.IndexOf('\t');
        if (tab < 0 || line.IndexOf('\t', tab + 1) >= 0)
            return $"expected exactly one tab (source<TAB>target), found {line.Count(c => c == '\t')}";
        string source = line[..tab], target = line[(tab + 1)..];
        if (string.IsNullOrWhiteSpace(source)) return "the source side is empty";
        if (string.IsNullOrWhiteSpace(target)) return "the target side is empty";
        pair = (source, target);
        return null;
    }
}
