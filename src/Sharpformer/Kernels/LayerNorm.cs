using System.Numerics.Tensors;

namespace Sharpformer.Kernels;

/// <summary>Layer normalization over the last dimension of dense rows, forward and backward.</summary>
internal static class LayerNorm
{
    [ThreadStatic] private static float[]? t_row;

    // x, y: [rows, n]; gamma, beta: [n] or empty; mean, rstd: [rows]
    // y = (x − mean)·rstd·γ + β with rstd = 1/√(var + eps), var the biased variance
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int rows, int n, float eps,
                               Span<float> y, Span<float> mean, Span<float> rstd)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * n, n);
            var yr = y.Slice(r * n, n);
            float m = TensorPrimitives.Sum(xr) / n;
            TensorPrimitives.Subtract(xr, m, yr);                       // y ← x − mean
            float rs = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(yr) / n + eps);
            mean[r] = m;
            rstd[r] = rs;
            TensorPrimitives.Multiply(yr, rs, yr);                      // y ← x̂
            if (!gamma.IsEmpty) TensorPrimitives.FusedMultiplyAdd(yr, gamma, beta, yr);
        }
    }

    // g: [rows, n] upstream gradient. With ĝ = g·γ and x̂ the normalized input:
    // dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), dγ += Σ_rows g·x̂, dβ += Σ_rows g
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> g, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
                                int rows, int n, Span<float> dx, Span<float> dGamma, Span<float> dBeta)
    {
        if (t_row is null || t_row.Length < n) t_row = new float[n];
        var xhat = t_row.AsSpan(0, n);
        for (int r = 0; r < rows; r++)
        {
            var gr = g.Slice(r * n, n);
            var dxr = dx.Slice(r * n, n);
            TensorPrimitives.Subtract(x.Slice(r * n, n), mean[r], xhat);
            TensorPrimitives.Multiply(xhat, rstd[r], xhat);              // x̂
            if (!dGamma.IsEmpty)
            {
                TensorPrimitives.FusedMultiplyAdd(gr, xhat, dGamma, dGamma);
                TensorPrimitives.Add(dBeta, gr, dBeta);
                TensorPrimitives.Multiply(gr, gamma, dxr);              // dx ← ĝ
            }
            else
            {
                gr.CopyTo(dxr);
            }
            float meanG = TensorPrimitives.Sum(dxr) / n;
            float meanGX = TensorPrimitives.Dot(dxr, xhat) / n;
            // dx ← rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))
            TensorPrimitives.FusedMultiplyAdd(xhat, -meanGX, dxr, dxr);
            TensorPrimitives.Subtract(dxr, meanG, dxr);
            TensorPrimitives.Multiply(dxr, rstd[r], dxr);
        }
    }
}
