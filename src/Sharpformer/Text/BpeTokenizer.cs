using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace Sharpformer.Text;

/// <summary>
/// Byte-level BPE: text is cut into pieces by GPT-2's pre-tokenizer, each piece's UTF-8 bytes start as
/// one token per byte, and merges are applied lowest rank first (leftmost first among equals) until none
/// applies. Every byte value has a token, so every text round-trips exactly and no id is unknown; a lone
/// surrogate (not encodable in UTF-8) becomes U+FFFD. Encoding caches the ids of each distinct piece and is
/// safe to call from several threads.
/// </summary>
public sealed partial class BpeTokenizer : ITokenizer
{
    private const int MaxCachedPieceLength = 64;
    private const int MaxCacheEntries = 1 << 20;

    private readonly byte[]?[] _tokenBytes;
    private readonly int[] _byteIds = new int[256];
    private readonly (int Left, int Right)[] _merges;
    private readonly int[] _mergeResults;
    private readonly MergeTable _mergeTable = new();
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private int _cacheEntries;

    /// <summary>
    /// A tokenizer from its parts: the bytes of each ordinary token (null at special ids), and the merges in
    /// rank order as (left, right, result) ids, where result's bytes are left's followed by right's.
    /// </summary>
    internal BpeTokenizer(byte[]?[] tokenBytes, IReadOnlyList<(int Left, int Right, int Result)> merges, SpecialTokenSet specialTokens)
    {
        _tokenBytes = tokenBytes;
        SpecialTokens = specialTokens;
        Array.Fill(_byteIds, -1);
        for (int id = 0; id < tokenBytes.Length; id++)
        {
            bool special = specialTokens.TryGetText(id, out _);
            if (special != (tokenBytes[id] is null))
                throw new ArgumentException($"token {id} must be {(special ? "a special token" : "a byte sequence")}");
            if (tokenBytes[id] is { Length: 0 }) throw new ArgumentException($"token {id} is empty");
            if (tokenBytes[id] is { Length: 1 } single)
            {
                if (_byteIds[single[0]] >= 0)
                    throw new ArgumentException($"byte 0x{single[0]:X2} has two tokens ({_byteIds[single[0]]} and {id})");
                _byteIds[single[0]] = id;
            }
        }
        int missing = Array.IndexOf(_byteIds, -1);
        if (missing >= 0) throw new ArgumentException($"byte 0x{missing:X2} has no token");

        _merges = new (int, int)[merges.Count];
        _mergeResults = new int[merges.Count];
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right, result) = merges[rank];
            if (!IsOrdinary(left) || !IsOrdinary(right) || !IsOrdinary(result))
                throw new ArgumentException($"merge {rank} refers to an id that is not an ordinary token");
            if (!_tokenBytes[result].AsSpan().SequenceEqual([.. _tokenBytes[left]!, .. _tokenBytes[right]!]))
                throw new ArgumentException($"merge {rank}: token {result} is not token {left} followed by token {right}");
            if (!_mergeTable.TryAdd(left, right, result)) throw new ArgumentException($"merge {rank} repeats the pair ({left}, {right})");
            (_merges[rank], _mergeResults[rank]) = ((left, right), result);
        }
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <inheritdoc/>
    public string Type => "bpe";

    /// <inheritdoc/>
    public int VocabSize => _tokenBytes.Length;

    /// <inheritdoc/>
    public SpecialTokenSet SpecialTokens { get; }

    /// <summary>The merges in rank order, as pairs of token ids.</summary>
    public IReadOnlyList<(int Left, int Right)> Merges => _merges;

    /// <summary>
    /// This tokenizer with <paramref name="names"/> as new special tokens after its last id (every other id stays):
    /// how a vocabulary without &lt;pad&gt;, such as GPT-2's, gets one.
    /// </summary>
    public BpeTokenizer WithSpecialTokens(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var added = names.Select((name, i) => new SpecialToken(name, VocabSize + i)).ToArray();
        var bytes = new byte[]?[VocabSize + added.Length];
        Array.Copy(_tokenBytes, bytes, VocabSize);
        var merges = _merges.Select((merge, rank) => (merge.Left, merge.Right, _mergeResults[rank])).ToArray();
        return new BpeTokenizer(bytes, merges, new SpecialTokenSet([.. SpecialTokens.All, .. added]));
    }

    /// <summary>The bytes of ordinary token <paramref name="id"/>; empty for a special token.</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) => _tokenBytes[CheckedId(id, nameof(id))];

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 1);
        ReadOnlySpan<char> span = text;
        for (int start = 0; start < span.Length;)
        {
            int end = Gpt2PreTokenizer.PieceEnd(span, start);
            ids.AddRange(EncodePiece(span[start..end]));
            start = end;
        }
        return [.. ids];
    }

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new ArrayBufferWriter<byte>(ids.Length * 4 + 16);
        foreach (int id in ids)
        {
            if (_tokenBytes[CheckedId(id, nameof(ids))] is { } token) bytes.Write(token);
            else
            {
                SpecialTokens.TryGetText(id, out string? name);
                bytes.Write(Encoding.UTF8.GetBytes(name!));
            }
        }
        return Encoding.UTF8.GetString(bytes.WrittenSpan);
    }

    /// <inheritdoc/>
    public void Save(string path)
    {
        var tokens = new string[_tokenBytes.Length];
        for (int id = 0; id < tokens.Length; id++)
        {
            SpecialTokens.TryGetText(id, out string? name);
            tokens[id] = _tokenBytes[id] is { } bytes ? ByteUnicode.Encode(bytes) : name!;
        }
        var merges = _merges.Select(merge => $"{tokens[merge.Left]} {tokens[merge.Right]}").ToArray();
        TokenizerFile.Write(path, Type, SpecialTokens, tokens, merges);
    }

    private ReadOnlySpan<int> EncodePiece(ReadOnlySpan<char> piece)
    {
        if (_cacheLookup.TryGetValue(piece, out int[]? cached)) return cached;
        int[] ids = MergeBytes(piece);
        if (piece.Length <= MaxCachedPieceLength)
        {
            // ConcurrentDictionary.Count takes every lock, so the size is tracked here.
            if (Interlocked.Increment(ref _cacheEntries) > MaxCacheEntries)
            {
                _cache.Clear();
                Interlocked.Exchange(ref _cacheEntries, 0);
            }
            _cacheLookup.TryAdd(piece, ids);
        }
        return ids;
    }

    // The piece's bytes as byte tokens, merged.
    private int[] MergeBytes(ReadOnlySpan<char> piece)
    {
        int length = Encoding.UTF8.GetByteCount(piece);
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Encoding.UTF8.GetBytes(piece, rented);
            var symbols = new int[length];
            for (int i = 0; i < length; i++) symbols[i] = _byteIds[rented[i]];
            return _mergeTable.Apply(symbols);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private bool IsOrdinary(int id) => (uint)id < (uint)_tokenBytes.Length && _tokenBytes[id] is not null;

    private int CheckedId(int id, string parameter) =>
        (uint)id < (uint)_tokenBytes.Length ? id
            : throw new ArgumentOutOfRangeException(parameter, $"token id {id} is outside the vocabulary [0, {_tokenBytes.Length})");
}
