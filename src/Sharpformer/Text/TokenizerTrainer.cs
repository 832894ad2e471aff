namespace Sharpformer.Text;

/// <summary>Trains a tokenizer of a type named as in tokenizer.json.</summary>
public static class TokenizerTrainer
{
    /// <summary>The types <see cref="Train"/> accepts.</summary>
    public static IReadOnlyList<string> Types { get; } = ["bpe", "char", "word"];

    /// <summary>
    /// Trains a "bpe", "char" or "word" tokenizer on <paramref name="texts"/>; <paramref name="progress"/>
    /// receives a line per phase (BPE only).
    /// </summary>
    public static ITokenizer Train(string type, IEnumerable<string> texts, TokenizerTrainingOptions options,
        Action<string>? progress = null) => type switch
    {
        "bpe" => BpeTrainer.Train(texts, options, progress),
        "char" => CharTokenizer.Train(texts, options),
        "word" => WordTokenizer.Train(texts, options),
        _ => throw new ArgumentException($"unknown tokenizer type '{type}' (expected {string.Join(", ", Types)})"),
    };
}
