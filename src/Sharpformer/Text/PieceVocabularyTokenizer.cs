using System.Runtime.InteropServices;
using System.Text;

namespace Sharpformer.Text;

/// <summary>
/// A tokenizer whose tokens are whole pieces of text (characters or words) looked up in a fixed
/// vocabulary; a piece outside it becomes <c>&lt;unk&gt;</c>. Text whose pieces are all in the
/// vocabulary round-trips exactly; an unknown piece decodes as "&lt;unk&gt;".
/// </summary>
public abstract class PieceVocabularyTokenizer : ITokenizer
{
    private readonly string[] _tokens;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _ids;
    private readonly int _unk;

    /// <summary>A vocabulary of <paramref name="tokens"/> (id = index); special ids hold their names.</summary>
    private protected PieceVocabularyTokenizer(IReadOnlyList<string> tokens, SpecialTokenSet specialTokens)
    {
        _tokens = [.. tokens];
        SpecialTokens = specialTokens;
        _unk = specialTokens.Unk ?? throw new ArgumentException("a vocabulary of whole pieces needs an <unk> token");
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < _tokens.Length; id++)
        {
            if (specialTokens.TryGetText(id, out string? name))
            {
                if (name != _tokens[id])
                    throw new ArgumentException($"token {id} is '{_tokens[id]}', but the special token with that id is '{name}'");
                continue;
            }
            if (_tokens[id].Length == 0) throw new ArgumentException($"token {id} is empty");
            if (!ids.TryAdd(_tokens[id], id))
                throw new ArgumentException($"token '{_tokens[id]}' appears twice (ids {ids[_tokens[id]]} and {id})");
        }
        foreach (var special in specialTokens.All)
        {
            if (special.Id >= _tokens.Length)
                throw new ArgumentException(
                    $"special token '{special.Text}' has id {special.Id}, outside the vocabulary of {_tokens.Length}");
        }
        _ids = ids.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <inheritdoc/>
    public abstract string Type { get; }

    /// <inheritdoc/>
    public int VocabSize => _tokens.Length;

    /// <inheritdoc/>
    public SpecialTokenSet SpecialTokens { get; }

    /// <summary>The tokens, by id.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>The end of the piece of <paramref name="text"/> that starts at <paramref name="start"/>.</summary>
    private protected abstract int PieceEnd(ReadOnlySpan<char> text, int start);

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 2 + 1);
        ReadOnlySpan<char> span = text;
        for (int start = 0; start < span.Length;)
        {
            int end = PieceEnd(span, start);
            ids.Add(_ids.TryGetValue(span[start..end], out int id) ? id : _unk);
            start = end;
        }
        return [.. ids];
    }

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var text = new StringBuilder();
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)_tokens.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside the vocabulary [0, {_tokens.Length})");
            text.Append(_tokens[id]);
        }
        return text.ToString();
    }

    /// <inheritdoc/>
    public void Save(string path) => TokenizerFile.Write(path, Type, SpecialTokens, _tokens, merges: null);

    /// <summary>
    /// Counts the pieces of <paramref name="texts"/> and keeps the most frequent ones seen at least
    /// <see cref="TokenizerTrainingOptions.MinFrequency"/> times, after the special tokens, up to
    /// <see cref="TokenizerTrainingOptions.VocabSize"/> ids in all (ties: ordinal order).
    /// </summary>
    private protected static string[] TrainVocabulary(IEnumerable<string> texts, TokenizerTrainingOptions options,
        PieceCounter.Splitter split)
    {
        var specials = options.Validate(minimumVocab: Text.SpecialTokens.Count + 1);
        var counts = PieceCounter.Count(texts, split);
        var kept = counts.Where(pair => pair.Value >= options.MinFrequency)
            .OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal)
            .Take(options.VocabSize - specials.All.Count).Select(pair => pair.Key);
        return [.. specials.All.Select(token => token.Text), .. kept];
    }
}

/// <summary>Counts the pieces a pre-tokenizer cuts texts into.</summary>
internal static class PieceCounter
{
    /// <summary>The end of the piece of <c>text</c> that starts at <c>start</c>.</summary>
    public delegate int Splitter(ReadOnlySpan<char> text, int start);

    /// <summary>Each distinct piece of <paramref name="texts"/> and how often it occurs.</summary>
    public static Dictionary<string, int> Count(IEnumerable<string> texts, Splitter split)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (string text in texts)
        {
            ReadOnlySpan<char> span = text;
            for (int start = 0; start < span.Length;)
            {
                int end = split(span, start);
                CollectionsMarshal.GetValueRefOrAddDefault(lookup, span[start..end], out _)++;
                start = end;
            }
        }
        return counts;
    }
}
