using System.Text;

namespace Sharpformer.IO;

/// <summary>Reads a UTF-8 text file whole, strictly: invalid UTF-8 is an error naming the file and line, never replaced silently.</summary>
public static class TextFile
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The text of <paramref name="path"/> (a byte order mark is dropped).</summary>
    /// <exception cref="InvalidFileException">The file is missing, unreadable, or not valid UTF-8.</exception>
    public static string ReadAll(string path) => Decode(FileBytes.Read(path), path);

    /// <summary>Decodes file content strictly; <paramref name="path"/> names it in errors.</summary>
    public static string Decode(byte[] bytes, string path)
    {
        int start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        try
        {
            return Strict.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException)
        {
            var status = System.Text.Unicode.Utf8.ToUtf16(bytes.AsSpan(start), new char[bytes.Length], out int valid, out _, replaceInvalidSequences: false);
            int line = 1 + bytes.AsSpan(start, status == System.Buffers.OperationStatus.Done ? 0 : valid).Count((byte)'\n');
            throw new InvalidFileException(path, line, "not valid UTF-8");
        }
    }
}
