using System.Numerics.Tensors;

namespace Sharpformer.Kernels;

/// <summary>
/// Reductions over the middle axis of a dense tensor viewed as [outer, n, inner]
/// (any axis of a row-major tensor can be viewed this way).
/// </summary>
internal static class Reductions
{
    /// <summary>The [outer, n, inner] view of reducing <paramref name="axis"/> of <paramref name="shape"/>.</summary>
    public static (int Outer, int N, int Inner) Split(ReadOnlySpan<int> shape, int axis)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[axis], inner);
    }

    // x: [outer, n, inner] → dst: [outer, inner], dst = Σ_j x[:, j, :]
    public static void Sum(ReadOnlySpan<float> x, int outer, int n, int inner, Span<float> dst)
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) dst[o] = TensorPrimitives.Sum(x.Slice(o * n, n));
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            var d = dst.Slice(o * inner, inner);
            d.Clear();
            for (int j = 0; j < n; j++) TensorPrimitives.Add(d, x.Slice((o * n + j) * inner, inner), d);
        }
    }

    // x: [outer, n, inner] → values, indices: [outer, inner]; the first index wins ties, NaN wins over numbers
    public static void Max(ReadOnlySpan<float> x, int outer, int n, int inner, Span<float> values, Span<int> indices)
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int at = o * n * inner + i;
                float best = x[at];
                int bestJ = 0;
                for (int j = 1; j < n && !float.IsNaN(best); j++)
                {
                    float v = x[at + j * inner];
                    if (v > best || float.IsNaN(v))
                    {
                        best = v;
                        bestJ = j;
                    }
                }
                values[o * inner + i] = best;
                indices[o * inner + i] = bestJ;
            }
        }
    }
}
