namespace Sharpformer.Training;

/// <summary>What the trainer reports after each update, for progress displays.</summary>
public sealed record TrainingProgress(int Step, int TotalSteps, int Epoch, float Loss, float Lr, float GradNorm,
    double TokensPerSecond, TimeSpan Elapsed, TimeSpan Remaining, float? ValidLoss, float? ValidAccuracy);
