namespace Sharpformer.Training;

/// <summary>Where a finished run stands: its last step and, with validation data, the validation loss and token accuracy.</summary>
public sealed record TrainingRunResult(int Step, float? ValidLoss, float? TokenAccuracy);
