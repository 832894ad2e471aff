namespace Sharpformer.Training;

/// <summary>
/// What the trainer reports after each update, for progress displays: <see cref="Fraction"/> of the run done (of its
/// steps, or of its time budget when that ends it sooner: <see cref="TotalSteps"/> is then an estimate,
/// <see cref="TotalIsEstimate"/>), <see cref="Valid"/> when the step was evaluated, and <see cref="Last"/> on the run's
/// last step.
/// </summary>
public sealed record TrainingProgress(int Step, int TotalSteps, int Epoch, float Loss, float Lr, float GradNorm,
    double TokensPerSecond, TimeSpan Elapsed, TimeSpan Remaining, ValidationScores? Valid, double Fraction, bool Last,
    bool TotalIsEstimate);
