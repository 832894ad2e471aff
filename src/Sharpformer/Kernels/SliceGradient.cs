namespace Sharpformer.Kernels;

/// <summary>
/// The backward pass of a slice: the gradient of the whole tensor, zero outside the slice and the slice's gradient inside,
/// written in one parallel pass (each element once) instead of zeroing the whole and copying the slice in.
/// </summary>
internal static class SliceGradient
{
    private const int Grain = 1 << 15;   // elements per piece

    /// <summary>
    /// full[o, i, :] = g[o, (i − start) / step, :] for i = start, start + step, … before end, and 0 for every other i.
    /// </summary>
    // full: [outer, size, inner]; g: [outer, count, inner], both dense
    public static void Run(ReadOnlySpan<float> g, Span<float> full, int outer, int size, int inner, int start, int end, int step)
    {
        int count = (end - start + step - 1) / step;
        if (g.Length != outer * count * inner || full.Length != outer * size * inner)
            throw new ArgumentException("SliceGradient: the spans do not hold the shapes");
        unsafe
        {
            fixed (float* pg = g, pf = full)
            {
                var job = new Job(pg, pf, size, inner, start, count, step);
                ParallelRange.For(outer, Math.Max(1, Grain / Math.Max(1, size * inner)), ref job);
            }
        }
    }

    // Blocks [from, to) of the outer dimension.
    private readonly unsafe struct Job(float* g, float* full, int size, int inner, int start, int count, int step) : IRangeJob
    {
        public void Run(int from, int to)
        {
            for (int o = from; o < to; o++)
            {
                var dst = new Span<float>(full + (long)o * size * inner, size * inner);
                var src = new ReadOnlySpan<float>(g + (long)o * count * inner, count * inner);
                if (step == 1)
                {
                    dst[..(start * inner)].Clear();
                    src.CopyTo(dst.Slice(start * inner, count * inner));
                    dst[((start + count) * inner)..].Clear();
                    continue;
                }
                dst.Clear();
                for (int j = 0; j < count; j++)
                    src.Slice(j * inner, inner).CopyTo(dst.Slice((start + j * step) * inner, inner));
            }
        }
    }
}
