namespace Sharpformer.Training;

/// <summary>
/// Where a finished run stands: its last step, why it stopped (with the reason in words, as the log says it) and, with
/// validation data, the validation loss and token accuracy.
/// </summary>
public sealed record TrainingRunResult(int Step, float? ValidLoss, float? TokenAccuracy, TrainingEnd End, string EndDescription);
