namespace Sharpformer.Training;

/// <summary>
/// A run's record on the validation split: the step whose evaluation scored best so far by <see cref="Metric"/>, its
/// <see cref="Scores"/>, and the evaluations since.
/// </summary>
public sealed record BestSoFar(int Step, BestMetric Metric, ValidationScores Scores, int EvaluationsSince)
{
    /// <summary>
    /// Whether <paramref name="scores"/> beat <paramref name="best"/> by <paramref name="metric"/>: a lower loss; or a
    /// higher BLEU, or the same BLEU with a lower loss (so that the evaluations of a model still learning, whose greedy
    /// BLEU stays 0 for a while, are not counted against its patience). A score that is not finite never wins.
    /// </summary>
    public static bool Beats(ValidationScores scores, ValidationScores? best, BestMetric metric)
    {
        if (!float.IsFinite(scores.Loss)) return false;
        if (metric == BestMetric.Loss) return best is null || scores.Loss < best.Loss;
        if (scores.Bleu is not double bleu || !double.IsFinite(bleu)) return false;
        return best is null || bleu > best.Bleu || (bleu == best.Bleu && scores.Loss < best.Loss);
    }

    /// <summary>
    /// The record after an evaluation at <paramref name="step"/> that scored <paramref name="scores"/>, ranked by
    /// <paramref name="metric"/> (a record kept by another metric starts again).
    /// </summary>
    public static BestSoFar? After(BestSoFar? record, int step, ValidationScores scores, BestMetric metric)
    {
        if (record is not null && record.Metric != metric) record = null;
        if (Beats(scores, record?.Scores, metric)) return new BestSoFar(step, metric, scores, 0);
        return record is null ? null : record with { EvaluationsSince = record.EvaluationsSince + 1 };
    }
}
