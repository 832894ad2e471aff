using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Generation;

/// <summary>Ancestral sampling with temperature, top-k and top-p (nucleus) filtering, from a seeded generator.</summary>
public static class Sampler
{
    /// <summary>
    /// source: [B, S] ids → one sampled hypothesis per row (score: the sum of the sampled tokens' model
    /// log-probabilities; see <see cref="DecodingControls"/> for <paramref name="controls"/>). Each row draws from
    /// its own generator, seeded in row order from <paramref name="rng"/>, so a text's sample depends on how many
    /// texts came before it from the same generator, never on how they were batched.
    /// </summary>
    public static Hypothesis[] Decode(Transformer model, Tensor source, SamplingOptions options, Rng rng, int maxLength,
        bool useCache = true, DecodingControls controls = default)
    {
        options.Validate();
        var rows = Enumerable.Range(0, source.Size(0)).Select(_ => new Rng(rng.NextUInt64())).ToArray();
        return TokenByToken.Decode(model, source, maxLength, useCache, (logits, row) => Choose(logits, options, rows[row]), controls);
    }

    /// <summary>Draws one token id from a row of logits under <paramref name="options"/>.</summary>
    public static int Choose(ReadOnlySpan<float> logits, SamplingOptions options, Rng rng)
    {
        if (options.Temperature == 0f) return LogProbabilities.ArgMax(logits);
        // The largest logit is subtracted before dividing: a tiny temperature then gives −∞ and 0, never an overflow to +∞
        // (whose probabilities would be NaN), and the distribution is the same.
        float max = logits[LogProbabilities.ArgMax(logits)];
        var scaled = new float[logits.Length];
        for (int i = 0; i < scaled.Length; i++) scaled[i] = (logits[i] - max) / options.Temperature;
        var probabilities = LogProbabilities.Row(scaled);
        for (int i = 0; i < probabilities.Length; i++) probabilities[i] = Math.Exp(probabilities[i]);

        // Candidates from most to least likely (ties by id), cut by top-k and then top-p.
        var order = Enumerable.Range(0, probabilities.Length).OrderByDescending(i => probabilities[i]).ThenBy(i => i).ToArray();
        int keep = options.TopK > 0 ? Math.Min(options.TopK, order.Length) : order.Length;
        if (options.TopP < 1f)
        {
            double kept = 0, total = 0;
            for (int i = 0; i < keep; i++) total += probabilities[order[i]];
            int n = 0;
            while (n < keep && (n == 0 || kept < options.TopP * total)) kept += probabilities[order[n++]];
            keep = n;
        }
        double mass = 0;
        for (int i = 0; i < keep; i++) mass += probabilities[order[i]];
        double u = rng.NextDouble() * mass;
        for (int i = 0; i < keep; i++)
        {
            u -= probabilities[order[i]];
            if (u < 0) return order[i];
        }
        return order[keep - 1];
    }
}
