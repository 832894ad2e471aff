namespace Sharpformer.Training;

/// <summary>
/// One evaluation of a model on the validation split: the teacher-forced loss and token accuracy, and with
/// <see cref="TrainingOptions.EvalBleu"/> corpus BLEU and chrF of its translations.
/// </summary>
public sealed record ValidationScores(float Loss, float Accuracy, double? Bleu = null, double? Chrf = null);
