using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Generation;

/// <summary>
/// The loop shared by greedy decoding and sampling: one token per row per step, chosen from the row's logits,
/// until eos or the limit. A row that ends leaves the decoder's batch, so a batch costs what its live rows cost
/// rather than its longest row times its size.
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
        int[] live = [.. Enumerable.Range(0, rows)];   // decoder row i decodes row live[i]
        int[]? last = null;
        for (int step = 0; step < maxLength && live.Length > 0; step++)
        {
            controls.Cancellation.ThrowIfCancellationRequested();
            var logits = decoder.NextLogits(last);
            var staying = new List<int>(live.Length);
            var fed = new List<int>(live.Length);
            for (int i = 0; i < live.Length; i++)
            {
                int r = live[i];
                var row = logits.AsSpan(i * vocab, vocab);
                controls.Forbid(row, model.Config);
                int next = choose(row, r);
                scores[r] += row[next] - LogProbabilities.LogSumExp(row, scratch);
                if (next == model.Config.EosId)
                {
                    ended[r] = true;
                    continue;
                }
                tokens[r].Add(next);
                staying.Add(i);
                fed.Add(next);
            }
            if (staying.Count < live.Length && staying.Count > 0) decoder.Reorder([.. staying]);
            live = [.. staying.Select(i => live[i])];
            last = [.. fed];
        }
        return [.. Enumerable.Range(0, rows).Select(r => new Hypothesis([.. tokens[r]], (float)scores[r], ended[r]))];
    }
}
