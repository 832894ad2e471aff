using Sharpformer.Distributed;
using Sharpformer.Kernels;
using Sharpformer.Tensors;

namespace Sharpformer.Losses;

public static partial class CrossEntropy
{
    /// <summary>
    /// <see cref="Loss"/> of <c>hidden.Linear(weight, bias)</c> as one op that never holds the logits: hidden: [..., d],
    /// weight: [C, d], bias: [C] or null, targets: [...] → scalar loss. It works through the rows a block at a time (the
    /// block's logits, its loss, and at once its gradients, which the backward pass hands on), so an output layer
    /// over a vocabulary of C classes needs a block of logits and a [C, d] gradient instead of the [N, C] logits and
    /// their [N, C] gradient. Equal to the two ops up to float rounding.
    /// </summary>
    public static Tensor LinearLoss(Tensor hidden, Tensor weight, Tensor? bias, Tensor targets, int ignoreIndex = -100,
        float labelSmoothing = 0f) => LinearLoss(hidden, weight, bias, targets, ignoreIndex, labelSmoothing, BlockRows(weight));

    // Rows per block: about a million logits (4 MB), and at least 64 rows so the products stay efficient.
    private static int BlockRows(Tensor weight) => Math.Max(64, (1 << 20) / Math.Max(1, weight.Size(0)));

    /// <summary>
    /// <see cref="LinearLoss(Tensor, Tensor, Tensor?, Tensor, int, float)"/> on a rank of a model whose output layer is split by
    /// vocabulary: <paramref name="weight"/> and <paramref name="bias"/> hold classes [shard.First, shard.First + C) of
    /// shard.Classes. Each block's per-row maximum, sum of exponentials, sum of logits and target logit travel in one
    /// all-reduce, from which every rank computes the same loss; each rank's gradients are those of its classes, and the
    /// gradient of <paramref name="hidden"/> is this rank's part of a sum over the ranks (the caller's to sum).
    /// </summary>
    internal static Tensor LinearLoss(Tensor hidden, Tensor weight, Tensor? bias, Tensor targets, int ignoreIndex, float labelSmoothing,
        VocabularyShard shard) => LinearLoss(hidden, weight, bias, targets, ignoreIndex, labelSmoothing, BlockRows(weight), shard);

    internal static unsafe Tensor LinearLoss(Tensor hidden, Tensor weight, Tensor? bias, Tensor targets, int ignoreIndex,
        float labelSmoothing, int blockRows, VocabularyShard? shard = null)
    {
        if (hidden.Rank < 1 || weight.Rank != 2 || hidden.Size(-1) != weight.Size(1)
            || (bias is not null && (bias.Rank != 1 || bias.Length != weight.Size(0))))
            throw new ShapeMismatchException(
                $"CrossEntropy.LinearLoss: hidden {Shapes.Format(hidden.Shape)}, weight {Shapes.Format(weight.Shape)} and bias " +
                $"{(bias is null ? "none" : Shapes.Format(bias.Shape))} do not fit ([..., d], [classes, d], [classes])");
        int d = weight.Size(1), classes = weight.Size(0), rows = d == 0 ? 0 : hidden.Length / d;
        var (first, allClasses) = shard is { } s ? (s.First, s.Classes) : (0, classes);
        var ids = TargetIds(targets, hidden.Shape[..^1], "hidden", hidden.Shape, allClasses, ignoreIndex, labelSmoothing);
        int counted = ids.Count(id => id != ignoreIndex);
        bool needsGrad = Autograd.GradMode.IsEnabled && (hidden.RequiresGrad || weight.RequiresGrad || bias?.RequiresGrad == true);
        bool mixed = needsGrad && TensorArena.IsBFloat16;

        var h = hidden.Detach().Contiguous();                                        // h: [N, d]
        var w = mixed ? weight.BFloat16WorkingCopy() : weight.Detach().Contiguous();  // W: [C, d]
        var b = bias?.Detach().Contiguous();                                         // b: [C]
        // The gradients, made now for the backward pass (float32 even where a bf16 scope packs activations); the first block
        // writes them, the others add to them.
        Tensor? Gradient(bool wanted, int[] shape) =>
            wanted && needsGrad ? TensorArena.KeepFloat32(Tensor.Allocate(shape, zeroed: rows == 0)) : null;
        var dh = Gradient(hidden.RequiresGrad, h.ShapeArray());                   // dh: [N, d]
        var dw = Gradient(weight.RequiresGrad, [classes, d]);                     // dW: [C, d]
        var db = Gradient(bias?.RequiresGrad == true, [classes]);                 // db: [C]
        var blockSums = db is null ? null : Tensor.Allocate([classes], zeroed: false);
        int block = Math.Min(blockRows, Math.Max(rows, 1));
        var z = Tensor.Allocate([block, classes], zeroed: false);                    // z: [R, C], one block's logits, then their gradient
        var logSumExp = Tensor.Allocate([block], zeroed: false);
        var rowLoss = Tensor.Allocate([block], zeroed: false);
        double total = 0;
        fixed (float* ph = h.Storage, pw = w.Storage, pz = z.Storage)
            for (int start = 0; start < rows; start += block)
            {
                int n = Math.Min(block, rows - start);
                var blockIds = ids[start..(start + n)];
                float* hb = ph + h.Offset + (long)start * d;
                Gemm.Sgemm(false, true, n, classes, d, 1f, hb, Math.Max(1, d), pw + w.Offset, Math.Max(1, d),   // z = h·Wᵀ + b
                    0f, pz, Math.Max(1, classes));
                LinearEpilogue.Forward(z.Storage, z.Offset, n, classes, b?.Storage, b?.Offset ?? 0, relu: false);
                if (shard is { } split) ShardedRows(z.AsSpan()[..(n * classes)], blockIds, split, ignoreIndex, labelSmoothing,
                    logSumExp.AsSpan(), rowLoss.AsSpan());
                else
                {
                    var forward = new ForwardJob(z.AsMemory(), blockIds, classes, ignoreIndex, labelSmoothing, logSumExp.AsMemory(),
                        rowLoss.AsMemory());
                    ParallelRange.For(n, 64, ref forward);
                }
                for (int r = 0; r < n; r++) total += rowLoss.AsSpan()[r];
                if (!needsGrad) continue;
                var backward = new BackwardJob(z.AsMemory(), blockIds, first, classes, allClasses, ignoreIndex, labelSmoothing,
                    logSumExp.AsMemory(), 1f / counted, z.AsMemory());               // z ← d loss / d z, in place
                ParallelRange.For(n, 64, ref backward);
                if (dh is not null)
                    fixed (float* pdh = dh.Storage)                                 // dh = dz·W: [R, d]
                        Gemm.Sgemm(false, false, n, d, classes, 1f, pz, Math.Max(1, classes), pw + w.Offset, Math.Max(1, d), 0f,
                            pdh + (long)start * d, Math.Max(1, d));
                if (dw is not null)
                    fixed (float* pdw = dw.Storage)                                 // dW += dzᵀ·h: [C, d]
                        Gemm.Sgemm(true, false, classes, d, n, 1f, pz, Math.Max(1, classes), hb, Math.Max(1, d), start == 0 ? 0f : 1f,
                            pdw, Math.Max(1, d));
                if (db is not null)                                                  // db += Σ_rows dz: [C]
                {
                    var sums = start == 0 ? db : blockSums!;
                    LinearEpilogue.Backward(z.Storage, z.Offset, n, classes, relu: false, null, 0, false, null, sums.Storage);
                    if (start > 0) System.Numerics.Tensors.TensorPrimitives.Add(db.AsSpan(), sums.AsSpan(), db.AsSpan());
                }
            }
        foreach (var scratch in (Tensor?[])[z, logSumExp, rowLoss, blockSums, mixed ? w : null])
            if (scratch is not null) TensorArena.Discard(scratch);
        var loss = Tensor.Scalar((float)(total / counted));
        if (!needsGrad) return loss;
        Tensor[] inputs = bias is null ? [hidden, weight] : [hidden, weight, bias];
        return Tensor.Record(loss, "LinearCrossEntropy", inputs, g =>
        {
            // The gradients were made for an upstream gradient of 1 (a loss used as it is); any other is a scaled copy.
            float scale = g.Item();
            Tensor? Scaled(Tensor? grad) => grad is null || scale == 1f ? grad : grad * scale;
            return bias is null ? [Scaled(dh), Scaled(dw)] : [Scaled(dh), Scaled(dw), Scaled(db)];
        });
    }

    // A block's rows on one rank of a split output layer: z: [R, C] this rank's logits → per row the log-sum-exp and loss over
    // all ranks' classes. Each rank puts its (max, Σ exp(z − max)) in its own slot of a row's record and adds its Σ z and its
    // target logit (0 where the target is another rank's), one all-reduce joins the records, and every rank combines them
    // alike: lse = M + log Σ_k s_k·exp(m_k − M) with M the largest m_k.
    private static void ShardedRows(ReadOnlySpan<float> z, int[] ids, VocabularyShard shard, int ignoreIndex, float smoothing,
        Span<float> logSumExp, Span<float> rowLoss)
    {
        int n = ids.Length, classes = z.Length / Math.Max(n, 1), ranks = shard.Ranks.Size, width = 2 * ranks + 2;
        var records = new float[n * width];                                        // [R, 2·ranks + 2]: (m, s) per rank, Σ z, z_target
        for (int r = 0; r < n; r++)
        {
            if (ids[r] == ignoreIndex) continue;
            var zr = z.Slice(r * classes, classes);
            var record = records.AsSpan(r * width, width);
            float max = System.Numerics.Tensors.TensorPrimitives.Max(zr);
            double sum = 0;
            foreach (float v in zr) sum += MathF.Exp(v - max);
            (record[2 * shard.Ranks.Rank], record[2 * shard.Ranks.Rank + 1]) = (max, (float)sum);
            record[^2] = System.Numerics.Tensors.TensorPrimitives.Sum(zr);
            if ((uint)(ids[r] - shard.First) < (uint)classes) record[^1] = zr[ids[r] - shard.First];
        }
        shard.Ranks.AllReduceSum(records);
        for (int r = 0; r < n; r++)
        {
            if (ids[r] == ignoreIndex)
            {
                (logSumExp[r], rowLoss[r]) = (0f, 0f);
                continue;
            }
            var record = records.AsSpan(r * width, width);
            float max = float.NegativeInfinity;
            for (int k = 0; k < ranks; k++) max = MathF.Max(max, record[2 * k]);
            double sum = 0;
            for (int k = 0; k < ranks; k++) sum += record[2 * k + 1] * Math.Exp(record[2 * k] - max);
            float lse = max + (float)Math.Log(sum), nll = lse - record[^1];
            logSumExp[r] = lse;
            rowLoss[r] = smoothing == 0f ? nll : (1 - smoothing) * nll + smoothing * (lse - record[^2] / shard.Classes);
        }
    }
}

/// <summary>
/// The classes [First, First + C) of <see cref="Classes"/> an output layer split by vocabulary holds on this rank, and the ranks.
/// </summary>
internal readonly record struct VocabularyShard(int First, int Classes, ICommunicator Ranks);
