using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Generation;

/// <summary>
/// The loop shared by greedy decoding and sampling: one token per row per step, chosen from the row's logits,
/// until eos or the limit.
/// </summary>
internal static class TokenByToken
{
    /// <summary>The token row <paramref name="row"/> takes, from its logits.</summary>
    public delegate int Choose(ReadOnlySpan<float> logits, int row);

    public static Hypothesis[] Decode(Transformer model, Tensor source, int maxLength, bool useCache, Choose choose,
                                      DecodingControls controls)
    {
        using var memory = DecodingMemory.Enter(useCache);
        var decoder = new IncrementalDecoder(model, source, useCache);
        int rows = decoder.Rows, vocab = decoder.Vocab;
        var tokens = Enumerable.Range(0, rows).Select(_ => new List<int>()).ToArray();
        var scores = new double[rows];
        var ended = new bool[rows];
        var scratch = new double[vocab];
        int[]? last = null;
        for (int step = 0; step < maxLength && !ended.All(e => e); step++)
        {
            controls.Cancellation.ThrowIfCancellationRequested();
            var logits = decoder.NextLogits(last);
            last = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                if (ended[r])
                {
                    last[r] = model.Config.PadId;
                    continue;
                }
                var row = logits.AsSpan(r * vocab, vocab);
                controls.Forbid(row, model.Config);
                int next = choose(row, r);
                scores[r] += row[next] - LogProbabilities.LogSumExp(row, scratch);
                if (next == model.Config.EosId) ended[r] = true;
                else tokens[r].Add(next);
                last[r] = next;
            }
        }
        return [.. Enumerable.Range(0, rows).Select(r => new Hypothesis([.. tokens[r]], (float)scores[r], ended[r]))];
    }
}
