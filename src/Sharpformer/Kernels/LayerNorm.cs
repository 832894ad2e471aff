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
    /// <summary>Rows per block: the grain of the forward split and the unit of the backward pass.</summary>
    public const int BlockRows = 32;

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
    public static int BackwardScratch(int rows, int n) => Blocks(rows) * 2 * n;

    // g: [rows, n] upstream gradient. With ĝ = g·γ and x̂ the normalized input:
    // dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), dγ = Σ_rows g·x̂, dβ = Σ_rows g
    // partial: BackwardScratch(rows, n) floats (any contents; unused without γ): per block Σ g·x̂ then Σ g
    public static void Backward(LayerNormBuffers b, Memory<float> g, Memory<float> dx, Span<float> dGamma, Span<float> dBeta,
                                float[] partial)
    {
        var job = new BackwardJob(b, g, dx, partial);
        ParallelRange.For(Blocks(b.Mean.Length), 1, ref job);
        SumPartials(b, dGamma, dBeta, partial);
    }

    /// <summary>How many blocks of rows the backward pass works in (the unit of its parallel split and of its partial sums).</summary>
    public static int Blocks(int rows) => (rows + BlockRows - 1) / BlockRows;

    /// <summary>The first row of <paramref name="block"/> and its row count.</summary>
    public static (int First, int Rows) BlockRange(int block, int rows) =>
        (block * BlockRows, Math.Min(BlockRows, rows - block * BlockRows));

    /// <summary>
    /// The backward pass of one block of rows (see <see cref="Backward"/>): its rows of dx, and its partial Σ g·x̂ and Σ g in
    /// <paramref name="partial"/> for an affine norm.
    /// </summary>
    public static void BackwardBlock(LayerNormBuffers b, ReadOnlySpan<float> g, Span<float> dx, int block, float[] partial)
    {
        int n = b.N;
        if (t_row is null || t_row.Length < n) t_row = new float[n];
        var xhat = t_row.AsSpan(0, n);
        var gamma = b.Gamma.Span;
        Span<float> dGamma = [], dBeta = [];
        if (!gamma.IsEmpty)
        {
            dGamma = partial.AsSpan(block * 2 * n, n);
            dBeta = partial.AsSpan(block * 2 * n + n, n);
            dGamma.Clear();
            dBeta.Clear();
        }
        var (first, count) = BlockRange(block, b.Mean.Length);
        for (int r = first; r < first + count; r++)
        {
            var gr = g.Slice(r * n, n);
            var dxr = dx.Slice(r * n, n);
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

    /// <summary>dγ and dβ: the blocks' partial sums added in block order, so the thread count does not change them.</summary>
    public static void SumPartials(LayerNormBuffers b, Span<float> dGamma, Span<float> dBeta, float[] partial)
    {
        if (b.Gamma.IsEmpty) return;
        int n = b.N;
        dGamma.Clear();
        dBeta.Clear();
        for (int k = 0; k < Blocks(b.Mean.Length); k++)
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
            for (int block = start; block < end; block++) BackwardBlock(b, g.Span, dx.Span, block, partial);
        }
    }
}
