namespace Sharpformer.Training;

/// <summary>The validation score that ranks a run's models (<see cref="TrainingOptions.BestBy"/>).</summary>
public enum BestMetric
{
    /// <summary>The validation loss (lower is better).</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("loss")]
    Loss,

    /// <summary>Corpus BLEU of the validation translations (higher is better).</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("bleu")]
    Bleu,
}
