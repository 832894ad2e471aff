using Sharpformer.Data;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Generation;

/// <summary>Greedy decoding: at each step take the most likely token, until eos or the length limit.</summary>
public static class Greedy
{
    /// <summary>source: [B, S] ids → one hypothesis per row, at most <paramref name="maxLength"/> tokens.</summary>
    public static Hypothesis[] Decode(Transformer model, Tensor source, int maxLength, bool useCache = true)
    {
        var decoder = new IncrementalDecoder(model, source, useCache);
        int rows = decoder.Rows, vocab = decoder.Vocab;
        var tokens = Enumerable.Range(0, rows).Select(_ => new List<int>()).ToArray();
        var scores = new double[rows];
        var ended = new bool[rows];
        int[]? last = null;
        for (int step = 0; step < maxLength && !ended.All(e => e); step++)
        {
            var logits = decoder.NextLogits(last);
            last = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                if (ended[r])
                {
                    last[r] = SpecialTokens.Pad;
                    continue;
                }
                var row = logits.AsSpan(r * vocab, vocab);
                int next = LogProbabilities.ArgMax(row);
                scores[r] += LogProbabilities.Row(row)[next];
                if (next == SpecialTokens.Eos) ended[r] = true;
                else tokens[r].Add(next);
                last[r] = next;
            }
        }
        return [.. Enumerable.Range(0, rows).Select(r => new Hypothesis([.. tokens[r]], (float)scores[r], ended[r]))];
    }
}
