namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Rotary position embedding (split halves, as GPT-NeoX and LLaMA): each vector along the last
    /// dimension (even size d) is rotated by angles position·θ^(−2i/d), the position being
    /// <paramref name="offset"/> plus the index along dimension <paramref name="positionDim"/>.
    /// For [B, T, H, d] heads, positionDim is 1; for [B, H, T, d], 2. The result is contiguous; the
    /// gradient is the inverse rotation of the upstream gradient.
    /// </summary>
    public Tensor Rope(int positionDim, int offset = 0, float theta = 10000f)
    {
        int rank = Rank;
        if (rank < 2 || _shape[^1] % 2 != 0)
            throw new ShapeMismatchException($"Rope: the last dimension must be even (head vectors), got {Shapes.Format(_shape)}");
        int dim = positionDim < 0 ? positionDim + rank : positionDim;
        if (dim < 0 || dim >= rank - 1)
            throw new ArgumentOutOfRangeException(nameof(positionDim),
                $"Rope: position dimension {positionDim} of {Shapes.Format(_shape)}");
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (!(theta > 1f) || !float.IsFinite(theta))
            throw new ArgumentOutOfRangeException(nameof(theta), $"Rope: the base θ must be a finite number above 1, got {theta}");
        int d = _shape[^1], length = _shape[dim], rows = Length / Math.Max(1, d), inner = 1;
        for (int i = dim + 1; i < rank - 1; i++) inner *= _shape[i];
        var (cos, sin) = Kernels.Rope.Table(offset, length, d, theta);
        var x = Contiguous();
        var y = Allocate(ShapeArray(), zeroed: false);
        Kernels.Rope.Rotate(x.AsSpan(), y.AsSpan(), rows, d, length, inner, cos, sin, inverse: false);
        return Record(y, "Rope", [this], g =>
        {
            var dx = Allocate(ShapeArray(), zeroed: false);
            Kernels.Rope.Rotate(g.Contiguous().AsSpan(), dx.AsSpan(), rows, d, length, inner, cos, sin, inverse: true);
            return [dx];
        });
    }
}
