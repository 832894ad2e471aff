using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Sharpformer.Tensors;

namespace Sharpformer.Losses;

/// <summary>
/// Cross-entropy over logits as one fused op (log-softmax + negative log-likelihood) with its own
/// backward, label smoothing and an ignored target id, with torch.nn.functional.cross_entropy's
/// definition: the mean over non-ignored targets of
/// (1 − ε)·(−log p_target) + ε·mean_c(−log p_c).
/// </summary>
public static partial class CrossEntropy
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
        var ids = TargetIds(targets, logits.Shape[..^1], "logits", logits.Shape, classes, ignoreIndex, labelSmoothing);

        var x = logits.Detach().Contiguous();                          // x: [N, C]
        var logSumExp = Tensor.Allocate([rows], zeroed: false);        // per row: log Σ exp(x)
        var rowLoss = Tensor.Allocate([rows], zeroed: false);          // per row: its loss, 0 if ignored
        var forward = new ForwardJob(x.AsMemory(), ids, classes, ignoreIndex, labelSmoothing, logSumExp.AsMemory(), rowLoss.AsMemory());
        Kernels.ParallelRange.For(rows, 64, ref forward);
        double total = 0;
        int counted = 0;
        var losses = rowLoss.AsSpan();
        for (int r = 0; r < rows; r++)
        {
            if (ids[r] == ignoreIndex) continue;
            total += losses[r];
            counted++;
        }
        var loss = Tensor.Scalar((float)(total / counted));
        return Tensor.Record(loss, "CrossEntropy", [logits], g =>
        {
            // d loss / d logits = (softmax − q) / counted, q = (1 − ε)·onehot + ε/C; 0 for ignored rows
            var dx = Tensor.Allocate(logits.ShapeArray(), zeroed: false);
            var backward = new BackwardJob(x.AsMemory(), ids, 0, classes, classes, ignoreIndex, labelSmoothing, logSumExp.AsMemory(),
                g.Item() / counted, dx.AsMemory());
            Kernels.ParallelRange.For(rows, 64, ref backward);
            return [dx];
        });
    }

    // The targets as class ids, checked: their shape is the scores' without the class dimension, each id is a class or
    // the ignored one, and the smoothing is in [0, 1].
    private static int[] TargetIds(Tensor targets, ReadOnlySpan<int> expected, string scores, ReadOnlySpan<int> scoresShape,
        int classes, int ignoreIndex, float labelSmoothing)
    {
        if (!targets.Shape.SequenceEqual(expected))
            throw new ShapeMismatchException(
                $"CrossEntropy: targets of shape {Shapes.Format(targets.Shape)} do not match {scores} {Shapes.Format(scoresShape)} " +
                $"(expected {Shapes.Format(expected)})");
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing),
                $"CrossEntropy: label smoothing {labelSmoothing} must be in [0, 1]");
        var ids = Array.ConvertAll(targets.ToArray(), v => (int)v);
        for (int i = 0; i < ids.Length; i++)
            if (ids[i] != ignoreIndex && (ids[i] < 0 || ids[i] >= classes))
                throw new IndexOutOfRangeException($"CrossEntropy: target {ids[i]} at position {i} is outside [0, {classes})");
        return ids;
    }

    [ThreadStatic] private static float[]? t_row;

    // Rows [start, end): loss_r = (1 − ε)·(lse − x_target) + ε·(lse − mean_c x_c), lse = log Σ_c exp(x_c)
    private readonly struct ForwardJob(Memory<float> x, int[] ids, int classes, int ignoreIndex, float smoothing,
        Memory<float> logSumExp, Memory<float> rowLoss)
        : Kernels.IRangeJob
    {
        public void Run(int start, int end)
        {
            if (t_row is null || t_row.Length < classes) t_row = new float[classes];
            var scratch = t_row.AsSpan(0, classes);
            for (int r = start; r < end; r++)
            {
                if (ids[r] == ignoreIndex)
                {
                    logSumExp.Span[r] = 0f;
                    rowLoss.Span[r] = 0f;
                    continue;
                }
                var xr = x.Span.Slice(r * classes, classes);
                float max = TensorPrimitives.Max(xr);
                TensorPrimitives.Subtract(xr, max, scratch);
                TensorPrimitives.Exp(scratch, scratch);
                float lse = max + MathF.Log(TensorPrimitives.Sum(scratch));
                logSumExp.Span[r] = lse;
                float nll = lse - xr[ids[r]];
                rowLoss.Span[r] = smoothing == 0f ? nll : (1 - smoothing) * nll + smoothing * (lse - TensorPrimitives.Sum(xr) / classes);
            }
        }
    }

    // Rows [start, end): dx = (exp(x − lse) − ε/C)·scale, minus (1 − ε)·scale at the target; 0 for ignored rows. The row's
    // columns are classes [first, first + classes) of `total` (a share of the vocabulary on a rank of a split model).
    private readonly struct BackwardJob(Memory<float> x, int[] ids, int first, int classes, int total, int ignoreIndex,
        float smoothing, Memory<float> logSumExp, float scale, Memory<float> dx)
        : Kernels.IRangeJob
    {
        public void Run(int start, int end)
        {
            for (int r = start; r < end; r++)
            {
                var d = dx.Span.Slice(r * classes, classes);
                if (ids[r] == ignoreIndex)
                {
                    d.Clear();
                    continue;
                }
                TensorPrimitives.Subtract(x.Span.Slice(r * classes, classes), logSumExp.Span[r], d);
                TensorPrimitives.Exp(d, d);
                TensorPrimitives.Multiply(d, scale, d);
                if (smoothing != 0f) TensorPrimitives.Subtract(d, smoothing / total * scale, d);
                if ((uint)(ids[r] - first) < (uint)classes) d[ids[r] - first] -= (1 - smoothing) * scale;
            }
        }
    }
}
