namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Normalizes over the last dimension to zero mean and unit variance, then scales by
    /// <paramref name="weight"/> and shifts by <paramref name="bias"/> (both [n], or both null), as
    /// torch.nn.functional.layer_norm. One fused op with its own backward.
    /// </summary>
    public Tensor LayerNorm(Tensor? weight, Tensor? bias, float eps = 1e-5f)
    {
        var (rows, n) = NormRows("LayerNorm", weight, bias);
        var x = Contiguous();
        var gamma = weight is null ? Memory<float>.Empty : weight.Contiguous().AsMemory();
        var beta = bias is null ? Memory<float>.Empty : bias.Contiguous().AsMemory();
        var y = Allocate(ShapeArray(), zeroed: false);
        var stats = Allocate([2, rows], zeroed: false);                   // mean and rstd per row
        // Built again for the backward pass: under bf16 mixed precision x and the statistics may have been packed meanwhile.
        Kernels.LayerNormBuffers Saved() =>
            new(x.AsMemory(), gamma, beta, stats.Storage.AsMemory(0, rows), stats.Storage.AsMemory(rows, rows), n);
        Kernels.LayerNorm.Forward(Saved(), eps, y.AsMemory());
        Tensor[] inputs = weight is null ? [this] : [this, weight, bias!];
        return Record(y, "LayerNorm", inputs, g =>
        {
            var dx = Allocate(ShapeArray(), zeroed: false);
            var dGamma = weight is null ? null : Allocate([n], zeroed: false);
            var dBeta = weight is null ? null : Allocate([n], zeroed: false);
            var partial = weight is null ? [] : TensorArena.Rent(Kernels.LayerNorm.BackwardScratch(rows, n), zeroed: false);
            Kernels.LayerNorm.Backward(Saved(), g.Contiguous().AsMemory(), dx.AsMemory(),
                dGamma is null ? [] : dGamma.AsSpan(), dBeta is null ? [] : dBeta.AsSpan(), partial);
            return weight is null ? [dx] : [dx, dGamma, dBeta];
        });
    }

    // The rows and width of a norm over the last dimension, once its weight and bias are checked against them.
    private (int Rows, int N) NormRows(string op, Tensor? weight, Tensor? bias)
    {
        if (Rank == 0) throw new ShapeMismatchException($"{op}: input must have at least one dimension");
        int n = _shape[^1], rows = n == 0 ? 0 : Length / n;
        if ((weight is null) != (bias is null))
            throw new ArgumentException($"{op}: give both weight and bias, or neither");
        if (weight is not null && (weight.Rank != 1 || weight.Length != n || bias!.Rank != 1 || bias.Length != n))
            throw new ShapeMismatchException($"{op}: weight {Shapes.Format(weight.Shape)} and bias {Shapes.Format(bias!.Shape)} " +
                                             $"must be [{n}] for input {Shapes.Format(_shape)}");
        return (rows, n);
    }
}
