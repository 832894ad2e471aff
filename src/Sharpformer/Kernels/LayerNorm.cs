using System.Numerics.Tensors;

namespace Sharpformer.Kernels;

/// <summary>What layer normalization reads and saves: x: [rows, n], γ and β: [n] (or empty), mean and rstd: [rows].</summary>
internal readonly record struct LayerNormBuffers(Memory<float> X, Memory<float> Gamma, Memory<float> Beta, Memory<float> Mean,
    Memory<float> Rstd, int N);

/// <summary>
/// Layer normalization over the last dimension of dense rows, forward and backward, split over threads
/// by blocks of rows. γ and β gradients are summed per block, then over blocks in order, so the result
/// does not depend on the thread count.
/// </summary>
internal static class LayerNorm
{
    private const int BlockRows = 32;

    [ThreadStatic] private static float[]? t_row;

    // y = (x − mean)·rstd·γ + β with rstd = 1/√(var + eps), var the biased variance; fills mean and rstd
    public static void Forward(LayerNormBuffers b, float eps, Memory<float> y)
    {
        var job = new ForwardJob(b, eps, y);
        ParallelRange.For(b.Mean.Length, BlockRows, ref job);
    }

    /// <summary>
    /// Floats of scratch that <see cref="Backward"/> needs for an affine norm of <paramref name="rows"/> rows
    /// of width <paramref name="n"/>.
    /// </summary>
    public static int BackwardScratch(int rows, int n) => (rows + BlockRows - 1) / BlockRows * 2 * n;

    // g: [rows, n] upstream gradient. With ĝ = g·γ and x̂ the normalized input:
    // dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), dγ = Σ_rows g·x̂, dβ = Σ_rows g
    // partial: BackwardScratch(rows, n) floats (any contents; unused without γ): per block Σ g·x̂ then Σ g
    public static void Backward(LayerNormBuffers b, Memory<float> g, Memory<float> dx, Span<float> dGamma, Span<float> dBeta,
                                float[] partial)
    {
        int rows = b.Mean.Length, n = b.N, blocks = (rows + BlockRows - 1) / BlockRows;
        bool affine = !b.Gamma.IsEmpty;
        var job = new BackwardJob(b, g, dx, partial);
        ParallelRange.For(blocks, 1, ref job);
        if (!affine) return;
        dGamma.Clear();
        dBeta.Clear();
        for (int k = 0; k < blocks; k++)
        {
            TensorPrimitives.Add(dGamma, partial.AsSpan(k * 2 * n, n), dGamma);
            TensorPrimitives.Add(dBeta, partial.AsSpan(k * 2 * n + n, n), dBeta);
        }
    }

    /// <summary>The forward pass on one thread: x, y: [rows, n] (distinct); mean, rstd: [rows].</summary>
    public static void ForwardRows(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int rows, int n, float eps,
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

    private readonly struct ForwardJob(LayerNormBuffers b, float eps, Memory<float> y) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int n = b.N, rows = end - start;
            ForwardRows(b.X.Span.Slice(start * n, rows * n), b.Gamma.Span, b.Beta.Span, rows, n, eps,
                y.Span.Slice(start * n, rows * n), b.Mean.Span.Slice(start, rows), b.Rstd.Span.Slice(start, rows));
        }
    }

    // Blocks [start, end) of BlockRows rows each.
    private readonly struct BackwardJob(LayerNormBuffers b, Memory<float> g, Memory<float> dx, float[] partial) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int n = b.N, rows = b.Mean.Length;
            if (t_row is null || t_row.Length < n) t_row = new float[n];
            var xhat = t_row.AsSpan(0, n);
            var gamma = b.Gamma.Span;
            for (int block = start; block < end; block++)
            {
                Span<float> dGamma = [], dBeta = [];
                if (!gamma.IsEmpty)
                {
                    dGamma = partial.AsSpan(block * 2 * n, n);
                    dBeta = partial.AsSpan(block * 2 * n + n, n);
                    dGamma.Clear();
                    dBeta.Clear();
                }
                for (int r = block * BlockRows; r < Math.Min(rows, (block + 1) * BlockRows); r++)
                {
                    var gr = g.Span.Slice(r * n, n);
                    var dxr = dx.Span.Slice(r * n, n);
                    float rstd = b.Rstd.Span[r];
                    TensorPrimitives.Subtract(b.X.Span.Slice(r * n, n), b.Mean.Span[r], xhat);
                    TensorPrimitives.Multiply(xhat, rstd, xhat);                 // x̂
                    if (!gamma.IsEmpty)
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
                    TensorPrimitives.Multiply(dxr, rstd, dxr);
                }
            }
        }
    }
}
