using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Generation;

/// <summary>Greedy decoding: at each step take the most likely token, until eos or the length limit.</summary>
public static class Greedy
{
    /// <summary>
    /// source: [B, S] ids → one hypothesis per row, at most <paramref name="maxLength"/> tokens (see
    /// <see cref="DecodingControls"/> for <paramref name="controls"/>).
    /// </summary>
    public static Hypothesis[] Decode(Transformer model, Tensor source, int maxLength, bool useCache = true,
                                      DecodingControls controls = default) =>
        TokenByToken.Decode(model, source, maxLength, useCache, (logits, _) => LogProbabilities.ArgMax(logits), controls);
}
