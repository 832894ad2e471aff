using Sharpformer.Kernels;

namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>Sum over <paramref name="axis"/>; with <paramref name="keepDim"/> the axis stays with size 1.</summary>
    public Tensor Sum(int axis, bool keepDim = false)
    {
        int d = Shapes.NormalizeAxis(axis, Rank, "Sum");
        var (outer, n, inner) = Reductions.Split(_shape, d);
        var kept = KeptShape(d);
        var y = Allocate(keepDim ? kept : Reduced(d));
        Reductions.Sum(Contiguous().AsSpan(), outer, n, inner, y.AsSpan());
        var inputShape = _shape;
        return Record(y, "Sum", [this],
            g => [g.Reshape(kept).Expand(inputShape)]);
    }

    /// <summary>Sum of all elements (a scalar tensor).</summary>
    public Tensor Sum() => Reshape(-1).Sum(0);

    /// <summary>Mean over <paramref name="axis"/>.</summary>
    public Tensor Mean(int axis, bool keepDim = false)
    {
        int n = Size(axis);
        return Sum(axis, keepDim).Mul(1f / n);
    }

    /// <summary>Mean of all elements (a scalar tensor).</summary>
    public Tensor Mean() => Sum().Mul(1f / Length);

    /// <summary>Maximum over <paramref name="axis"/>; the gradient flows to the first maximal element.</summary>
    public Tensor Max(int axis, bool keepDim = false)
    {
        int d = Shapes.NormalizeAxis(axis, Rank, "Max");
        var (values, indices) = MaxWithIndices(d);
        var kept = KeptShape(d);
        var inputShape = _shape;
        var (outer, n, inner) = Reductions.Split(_shape, d);
        return Record(new Tensor(values, keepDim ? kept : Reduced(d)), "Max", [this], g =>
        {
            var gs = g.Contiguous().AsSpan();
            var dx = new float[outer * n * inner];
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                    dx[(o * n + indices[o * inner + i]) * inner + i] = gs[o * inner + i];
            return [new Tensor(dx, inputShape)];
        });
    }

    /// <summary>Index of the maximum over <paramref name="axis"/> (first on ties), as float values. Not differentiable.</summary>
    public Tensor ArgMax(int axis, bool keepDim = false)
    {
        int d = Shapes.NormalizeAxis(axis, Rank, "ArgMax");
        var (_, indices) = MaxWithIndices(d);
        return new Tensor(Array.ConvertAll(indices, i => (float)i), keepDim ? KeptShape(d) : Reduced(d));
    }

    private (float[] Values, int[] Indices) MaxWithIndices(int axis)
    {
        var (outer, n, inner) = Reductions.Split(_shape, axis);
        if (n == 0) throw new ArgumentException($"Max: cannot reduce an empty dimension {axis} of shape {Shapes.Format(_shape)}");
        var values = new float[outer * inner];
        var indices = new int[outer * inner];
        Reductions.Max(Contiguous().AsSpan(), outer, n, inner, values, indices);
        return (values, indices);
    }

    private int[] KeptShape(int axis)
    {
        var s = (int[])_shape.Clone();
        s[axis] = 1;
        return s;
    }

    private int[] Reduced(int axis) => [.. _shape.Where((_, i) => i != axis)];
}
