namespace Sharpformer.Kernels;

/// <summary>Layer normalization over the last dimension of dense rows, forward and backward.</summary>
internal static class LayerNorm
{
    // x, y: [rows, n]; gamma, beta: [n] or empty; mean, rstd: [rows]
    // y = (x − mean)·rstd·γ + β with rstd = 1/√(var + eps), var the biased variance
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int rows, int n, float eps,
                               Span<float> y, Span<float> mean, Span<float> rstd)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * n, n);
            var yr = y.Slice(r * n, n);
            double sum = 0;
            foreach (float v in xr) sum += v;
            double mu = sum / n;
            double sq = 0;
            foreach (float v in xr) sq += (v - mu) * (v - mu);
            float rs = (float)(1.0 / Math.Sqrt(sq / n + eps));
            float m = (float)mu;
            mean[r] = m;
            rstd[r] = rs;
            for (int j = 0; j < n; j++)
            {
                float xhat = (xr[j] - m) * rs;
                yr[j] = gamma.IsEmpty ? xhat : xhat * gamma[j] + beta[j];
            }
        }
    }

    // g: [rows, n] upstream gradient. With ĝ = g·γ and x̂ the normalized input:
    // dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), dγ += Σ_rows g·x̂, dβ += Σ_rows g
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> g, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
                                int rows, int n, Span<float> dx, Span<float> dGamma, Span<float> dBeta)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * n, n);
            var gr = g.Slice(r * n, n);
            float m = mean[r], rs = rstd[r];
            double sumG = 0, sumGX = 0;
            for (int j = 0; j < n; j++)
            {
                float xhat = (xr[j] - m) * rs;
                float gh = gamma.IsEmpty ? gr[j] : gr[j] * gamma[j];
                sumG += gh;
                sumGX += gh * xhat;
                if (!dGamma.IsEmpty)
                {
                    dGamma[j] += gr[j] * xhat;
                    dBeta[j] += gr[j];
                }
            }
            float meanG = (float)(sumG / n), meanGX = (float)(sumGX / n);
            var dxr = dx.Slice(r * n, n);
            for (int j = 0; j < n; j++)
            {
                float xhat = (xr[j] - m) * rs;
                float gh = gamma.IsEmpty ? gr[j] : gr[j] * gamma[j];
                dxr[j] = rs * (gh - meanG - xhat * meanGX);
            }
        }
    }
}
