using System.Diagnostics;
using Sharpformer.Data;
using Sharpformer.Evaluation;
using Sharpformer.Generation;
using Sharpformer.Tensors;

namespace Sharpformer.Training;

/// <summary>
/// A translator scored on reference pairs, as <c>sharpformer eval</c> scores it: the sources translated under the given
/// decoding (BLEU, chrF and exact match of the translations, sacreBLEU's definitions), and the references read with
/// teacher forcing (loss, perplexity and token accuracy).
/// </summary>
public static class TranslationEvaluation
{
    /// <summary>Pairs read with teacher forcing in one batch, at most (padded tokens).</summary>
    private const int TeacherForcedBatchTokens = 2048;

    /// <summary>
    /// Translates every source of <paramref name="pairs"/> (in batches of <see cref="Translator.BatchSize"/>, one sampling
    /// generator seeded by <see cref="DecodingOptions.Seed"/> for all) and scores the translations against the targets.
    /// <paramref name="progress"/> hears the count translated after each batch; <paramref name="cancel"/> stops between
    /// batches and tokens.
    /// </summary>
    /// <exception cref="ArgumentException">No pairs, or bad options.</exception>
    public static TranslationScores Run(Translator translator, IReadOnlyList<(string Source, string Target)> pairs,
                                        DecodingOptions options, Action<int>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(translator);
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(options);
        if (pairs.Count == 0) throw new ArgumentException("no pairs to evaluate");
        var clock = Stopwatch.StartNew();
        var rng = new Rng(options.Seed);
        var hypotheses = new List<string>(pairs.Count);
        foreach (var chunk in pairs.Chunk(translator.BatchSize))
        {
            cancel.ThrowIfCancellationRequested();
            hypotheses.AddRange(translator.Translate([.. chunk.Select(p => p.Source)], options, rng));
            progress?.Invoke(hypotheses.Count);
        }
        double seconds = clock.Elapsed.TotalSeconds;

        var references = pairs.Select(p => p.Target).ToList();
        var config = translator.Model.Config;
        var encoded = EncodedPairs.Encode(pairs, translator.Tokenizer.Encode, config.MaxLength - 2);
        var (loss, accuracy) = TeacherForcedEvaluation.Run(translator.Model,
            Batch.InOrder(encoded.Pairs, TeacherForcedBatchTokens, SpecialIds.Of(config)));
        return new TranslationScores(hypotheses, Bleu.Corpus(hypotheses, [references]), Chrf.Corpus(hypotheses, [references]),
            ExactMatch.Fraction(hypotheses, references), loss, accuracy, seconds,
            hypotheses.Sum(h => (long)translator.Tokenizer.Encode(h).Length));
    }
}
