namespace Sharpformer.Training;

/// <summary>Why a training run stopped (a cancelled run throws <see cref="OperationCanceledException"/> instead).</summary>
public enum TrainingEnd
{
    /// <summary>Its <see cref="TrainingOptions.Steps"/> updates are done.</summary>
    StepsDone,

    /// <summary>Its time budget (<see cref="TrainingOptions.MaxMinutes"/>) is spent.</summary>
    TimeSpent,

    /// <summary>Its <see cref="TrainingOptions.Patience"/> ran out: that many evaluations without a better score.</summary>
    PatienceRanOut,
}
