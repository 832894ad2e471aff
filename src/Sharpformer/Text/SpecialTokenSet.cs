namespace Sharpformer.Text;

/// <summary>A special token: a control symbol with a fixed id that ordinary text never produces.</summary>
/// <param name="Text">Its name, e.g. "&lt;eos&gt;".</param>
/// <param name="Id">Its id in the vocabulary.</param>
public readonly record struct SpecialToken(string Text, int Id);

/// <summary>
/// The special tokens of a vocabulary, with the roles the model needs. Sharpformer's own vocabularies
/// start with <c>&lt;pad&gt; &lt;bos&gt; &lt;eos&gt; &lt;unk&gt;</c> (ids 0–3, see <see cref="SpecialTokens"/>);
/// GPT-2's has only <c>&lt;|endoftext|&gt;</c>, which serves as both beginning and end, and RoBERTa's and BART's
/// begin with <c>&lt;s&gt;</c> and end with <c>&lt;/s&gt;</c>.
/// </summary>
public sealed class SpecialTokenSet
{
    private readonly Dictionary<int, string> _byId;

    /// <summary>A set of special tokens; names and ids must be distinct and ids non-negative.</summary>
    public SpecialTokenSet(IEnumerable<SpecialToken> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        All = [.. tokens];
        _byId = [];
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var token in All)
        {
            if (string.IsNullOrEmpty(token.Text)) throw new ArgumentException("a special token needs a non-empty name");
            if (token.Id < 0) throw new ArgumentException($"special token '{token.Text}' has a negative id {token.Id}");
            if (!names.Add(token.Text)) throw new ArgumentException($"special token '{token.Text}' appears twice");
            if (!_byId.TryAdd(token.Id, token.Text))
                throw new ArgumentException($"special tokens '{_byId[token.Id]}' and '{token.Text}' share id {token.Id}");
        }
        Pad = IdOf("<pad>");
        Bos = IdOf("<bos>") ?? IdOf("<s>") ?? IdOf("<|endoftext|>");
        Eos = IdOf("<eos>") ?? IdOf("</s>") ?? IdOf("<|endoftext|>");
        Unk = IdOf("<unk>");
    }

    /// <summary>Sharpformer's reserved tokens followed by <paramref name="extra"/> ones, numbered from 0.</summary>
    public static SpecialTokenSet Reserved(IEnumerable<string>? extra = null) =>
        new([.. SpecialTokens.Names.Concat(extra ?? []).Select((name, id) => new SpecialToken(name, id))]);

    /// <summary>Every special token, in the order given.</summary>
    public IReadOnlyList<SpecialToken> All { get; }

    /// <summary>Id of <c>&lt;pad&gt;</c>, if the vocabulary has it.</summary>
    public int? Pad { get; }

    /// <summary>Id of <c>&lt;bos&gt;</c> (or <c>&lt;s&gt;</c>, or GPT-2's <c>&lt;|endoftext|&gt;</c>), if any.</summary>
    public int? Bos { get; }

    /// <summary>Id of <c>&lt;eos&gt;</c> (or <c>&lt;/s&gt;</c>, or GPT-2's <c>&lt;|endoftext|&gt;</c>), if any.</summary>
    public int? Eos { get; }

    /// <summary>Id of <c>&lt;unk&gt;</c>, if any; character and word vocabularies map unseen pieces to it.</summary>
    public int? Unk { get; }

    /// <summary>Whether <paramref name="id"/> is a special token's, and its name if so.</summary>
    public bool TryGetText(int id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? text) => _byId.TryGetValue(id, out text);

    /// <summary>The id of the special token named <paramref name="text"/>, or null.</summary>
    public int? IdOf(string text)
    {
        foreach (var token in All)
        {
            if (token.Text == text) return token.Id;
        }
        return null;
    }
}
