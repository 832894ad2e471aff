using Sharpformer.Kernels;

namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// this·weightᵀ + bias as one op (torch.nn.functional.linear): this: [..., in], weight: [out, in],
    /// bias: [out] or null → [..., out]. The bias is written into the output before one GEMM accumulates
    /// the product, and the backward pass computes dx = g·W, dW = gᵀ·x and db = Σ g directly.
    /// </summary>
    public Tensor Linear(Tensor weight, Tensor? bias) => LinearCore(weight, bias, relu: false);

    /// <summary>
    /// max(0, this·weightᵀ + bias) as one op: the ReLU is applied to the output in place, and the
    /// backward pass masks the incoming gradient by the output's sign before the three products.
    /// </summary>
    public Tensor LinearRelu(Tensor weight, Tensor? bias) => LinearCore(weight, bias, relu: true);

    /// <summary>
    /// <see cref="Linear"/> (or <see cref="LinearRelu"/>) plus a low-rank term: this·weightᵀ + bias + down·upᵀ with
    /// down: [..., r] and up: [out, r] — a weight beside a LoRA adapter, whose product is accumulated into the same
    /// output instead of made as an [..., out] tensor and added.
    /// </summary>
    internal Tensor LinearLowRank(Tensor weight, Tensor? bias, Tensor down, Tensor up, bool relu) =>
        LinearCore(weight, bias, relu, (down, up));

    private unsafe Tensor LinearCore(Tensor weight, Tensor? bias, bool relu, (Tensor Down, Tensor Up)? lowRank = null)
    {
        if (Rank == 0 || weight.Rank != 2 || _shape[^1] != weight._shape[1]
            || (bias is not null && (bias.Rank != 1 || bias.Length != weight._shape[0])))
            throw new ShapeMismatchException(
                $"Linear: input {Shapes.Format(_shape)}, weight {Shapes.Format(weight._shape)} " +
                $"and bias {(bias is null ? "none" : Shapes.Format(bias._shape))} do not fit ([..., in], [out, in], [out])");
        int inFeatures = weight._shape[1], outFeatures = weight._shape[0], rows = inFeatures == 0 ? 0 : Length / inFeatures;
        if (lowRank is var (lowDown, lowUp) && (lowUp.Rank != 2 || lowUp._shape[0] != outFeatures || lowDown.Rank != Rank
            || lowDown._shape[^1] != lowUp._shape[1] || !lowDown._shape.AsSpan(0, Rank - 1).SequenceEqual(_shape.AsSpan(0, Rank - 1))))
            throw new ShapeMismatchException(
                $"Linear: the low-rank term {Shapes.Format(lowDown._shape)}·{Shapes.Format(lowUp._shape)}ᵀ does not fit an input " +
                $"{Shapes.Format(_shape)} and an output of {outFeatures} ([..., r], [out, r])");
        var x = Detach().Contiguous();                         // x: [N, in] in row-major order
        bool mixed = TensorArena.IsBFloat16 && Autograd.GradMode.IsEnabled;   // W multiplies as bf16, rounded as it is packed
        var w = weight.Detach().Contiguous();                  // W: [out, in]
        var b = bias?.Detach().Contiguous();
        int[] shape = [.. _shape[..^1], outFeatures];
        var y = Allocate(shape, zeroed: false);                // y: [N, out]
        fixed (float* px = x.Storage, pw = w.Storage, py = y.Storage)
            Gemm.Sgemm(false, true, rows, outFeatures, inFeatures, 1f, px + x.Offset, Math.Max(1, inFeatures),
                pw + w.Offset, Math.Max(1, inFeatures), 0f, py, Math.Max(1, outFeatures), roundB: mixed);
        // u: [N, r], up: [out, r]
        var (u, up) = lowRank is var (d, e) ? (d.Detach().Contiguous(), e.Detach().Contiguous()) : (null, null);
        int rank = up?._shape[1] ?? 0;
        if (u is not null && rank > 0)
            fixed (float* pu = u.Storage, pe = up!.Storage, py = y.Storage)   // y += u·upᵀ
                Gemm.Sgemm(false, true, rows, outFeatures, rank, 1f, pu + u.Offset, rank, pe + up.Offset, rank, 1f, py,
                    Math.Max(1, outFeatures), roundB: mixed);
        LinearEpilogue.Forward(y.Storage, y.Offset, rows, outFeatures, b?.Storage, b?.Offset ?? 0, relu);   // y = act(y + b)
        Tensor[] inputs = [this, weight, .. bias is null ? Array.Empty<Tensor>() : [bias],
            .. lowRank is var (down, upWeight) ? [down, upWeight] : Array.Empty<Tensor>()];
        return Record(y, relu ? "LinearRelu" : "Linear", inputs, g =>
        {
            var gc = g.Contiguous();                            // g: [N, out]
            var masked = relu ? Allocate(y.ShapeArray(), zeroed: false) : null;
            var db = bias is not null ? Allocate([outFeatures], zeroed: false) : null;   // db = Σ_rows g: [out]
            if (relu || db is not null)   // bf16: ReLU's sign read from the bfloat16 the output waits in
            {
                var (ySigns, yAt, yPacked) = y.SharedStorage.Packed is var (slots, start) ? (slots, start + y.Offset, true)
                    : (y.Storage, y.Offset, false);
                LinearEpilogue.Backward(gc.Storage, gc.Offset, rows, outFeatures, relu, ySigns, yAt, yPacked, masked?.Storage,
                    db?.Storage);
            }
            if (masked is not null) gc = masked;
            var dx = RequiresGrad ? Allocate(ShapeArray(), zeroed: false) : null;
            var dw = weight.RequiresGrad ? Allocate(weight.ShapeArray(), zeroed: false) : null;
            int ldg = Math.Max(1, outFeatures), ldx = Math.Max(1, inFeatures);
            fixed (float* pg = gc.Storage, pw = w.Storage, pdx = dx?.Storage, pdw = dw?.Storage)
            {
                float* g0 = pg + gc.Offset;
                if (dx is not null)   // dx = g·W: [N, in]
                    Gemm.Sgemm(false, false, rows, inFeatures, outFeatures, 1f, g0, ldg, pw + w.Offset, ldx, 0f, pdx, ldx, roundB: mixed);
                if (dw is not null && x.SharedStorage.Packed is var (slots, start))
                {
                    fixed (float* ps = slots)   // dW = gᵀ·x: [out, in], x read as the bfloat16 it waited in
                        Gemm.Sgemm(true, false, outFeatures, inFeatures, rows, 1f, g0, ldg, (ushort*)ps + start + x.Offset, ldx, 0f,
                            pdw, ldx);
                }
                else if (dw is not null)
                {
                    fixed (float* px = x.Storage)   // dW = gᵀ·x: [out, in]
                        Gemm.Sgemm(true, false, outFeatures, inFeatures, rows, 1f, g0, ldg, px + x.Offset, ldx, 0f, pdw, ldx);
                }
            }
            Tensor?[] grads = bias is null ? [dx, dw] : [dx, dw, db];
            return lowRank is var (down, upWeight) ? [.. grads, .. LowRankGradients(gc, rows, down, u!, upWeight, up!, mixed)] : grads;
        });
    }

    // The low-rank term's gradients: d down = g·up: [N, r], d up = gᵀ·u: [out, r].
    private static unsafe Tensor?[] LowRankGradients(Tensor gc, int rows, Tensor down, Tensor u, Tensor upWeight, Tensor up, bool mixed)
    {
        int outFeatures = up.Size(0), rank = up.Size(1);
        var dDown = down.RequiresGrad ? Allocate(down.ShapeArray(), zeroed: false) : null;
        var dUp = upWeight.RequiresGrad ? Allocate(up.ShapeArray(), zeroed: false) : null;
        fixed (float* pg = gc.Storage, pe = up.Storage, pu = dUp is null ? null : u.Storage, pdd = dDown?.Storage, pde = dUp?.Storage)
        {
            float* g0 = pg + gc.Offset;
            if (dDown is not null)
                Gemm.Sgemm(false, false, rows, rank, outFeatures, 1f, g0, Math.Max(1, outFeatures), pe + up.Offset, Math.Max(1, rank), 0f,
                    pdd, Math.Max(1, rank), roundB: mixed);
            if (dUp is not null)
                Gemm.Sgemm(true, false, outFeatures, rank, rows, 1f, g0, Math.Max(1, outFeatures), pu + u.Offset, Math.Max(1, rank), 0f,
                    pde, Math.Max(1, rank));
        }
        return [dDown, dUp];
    }
}
