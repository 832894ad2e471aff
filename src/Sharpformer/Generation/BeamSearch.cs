using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Generation;

/// <summary>
/// Beam search over all rows at once (B × K decoder rows). Each step extends every live beam by every
/// token, keeps the K best continuations per example, and sets aside an ended hypothesis when an eos
/// candidate ranks among the K best. An example stops when K hypotheses have ended and no live beam
/// can beat the worst of them any more (or at the length limit, where live beams are taken as they are).
/// Hypotheses are ranked by log-probability divided by GNMT's length penalty ((5 + length) / 6)^α,
/// length counting eos.
/// </summary>
public static class BeamSearch
{
    /// <summary>source: [B, S] ids → the best hypothesis per row.</summary>
    public static Hypothesis[] Decode(Transformer model, Tensor source, int beamSize, int maxLength, float lengthPenalty = 0.6f,
                                      bool useCache = true, DecodingControls controls = default) =>
        [.. DecodeNBest(model, source, beamSize, maxLength, 1, lengthPenalty, useCache, controls).Select(best => best[0])];

    /// <summary>
    /// source: [B, S] ids → the <paramref name="nBest"/> best hypotheses per row (at most
    /// <paramref name="beamSize"/>), best first (see <see cref="DecodingControls"/> for <paramref name="controls"/>).
    /// </summary>
    public static Hypothesis[][] DecodeNBest(Transformer model, Tensor source, int beamSize, int maxLength, int nBest,
                                             float lengthPenalty = 0.6f, bool useCache = true, DecodingControls controls = default)
    {
        if (nBest < 1 || nBest > beamSize)
            throw new ArgumentOutOfRangeException(nameof(nBest), $"n-best {nBest} must be from 1 to the beam size {beamSize}");
        if (beamSize < 1) throw new ArgumentOutOfRangeException(nameof(beamSize), $"beam size {beamSize} must be at least 1");
        int batch = source.Size(0), k = beamSize, padId = model.Config.PadId;
        using var memory = DecodingMemory.Enter(useCache);
        var expanded = source.IndexSelect(0, [.. Enumerable.Range(0, batch * k).Select(r => r / k)]);
        var decoder = new IncrementalDecoder(model, expanded, useCache);
        int vocab = decoder.Vocab, rows = batch * k;

        // Decoder row r holds beam r % k of example r / k; only the first beam of each example starts live.
        var beams = Enumerable.Range(0, rows).Select(r => new Beam(r, padId, r % k == 0 ? 0.0 : double.NegativeInfinity, [])).ToArray();
        var finished = Enumerable.Range(0, batch).Select(_ => new List<Hypothesis>()).ToArray();
        var done = new bool[batch];
        for (int step = 0; step < maxLength && !done.All(d => d); step++)
        {
            controls.Cancellation.ThrowIfCancellationRequested();
            var logits = decoder.NextLogits(step == 0 ? null : [.. beams.Select(beam => beam.Token)]);
            for (int r = 0; r < rows; r++) controls.Forbid(logits.AsSpan(r * vocab, vocab), model.Config);
            var logProbs = Enumerable.Range(0, rows).Select(r => LogProbabilities.Row(logits.AsSpan(r * vocab, vocab))).ToArray();
            var next = new Beam[rows];
            for (int b = 0; b < batch; b++)
            {
                int first = b * k;
                if (done[b])
                {
                    for (int j = 0; j < k; j++) next[first + j] = beams[first + j].Dead(first + j, padId);
                    continue;
                }
                int filled = 0, rank = 0;
                foreach (var (row, token, score) in Candidates(logProbs, beams, first, k, vocab, 2 * k))
                {
                    var tokens = beams[row].Tokens;
                    if (token == model.Config.EosId)
                    {
                        // An ended hypothesis counts only if it ranks among the K best candidates.
                        if (rank++ < k)
                            Keep(finished[b], new Hypothesis(tokens, Normalize(score, tokens.Length + 1, lengthPenalty), true), k);
                        continue;
                    }
                    rank++;
                    if (filled == k) continue;
                    next[first + filled++] = new Beam(row, token, score, [.. tokens, token]);
                }
                for (; filled < k; filled++) next[first + filled] = beams[first].Dead(first, padId);
                // Done when K hypotheses have ended and no live beam could still beat the worst of them.
                double bestLive = next.AsSpan(first, k).ToArray().Max(beam => beam.Score);
                done[b] = finished[b].Count == k && (double.IsNegativeInfinity(bestLive)
                    || Normalize(bestLive, step + 1, lengthPenalty) <= finished[b].Min(h => h.Score));
            }
            decoder.Reorder([.. next.Select(beam => beam.Row)]);
            beams = next;
        }
        var result = new Hypothesis[batch][];
        for (int b = 0; b < batch; b++)
        {
            if (!done[b])
                foreach (var beam in beams.AsSpan(b * k, k))
                    if (beam.IsLive)
                        finished[b].Add(new Hypothesis(beam.Tokens, Normalize(beam.Score, beam.Tokens.Length, lengthPenalty), false));
            result[b] = [.. finished[b].OrderByDescending(h => h.Score).Take(nBest)];
        }
        return result;
    }

    /// <summary>
    /// One live (or dead) beam of a decoding step: the decoder row it continues, the token it feeds next,
    /// its total log-probability, and its output so far.
    /// </summary>
    private readonly record struct Beam(int Row, int Token, double Score, int[] Tokens)
    {
        public bool IsLive => !double.IsNegativeInfinity(Score);

        // A placeholder that keeps a decoder row busy (fed padding) and can never win.
        public Beam Dead(int row, int padId) => new(row, padId, double.NegativeInfinity, Tokens);
    }

    // Adds an ended hypothesis, keeping only the k best.
    private static void Keep(List<Hypothesis> finished, Hypothesis hypothesis, int k)
    {
        finished.Add(hypothesis);
        if (finished.Count > k) finished.Remove(finished.MinBy(h => h.Score)!);
    }

    /// <summary>GNMT length normalization: log-probability / ((5 + length) / 6)^α.</summary>
    public static float Normalize(double logProbability, int length, float alpha) =>
        (float)(logProbability / Math.Pow((5.0 + length) / 6.0, alpha));

    // The best `count` (row, token, total score) extensions of example rows [first, first + k), best first.
    private static List<(int Row, int Token, double Score)> Candidates(double[][] logProbs, Beam[] beams, int first, int k, int vocab,
                                                                       int count)
    {
        var best = new PriorityQueue<(int Row, int Token, double Score), double>();
        for (int row = first; row < first + k; row++)
        {
            if (!beams[row].IsLive) continue;
            for (int t = 0; t < vocab; t++)
            {
                double score = beams[row].Score + logProbs[row][t];
                if (best.Count < count) best.Enqueue((row, t, score), score);
                else if (score > best.Peek().Score)
                {
                    best.Dequeue();
                    best.Enqueue((row, t, score), score);
                }
            }
        }
        var list = new List<(int Row, int Token, double Score)>(best.Count);
        while (best.Count > 0) list.Add(best.Dequeue());
        list.Reverse();
        return list;
    }
}
