namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// The residual step of a post-norm layer, the paper's "Add &amp; Norm": LayerNorm(this + Dropout(sublayer)) over the last
    /// dimension, with dropout probability <paramref name="p"/> keyed by one draw from <paramref name="rng"/> (no draw when
    /// p = 0). One fused op: the numbers of <see cref="Dropout"/>, <see cref="Add(Tensor)"/> and <see cref="LayerNorm"/> one
    /// after another, bit for bit, in one pass over the rows each way.
    /// </summary>
    public Tensor AddNorm(Tensor sublayer, Tensor? weight, Tensor? bias, float eps = 1e-5f, float p = 0f, Rng? rng = null)
    {
        if (!_shape.AsSpan().SequenceEqual(sublayer._shape))
            throw new ShapeMismatchException($"AddNorm: residual {Shapes.Format(_shape)} and sublayer {Shapes.Format(sublayer._shape)} " +
                                             "must have the same shape");
        if (!(p >= 0f && p < 1f))
            throw new ArgumentOutOfRangeException(nameof(p), $"AddNorm: dropout probability {p} must be in [0, 1)");
        if (p > 0f && rng is null) throw new ArgumentNullException(nameof(rng), "AddNorm: dropout needs a generator");
        var (rows, n) = NormRows("AddNorm", weight, bias);
        var x = Contiguous();
        var s = sublayer.Contiguous();
        var gamma = weight is null ? Memory<float>.Empty : weight.Contiguous().AsMemory();
        var beta = bias is null ? Memory<float>.Empty : bias.Contiguous().AsMemory();
        ulong key = p > 0f ? rng!.NextUInt64() : 0;
        var z = Allocate(ShapeArray(), zeroed: false);                    // x + dropout(s), what the norm's backward pass reads
        var y = Allocate(ShapeArray(), zeroed: false);
        var stats = Allocate([2, rows], zeroed: false);                   // mean and rstd per row
        // Built again for the backward pass: under bf16 mixed precision z and the statistics may have been packed meanwhile.
        Kernels.LayerNormBuffers Saved() =>
            new(z.AsMemory(), gamma, beta, stats.Storage.AsMemory(0, rows), stats.Storage.AsMemory(rows, rows), n);
        Kernels.AddNorm.Forward(x.AsMemory(), s.AsMemory(), Saved(), key, p, eps, y.AsMemory());
        Tensor[] inputs = weight is null ? [this, sublayer] : [this, sublayer, weight, bias!];
        return Record(y, "AddNorm", inputs, g =>
        {
            var dz = Allocate(ShapeArray(), zeroed: false);
            var ds = p > 0f ? Allocate(ShapeArray(), zeroed: false) : dz;   // without dropout the add hands both inputs dz
            var dGamma = weight is null ? null : Allocate([n], zeroed: false);
            var dBeta = weight is null ? null : Allocate([n], zeroed: false);
            var partial = weight is null ? [] : TensorArena.Rent(Kernels.LayerNorm.BackwardScratch(rows, n), zeroed: false);
            Kernels.AddNorm.Backward(Saved(), g.Contiguous().AsMemory(), key, p, dz.AsMemory(), ds.AsMemory(),
                dGamma is null ? [] : dGamma.AsSpan(), dBeta is null ? [] : dBeta.AsSpan(), partial);
            return weight is null ? [dz, ds] : [dz, ds, dGamma, dBeta];
        });
    }
}
