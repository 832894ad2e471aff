namespace Sharpformer.Kernels;

/// <summary>
/// The backward pass of a gather along one axis (an embedding lookup): dx[o, ids[j], :] = Σ_j g[o, j, :], zero for rows no
/// index names. Threads split the columns, and each writes its columns' zeros and sums in one pass, adding over j in
/// order, so a repeated index sums the same way on any thread count.
/// </summary>
internal static class GatherGradient
{
    private const int ColumnGrain = 64;

    // g: [outer, ids.Length, inner] → dx: [outer, n, inner], both dense
    public static void Run(ReadOnlySpan<float> g, Span<float> dx, int outer, int n, int inner, int[] ids)
    {
        if (g.Length != outer * ids.Length * inner || dx.Length != outer * n * inner)
            throw new ArgumentException("GatherGradient: the spans do not hold the shapes");
        unsafe
        {
            fixed (float* pg = g, pdx = dx)
            {
                var job = new Job(pg, pdx, outer, n, inner, ids);
                ParallelRange.For(inner, ColumnGrain, ref job);
            }
        }
    }

    // Columns [start, end) of every row.
    private readonly unsafe struct Job(float* g, float* dx, int outer, int n, int inner, int[] ids) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int count = end - start;
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < n; i++)
                    new Span<float>(dx + ((long)o * n + i) * inner + start, count).Clear();
                for (int j = 0; j < ids.Length; j++)
                {
                    var dst = new Span<float>(dx + ((long)o * n + ids[j]) * inner + start, count);
                    var src = new ReadOnlySpan<float>(g + ((long)o * ids.Length + j) * inner + start, count);
                    System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst);
                }
            }
        }
    }
}
