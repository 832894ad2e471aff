using Sharpformer.Tensors;

namespace Sharpformer.Losses;

/// <summary>
/// Cross-entropy over logits as one fused op (log-softmax + negative log-likelihood) with its own
/// backward, label smoothing and an ignored target id, with torch.nn.functional.cross_entropy's
/// definition: the mean over non-ignored targets of
/// (1 − ε)·(−log p_target) + ε·mean_c(−log p_c).
/// </summary>
public static class CrossEntropy
{
    /// <summary>
    /// logits: [N, C] (or [..., C], flattened), targets: [N] (or [...]) whole-number class ids →
    /// scalar loss. Targets equal to <paramref name="ignoreIndex"/> contribute nothing; if all are
    /// ignored the loss is NaN, as in PyTorch.
    /// </summary>
    public static Tensor Loss(Tensor logits, Tensor targets, int ignoreIndex = -100, float labelSmoothing = 0f)
    {
        if (logits.Rank < 1) throw new ShapeMismatchException("CrossEntropy: logits need a class dimension");
        int classes = logits.Size(-1);
        int rows = classes == 0 ? 0 : logits.Length / classes;
        if (targets.Length != rows || !targets.Shape.SequenceEqual(logits.Shape[..^1]))
            throw new ShapeMismatchException($"CrossEntropy: targets of shape {Shapes.Format(targets.Shape)} do not match logits {Shapes.Format(logits.Shape)} (expected {Shapes.Format(logits.Shape[..^1])})");
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"CrossEntropy: label smoothing {labelSmoothing} must be in [0, 1]");
        var ids = Array.ConvertAll(targets.ToArray(), v => (int)v);
        for (int i = 0; i < ids.Length; i++)
            if (ids[i] != ignoreIndex && (ids[i] < 0 || ids[i] >= classes))
                throw new IndexOutOfRangeException($"CrossEntropy: target {ids[i]} at position {i} is outside [0, {classes})");

        var x = logits.Contiguous().AsSpan();
        var logProbs = new float[x.Length];
        Kernels.Softmax.Forward(x, rows, classes, 1, logProbs, log: true);
        double total = 0;
        int counted = 0;
        for (int r = 0; r < rows; r++)
        {
            if (ids[r] == ignoreIndex) continue;
            var lp = logProbs.AsSpan(r * classes, classes);
            double smooth = 0;
            foreach (float v in lp) smooth += v;
            total += -(1 - labelSmoothing) * lp[ids[r]] - labelSmoothing * smooth / classes;
            counted++;
        }
        var loss = Tensor.Scalar((float)(total / counted));
        return Tensor.Record(loss, "CrossEntropy", [logits], g =>
        {
            // d loss / d logits = (softmax − q) / counted, q = (1 − ε)·onehot + ε/C; 0 for ignored rows
            float scale = g.Item() / counted;
            var dx = new float[logProbs.Length];
            for (int r = 0; r < rows; r++)
            {
                if (ids[r] == ignoreIndex) continue;
                var d = dx.AsSpan(r * classes, classes);
                var lp = logProbs.AsSpan(r * classes, classes);
                for (int c = 0; c < classes; c++) d[c] = (MathF.Exp(lp[c]) - labelSmoothing / classes) * scale;
                d[ids[r]] -= (1 - labelSmoothing) * scale;
            }
            return [Tensor.FromArray(dx, logits.ShapeArray())];
        });
    }
}
