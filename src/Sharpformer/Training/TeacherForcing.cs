using Sharpformer.Losses;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Training;

/// <summary>The loss a model trains on: predicting each reference token from the ones before it.</summary>
public static class TeacherForcing
{
    /// <summary>
    /// The mean cross-entropy of predicting <paramref name="targetOutput"/> [B, T] (padding ignored) with the reference
    /// as decoder input: <see cref="CrossEntropy.Loss"/> of <see cref="SequenceModel.TeacherForcedLogits"/>, computed by
    /// <see cref="CrossEntropy.LinearLoss(Tensor, Tensor, Tensor?, Tensor, int, float)"/> so that the [B, T, vocabulary]
    /// logits are never held (an output layer with int8 weights takes the two ops).
    /// </summary>
    public static Tensor TeacherForcedLoss(this SequenceModel model, Tensor source, Tensor targetInput, Tensor targetOutput,
        float labelSmoothing = 0f)
    {
        var hidden = model.TeacherForcedHidden(source, targetInput);
        var output = model.Generator;
        if (model.IsQuantized)
            return CrossEntropy.Loss(output.Forward(hidden), targetOutput, model.Config.PadId, labelSmoothing);
        if (output.Split is { } group)   // split by vocabulary over the ranks: each computes its classes' part of one loss
        {
            var (first, _, whole) = output.OutputShare;
            return CrossEntropy.LinearLoss(group.Enter(output.Checked(hidden)), output.Weight, output.Bias, targetOutput,
                model.Config.PadId, labelSmoothing, new VocabularyShard(first, whole, group.Communicator));
        }
        var h = output.Checked(hidden);                                       // h: [B, T, d]
        var (x, w) = output.Lora is { } lora
            // h·Wᵀ + u·Bᵀ = [h, u]·[W, B]ᵀ with u = (α/r)·dropout(h)·Aᵀ: the adapted layer is one product too
            ? (Tensor.Concat([h, lora.Down(h)], -1), Tensor.Concat([output.Weight, lora.B.Weight], 1))   // [B, T, d + r], [V, d + r]
            : (h, output.Weight);
        return CrossEntropy.LinearLoss(x, w, output.Bias, targetOutput, model.Config.PadId, labelSmoothing);
    }
}
