using System.Text;
using Sharpformer.Text;

namespace Sharpformer.Exercises.Week11;

/// <summary>Week 11 with the library plugged in: its BPE trainer, and a tokenizer made from the merges.</summary>
public static class Bpe
{
    /// <summary>The library's merges for the words: the special tokens and the 256 bytes come first in its vocabulary.</summary>
    public static IReadOnlyList<(string Left, string Right)> LearnMerges(IReadOnlyList<string> words, int count)
    {
        var options = new TokenizerTrainingOptions { VocabSize = SpecialTokens.Count + 256 + count, MinFrequency = 2 };
        var tokenizer = BpeTrainer.Train(words, options);
        return [.. tokenizer.Merges.Select(m => (Text(tokenizer, m.Left), Text(tokenizer, m.Right)))];
    }

    /// <summary>The word encoded by a tokenizer whose vocabulary is the 256 bytes and then the merged symbols in order.</summary>
    public static string[] Encode(string word, IReadOnlyList<(string Left, string Right)> merges)
    {
        var lines = new StringBuilder();
        for (int b = 0; b < 256; b++) lines.AppendLine(Convert.ToBase64String([(byte)b]));
        foreach (var (left, right) in merges) lines.AppendLine(Convert.ToBase64String(Encoding.ASCII.GetBytes(left + right)));
        var tokenizer = BpeTokenizer.FromTiktoken(new StringReader(lines.ToString()), []);
        return [.. tokenizer.Encode(word).Select(id => Text(tokenizer, id))];
    }

    private static string Text(BpeTokenizer tokenizer, int id) => Encoding.ASCII.GetString(tokenizer.TokenBytes(id));
}
