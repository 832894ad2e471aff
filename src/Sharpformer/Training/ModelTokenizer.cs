using System.Globalization;
using Sharpformer.Text;

namespace Sharpformer.Training;

/// <summary>
/// A given tokenizer made ready to train a model with: the model pads, starts decoding and ends sequences with special
/// tokens, so a vocabulary without them (GPT-2's has only &lt;|endoftext|&gt;, which begins and ends) gets them after
/// its last id, keeping every id it has.
/// </summary>
internal static class ModelTokenizer
{
    /// <summary><paramref name="tokenizer"/>, read from <paramref name="path"/>, with any special token it lacks added.</summary>
    public static ITokenizer From(ITokenizer tokenizer, string path, Action<string> log)
    {
        var specials = tokenizer.SpecialTokens;
        string[] missing = [.. new[] { ("<pad>", specials.Pad), ("<bos>", specials.Bos), ("<eos>", specials.Eos) }
            .Where(role => role.Item2 is null).Select(role => role.Item1)];
        if (missing.Length == 0) return tokenizer;
        if (tokenizer is not BpeTokenizer bpe)
            throw new ArgumentException($"{path}: a {tokenizer.Type} tokenizer needs {string.Join(", ", missing)} to train a model");
        var extended = bpe.WithSpecialTokens(missing);
        log(string.Create(CultureInfo.InvariantCulture,
            $"{path} has no {string.Join(", ", missing)}: added as special tokens with ids {bpe.VocabSize}" +
            $"{(missing.Length > 1 ? $"–{extended.VocabSize - 1}" : "")}, after its {bpe.VocabSize:N0} tokens"));
        return extended;
    }
}
