namespace Sharpformer.Training;

/// <summary>Thrown when the loss stops being a finite number; the last checkpoint is left as it was.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
