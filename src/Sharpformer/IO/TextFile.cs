using System.Text;

namespace Sharpformer.IO;

/// <summary>Reads a UTF-8 text file whole, strictly: invalid UTF-8 is an error naming the file and line, never replaced silently.</summary>
public static class TextFile
{
    /// <summary>The largest text file read (512 MiB: its string takes twice that).</summary>
    public const long MaxBytes = 512L << 20;

    /// <summary>The text of <paramref name="path"/> (a byte order mark is dropped).</summary>
    /// <exception cref="InvalidFileException">The file is missing, unreadable, too large, or not valid UTF-8.</exception>
    public static string ReadAll(string path) => Decode(FileBytes.Read(path, MaxBytes), path);

    // Decodes file content strictly; `path` names it in errors.
    private static string Decode(byte[] bytes, string path)
    {
        var text = bytes.AsSpan(bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0);
        int invalid = FirstInvalidUtf8(text);
        if (invalid >= 0) throw new InvalidFileException(path, 1 + text[..invalid].Count((byte)'\n'), "not valid UTF-8");
        return Encoding.UTF8.GetString(text);
    }

    /// <summary>The offset of the first byte that does not begin a valid UTF-8 sequence, or -1 when all are valid.</summary>
    public static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return -1;
        for (int at = 0; at < bytes.Length;)
        {
            if (Rune.DecodeFromUtf8(bytes[at..], out _, out int length) != System.Buffers.OperationStatus.Done) return at;
            at += length;
        }
        return -1;
    }
}
