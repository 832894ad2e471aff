using System.Numerics.Tensors;

namespace Sharpformer.Kernels;

/// <summary>
/// "Add &amp; Norm" after a post-norm sublayer, one block of rows at a time while it sits in cache: z = x + dropout(s) and
/// y = LayerNorm(z) forward; backward, dz from the norm's backward pass and ds = dropout(dz) with the same mask. The
/// arithmetic of <see cref="DropoutMask"/>, an add and <see cref="LayerNorm"/> run one after another, so the same bits,
/// in one parallel region and one pass over the rows each way instead of three.
/// </summary>
internal static class AddNorm
{
    // x, s: [rows, n]; b.X is z: [rows, n], written here and kept for the backward pass; y: [rows, n];
    // key and p: the dropout on s (p = 0: none)
    public static void Forward(ReadOnlyMemory<float> x, ReadOnlyMemory<float> s, LayerNormBuffers b, ulong key, float p, float eps,
                               Memory<float> y)
    {
        var job = new ForwardJob(x, s, b, key, p, eps, y);
        ParallelRange.For(b.Mean.Length, LayerNorm.BlockRows, ref job);
    }

    // g: [rows, n] upstream gradient → dz: [rows, n] (x's gradient: the add passes it on unchanged) and ds: [rows, n]
    // (dz through the dropout mask; with p = 0 not written: s's gradient is dz itself); dγ, dβ and partial as LayerNorm.Backward
    public static void Backward(LayerNormBuffers b, ReadOnlyMemory<float> g, ulong key, float p, Memory<float> dz, Memory<float> ds,
                                Span<float> dGamma, Span<float> dBeta, float[] partial)
    {
        var job = new BackwardJob(b, g, key, p, dz, ds, partial);
        ParallelRange.For(LayerNorm.Blocks(b.Mean.Length), 1, ref job);
        LayerNorm.SumPartials(b, dGamma, dBeta, partial);
    }

    private readonly struct ForwardJob(ReadOnlyMemory<float> x, ReadOnlyMemory<float> s, LayerNormBuffers b, ulong key, float p,
                                       float eps, Memory<float> y) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int n = b.N;
            for (int r = start; r < end; r += LayerNorm.BlockRows)
            {
                int rows = Math.Min(LayerNorm.BlockRows, end - r), first = r * n, count = rows * n;
                var z = b.X.Span.Slice(first, count);
                var xr = x.Span.Slice(first, count);
                var sr = s.Span.Slice(first, count);
                if (p > 0f)
                {
                    DropoutMask.Apply(sr, z, key, first, p);                   // z ← dropout(s)
                    TensorPrimitives.Add(z, xr, z);                            // z ← x + dropout(s)
                }
                else
                {
                    TensorPrimitives.Add(xr, sr, z);
                }
                LayerNorm.ForwardRows(z, b.Gamma.Span, b.Beta.Span, rows, n, eps, y.Span.Slice(first, count),
                    b.Mean.Span.Slice(r, rows), b.Rstd.Span.Slice(r, rows));
            }
        }
    }

    // Blocks [start, end) of LayerNorm.BlockRows rows each.
    private readonly struct BackwardJob(LayerNormBuffers b, ReadOnlyMemory<float> g, ulong key, float p, Memory<float> dz,
                                        Memory<float> ds, float[] partial) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int n = b.N, rows = b.Mean.Length;
            for (int block = start; block < end; block++)
            {
                LayerNorm.BackwardBlock(b, g.Span, dz.Span, block, partial);
                if (p == 0f) continue;
                var (first, count) = LayerNorm.BlockRange(block, rows);
                DropoutMask.Apply(dz.Span.Slice(first * n, count * n), ds.Span.Slice(first * n, count * n), key, first * n, p);
            }
        }
    }
}
