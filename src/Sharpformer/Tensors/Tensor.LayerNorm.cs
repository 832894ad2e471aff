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
        if (Rank == 0) throw new ShapeMismatchException("LayerNorm: input must have at least one dimension");
        int n = _shape[^1], rows = n == 0 ? 0 : Length / n;
        if ((weight is null) != (bias is null))
            throw new ArgumentException("LayerNorm: give both weight and bias, or neither");
        if (weight is not null && (weight.Rank != 1 || weight.Length != n || bias!.Rank != 1 || bias.Length != n))
            throw new ShapeMismatchException($"LayerNorm: weight {Shapes.Format(weight.Shape)} and bias {Shapes.Format(bias!.Shape)} must be [{n}] for input {Shapes.Format(_shape)}");
        var x = Contiguous();
        float[] gamma = weight?.ToArray() ?? [];
        float[] beta = bias?.ToArray() ?? [];
        var y = new float[Length];
        var mean = new float[rows];
        var rstd = new float[rows];
        Kernels.LayerNorm.Forward(x.AsSpan(), gamma, beta, rows, n, eps, y, mean, rstd);
        Tensor[] inputs = weight is null ? [this] : [this, weight, bias!];
        return Record(new Tensor(y, (int[])_shape.Clone()), "LayerNorm", inputs, g =>
        {
            var dx = new float[Length];
            var dGamma = weight is null ? [] : new float[n];
            var dBeta = weight is null ? [] : new float[n];
            Kernels.LayerNorm.Backward(x.AsSpan(), gamma, g.Contiguous().AsSpan(), mean, rstd, rows, n, dx, dGamma, dBeta);
            var dInput = new Tensor(dx, (int[])_shape.Clone());
            return weight is null ? [dInput] : [dInput, new Tensor(dGamma, [n]), new Tensor(dBeta, [n])];
        });
    }
}
