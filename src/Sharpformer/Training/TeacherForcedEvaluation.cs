using Sharpformer.Autograd;
using Sharpformer.Data;
using Sharpformer.Losses;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Training;

/// <summary>Loss and token accuracy with the reference target as decoder input (no generation).</summary>
public static class TeacherForcedEvaluation
{
    /// <summary>
    /// Mean cross-entropy per target token (no label smoothing) and the fraction of target tokens whose
    /// most likely prediction is right, over <paramref name="batches"/>, in evaluation mode.
    /// </summary>
    public static (float Loss, float Accuracy) Run(SequenceModel model, IEnumerable<Batch> batches) => Scores(Sums(model, batches));

    /// <summary>The mean loss and the accuracy of summed counts (NaN for no tokens).</summary>
    internal static (float Loss, float Accuracy) Scores(EvaluationSums sums) => sums.Tokens == 0
        ? (float.NaN, float.NaN)
        : ((float)(sums.Loss / sums.Tokens), (float)sums.Correct / sums.Tokens);

    /// <summary>Σ loss × tokens, the target tokens and the right predictions over <paramref name="batches"/>.</summary>
    internal static EvaluationSums Sums(SequenceModel model, IEnumerable<Batch> batches)
    {
        bool wasTraining = model.IsTraining;
        model.Eval();
        double lossSum = 0;
        long tokens = 0, correct = 0;
        var arena = new TensorArena();
        using (GradMode.NoGrad())
        {
            foreach (var batch in batches)
            {
                batch.CheckFits(model.Config);
                using var memory = TensorArena.IsActive
                    ? default(TensorArena.Scope?)
                    : arena.Activate();   // each batch's tensors serve the next
                var logits = model.TeacherForcedLogits(batch.Source, batch.TargetInput);
                var loss = CrossEntropy.Loss(logits, batch.TargetOutput, ignoreIndex: model.Config.PadId);
                var predicted = logits.ArgMax(-1).ToArray();
                var expected = batch.TargetOutput.ToArray();
                int counted = 0;
                for (int i = 0; i < expected.Length; i++)
                {
                    if (expected[i] == model.Config.PadId) continue;
                    counted++;
                    if (predicted[i] == expected[i]) correct++;
                }
                lossSum += (double)loss.Item() * counted;
                tokens += counted;
            }
        }
        model.Train(wasTraining);
        return new EvaluationSums(lossSum, tokens, correct);
    }
}

/// <summary>What an evaluation adds up: Σ loss × tokens, the target tokens, the right predictions.</summary>
internal readonly record struct EvaluationSums(double Loss, long Tokens, long Correct);
