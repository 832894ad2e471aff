namespace Sharpformer.Training;

/// <summary>
/// A run's record on the validation split: the step whose evaluation scored best so far, that score (ranked by
/// <see cref="TrainingOptions.BestBy"/>, higher is better: the loss negated) and the evaluations since.
/// </summary>
public sealed record BestSoFar(int Step, double Score, int EvaluationsSince)
{
    /// <summary>
    /// The record after an evaluation at <paramref name="step"/> that scored <paramref name="score"/> (a score that is
    /// not finite is never the best).
    /// </summary>
    public static BestSoFar? After(BestSoFar? record, int step, double score) =>
        double.IsFinite(score) && (record is null || score > record.Score) ? new BestSoFar(step, score, 0)
        : record is null ? null : record with { EvaluationsSince = record.EvaluationsSince + 1 };
}
