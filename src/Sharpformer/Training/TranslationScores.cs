using Sharpformer.Evaluation;

namespace Sharpformer.Training;

/// <summary>
/// What <see cref="TranslationEvaluation.Run"/> measured: the translations, their BLEU, chrF and exact match against the
/// references, the references' teacher-forced loss and token accuracy, and the decoding time and output tokens.
/// </summary>
public sealed record TranslationScores(IReadOnlyList<string> Hypotheses, BleuScore Bleu, ChrfScore Chrf, double ExactMatch,
                                       float Loss, float TokenAccuracy, double DecodeSeconds, long OutputTokens)
{
    /// <summary>The perplexity of the references: e to the mean loss.</summary>
    public double Perplexity => Evaluation.Perplexity.FromMeanLoss(Loss);

    /// <summary>Output tokens decoded per second.</summary>
    public double OutputTokensPerSecond => OutputTokens / Math.Max(DecodeSeconds, 1e-9);
}
