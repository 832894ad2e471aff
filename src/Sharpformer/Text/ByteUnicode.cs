namespace Sharpformer.Text;

/// <summary>
/// GPT-2's reversible mapping of the 256 byte values onto printable characters, used to write byte-level
/// tokens as readable strings in tokenizer.json: printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ')
/// stand for themselves, and the other bytes, in increasing order, take U+0100, U+0101, … (so a space is 'Ġ').
/// </summary>
internal static class ByteUnicode
{
    private static readonly char[] ByteToChar = BuildTable();
    private static readonly Dictionary<char, byte> CharToByte =
        Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    private static char[] BuildTable()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    /// <summary>The printable form of <paramref name="bytes"/>, one character per byte.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes) =>
        string.Create(bytes.Length, bytes.ToArray(), static (chars, source) =>
        {
            for (int i = 0; i < source.Length; i++) chars[i] = ByteToChar[source[i]];
        });

    /// <summary>The bytes that <paramref name="text"/> stands for, or null if it holds a character outside the mapping.</summary>
    public static byte[]? Decode(string text)
    {
        var bytes = new byte[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            if (!CharToByte.TryGetValue(text[i], out bytes[i])) return null;
        }
        return bytes;
    }
}
