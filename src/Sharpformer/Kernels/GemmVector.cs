using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Sharpformer.Kernels;

/// <summary>
/// Products with one row of C, or a few rows against a transposed B (incremental decoding: one row per
/// sequence or beam). Each element of B is used for one multiply-add per row, so the speed is the speed
/// at which B streams in: B is read in place, never packed. When B is stored transposed (a Linear layer's
/// weight [n, k]) blocks of eight rows are dotted with the rows of A while the block two ahead is
/// prefetched line by line (on one core of a 2-core AVX-512 EPYC, decoder weights stream from L3 at about
/// 80 GB/s this way, against 40 GB/s for one dot product at a time); a single row against B stored [k, n]
/// sums scaled rows of B. Threads split the columns into ranges.
/// </summary>
internal static unsafe class GemmVector
{
    private const int BlockRows = 8;
    private const int PrefetchBlocks = 2;
    private const int PrefetchSkew = 256;
    private const int CacheLineFloats = 16;
    private const int ColumnsPerChunk = 128;
    private const int MaxStackFloats = 16384;

    // From this many multiply-adds (256 KB of B) another core's share of the bandwidth outweighs waking a
    // thread (decoding the big model on 2 threads: 4200 tokens/s from 64K, 3850 from 256K).
    internal const long ParallelWork = 1L << 16;

    /// <summary>
    /// Most rows of C taken here (with B transposed, A not); packing pays for itself beyond
    /// (4 rows of [768, 256]: 18 µs here, 40 µs packed).
    /// </summary>
    public const int MaxRows = 8;

    /// <summary>Whether this path computes the product: one row, or up to <see cref="MaxRows"/> rows of A against a transposed B.</summary>
    public static bool Handles(in GemmProblem g) => g.M == 1 || (g.M <= MaxRows && g.TransB && !g.TransA);

    // c: [m, n] = α·op(A)[m, k]·op(B)[k, n] + β·c, for the products Handles accepts
    public static void Run(in GemmProblem g, int threads)
    {
        float* gathered = stackalloc float[g.TransA && g.K <= MaxStackFloats ? g.K : 0];
        float[]? heap = g.TransA && g.K > MaxStackFloats ? GC.AllocateUninitializedArray<float>(g.K, pinned: true) : null;
        float* x = g.A;
        if (g.TransA)
        {
            // A (one row here) is stored [k, 1]-strided: gather op(A)'s row.
            fixed (float* h = heap)
            {
                float* dst = heap is null ? gathered : h;
                for (int p = 0; p < g.K; p++) dst[p] = g.A[p * g.Lda];
                x = dst;
            }
        }
        // One range per thread keeps each range long enough to prefetch ahead (smaller ones lost 10-20%).
        int tasks = threads > 1 && g.Work >= ParallelWork ? Math.Min(threads, (g.N + BlockRows - 1) / BlockRows) : 1;
        int columnsPerTask = ((g.N + tasks - 1) / tasks + BlockRows - 1) / BlockRows * BlockRows;
        var job = new Job(g, x, columnsPerTask);
        if (tasks > 1) WorkerPool.For(tasks, threads, &RunTask, &job);
        else RunTask(0, &job);
        GC.KeepAlive(heap);
    }

    private readonly struct Job(GemmProblem g, float* x, int columnsPerTask)
    {
        public readonly GemmProblem G = g;
        public readonly float* X = x;
        public readonly int ColumnsPerTask = columnsPerTask;
    }

    private static void RunTask(int task, void* state)
    {
        ref readonly Job job = ref *(Job*)state;
        int j0 = task * job.ColumnsPerTask, j1 = Math.Min(job.G.N, j0 + job.ColumnsPerTask);
        if (j0 >= j1) return;
        if (!job.G.TransB) RowSums(job.G, job.X, j0, j1);
        else if (job.G.M == 1) RowDots(job.G, job.X, j0, j1);
        else RowPairDots(job.G, j0, j1);
    }

    // B stored [n, k]: c[j] = α·(x · B[j, :]) + β·c[j] for j in [j0, j1). Eight rows of B are dotted at once,
    // a cache line of each at a time, and with each line comes a prefetch of the eight rows two blocks
    // ahead, 1 KB further along (rows 4 KB apart, as [256, 1024], would otherwise put the prefetched lines
    // in the L1 sets being read: 79 instead of 71 GB/s on them).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowDots(in GemmProblem g, float* x, int j0, int j1)
    {
        nint ld = g.Ldb;
        int k = g.K, j = j0;
        for (; j + BlockRows <= j1; j += BlockRows)
        {
            float* block = g.B + j * ld;
            float* ahead = Ahead(block, j, j1, ld);
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            int p = 0;
            for (; p + CacheLineFloats <= k; p += CacheLineFloats)
            {
                PrefetchColumn(ahead + p, ld);
                for (int u = 0; u < CacheLineFloats; u += Vector<float>.Count)
                {
                    var xv = Vector.Load(x + p + u);
                    float* b = block + p + u;
                    s0 = Vector.MultiplyAddEstimate(Vector.Load(b), xv, s0);
                    s1 = Vector.MultiplyAddEstimate(Vector.Load(b + ld), xv, s1);
                    s2 = Vector.MultiplyAddEstimate(Vector.Load(b + 2 * ld), xv, s2);
                    s3 = Vector.MultiplyAddEstimate(Vector.Load(b + 3 * ld), xv, s3);
                    s4 = Vector.MultiplyAddEstimate(Vector.Load(b + 4 * ld), xv, s4);
                    s5 = Vector.MultiplyAddEstimate(Vector.Load(b + 5 * ld), xv, s5);
                    s6 = Vector.MultiplyAddEstimate(Vector.Load(b + 6 * ld), xv, s6);
                    s7 = Vector.MultiplyAddEstimate(Vector.Load(b + 7 * ld), xv, s7);
                }
            }
            Store(g, 0, j, Vector.Sum(s0) + TailDot(x, block, p, k));
            Store(g, 0, j + 1, Vector.Sum(s1) + TailDot(x, block + ld, p, k));
            Store(g, 0, j + 2, Vector.Sum(s2) + TailDot(x, block + 2 * ld, p, k));
            Store(g, 0, j + 3, Vector.Sum(s3) + TailDot(x, block + 3 * ld, p, k));
            Store(g, 0, j + 4, Vector.Sum(s4) + TailDot(x, block + 4 * ld, p, k));
            Store(g, 0, j + 5, Vector.Sum(s5) + TailDot(x, block + 5 * ld, p, k));
            Store(g, 0, j + 6, Vector.Sum(s6) + TailDot(x, block + 6 * ld, p, k));
            Store(g, 0, j + 7, Vector.Sum(s7) + TailDot(x, block + 7 * ld, p, k));
        }
        for (; j < j1; j++)
            Store(g, 0, j, TensorPrimitives.Dot(new ReadOnlySpan<float>(x, k), new ReadOnlySpan<float>(g.B + j * ld, k)));
    }

    // B stored [n, k], 2 ≤ m ≤ MaxRows: C[i, j] = α·(A[i, :] · B[j, :]) + β·C[i, j] for j in [j0, j1). Each
    // block of eight rows of B is taken four rows at a time against pairs of rows of A (eight sums in
    // registers); the first pair streams the block in, prefetching ahead as RowDots, and the others find
    // it in L1.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowPairDots(in GemmProblem g, int j0, int j1)
    {
        nint ld = g.Ldb, lda = g.Lda;
        int k = g.K, j = j0;
        for (; j + BlockRows <= j1; j += BlockRows)
        {
            float* block = g.B + j * ld;
            float* ahead = Ahead(block, j, j1, ld);
            for (int half = 0; half < BlockRows; half += 4)
            {
                float* b = block + half * ld, pre = ahead + half * ld;
                for (int i = 0; i < g.M; i += 2, pre = b)
                {
                    float* a0 = g.A + i * lda, a1 = i + 1 < g.M ? a0 + lda : a0;   // an odd last row is paired with itself
                    Vector<float> s00 = default, s01 = default, s02 = default, s03 = default;
                    Vector<float> s10 = default, s11 = default, s12 = default, s13 = default;
                    int p = 0;
                    for (; p + CacheLineFloats <= k; p += CacheLineFloats)
                    {
                        PrefetchColumn4(pre + p, ld);
                        for (int u = 0; u < CacheLineFloats; u += Vector<float>.Count)
                        {
                            float* bu = b + p + u;
                            var b0 = Vector.Load(bu);
                            var b1 = Vector.Load(bu + ld);
                            var b2 = Vector.Load(bu + 2 * ld);
                            var b3 = Vector.Load(bu + 3 * ld);
                            var x = Vector.Load(a0 + p + u);
                            s00 = Vector.MultiplyAddEstimate(b0, x, s00);
                            s01 = Vector.MultiplyAddEstimate(b1, x, s01);
                            s02 = Vector.MultiplyAddEstimate(b2, x, s02);
                            s03 = Vector.MultiplyAddEstimate(b3, x, s03);
                            x = Vector.Load(a1 + p + u);
                            s10 = Vector.MultiplyAddEstimate(b0, x, s10);
                            s11 = Vector.MultiplyAddEstimate(b1, x, s11);
                            s12 = Vector.MultiplyAddEstimate(b2, x, s12);
                            s13 = Vector.MultiplyAddEstimate(b3, x, s13);
                        }
                    }
                    int c = j + half;
                    Store(g, i, c, Vector.Sum(s00) + TailDot(a0, b, p, k));
                    Store(g, i, c + 1, Vector.Sum(s01) + TailDot(a0, b + ld, p, k));
                    Store(g, i, c + 2, Vector.Sum(s02) + TailDot(a0, b + 2 * ld, p, k));
                    Store(g, i, c + 3, Vector.Sum(s03) + TailDot(a0, b + 3 * ld, p, k));
                    if (a1 == a0) continue;
                    Store(g, i + 1, c, Vector.Sum(s10) + TailDot(a1, b, p, k));
                    Store(g, i + 1, c + 1, Vector.Sum(s11) + TailDot(a1, b + ld, p, k));
                    Store(g, i + 1, c + 2, Vector.Sum(s12) + TailDot(a1, b + 2 * ld, p, k));
                    Store(g, i + 1, c + 3, Vector.Sum(s13) + TailDot(a1, b + 3 * ld, p, k));
                }
            }
        }
        for (; j < j1; j++)
            for (int i = 0; i < g.M; i++)
                Store(g, i, j, TensorPrimitives.Dot(new ReadOnlySpan<float>(g.A + i * lda, k), new ReadOnlySpan<float>(g.B + j * ld, k)));
    }

    // Where to prefetch for the block at row j of a range ending at j1: two blocks ahead, skewed, or the block itself near the end.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* Ahead(float* block, int j, int j1, nint ld) =>
        j + (PrefetchBlocks + 2) * BlockRows <= j1 ? block + PrefetchBlocks * BlockRows * ld + PrefetchSkew : block;

    // Σ x[p]·row[p] over the columns [from, k) left after the whole cache lines
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float TailDot(float* x, float* row, int from, int k)
    {
        float sum = 0;
        for (int p = from; p < k; p++) sum += x[p] * row[p];
        return sum;
    }

    // B stored [k, n]: c[j0..j1) = α·Σp x[p]·B[p, j0..j1) + β·c, a chunk of columns at a time.
    private static void RowSums(in GemmProblem g, float* x, int j0, int j1)
    {
        Span<float> sums = stackalloc float[ColumnsPerChunk];
        for (int c0 = j0; c0 < j1; c0 += ColumnsPerChunk)
        {
            var chunk = sums[..Math.Min(ColumnsPerChunk, j1 - c0)];
            chunk.Clear();
            for (int p = 0; p < g.K; p++)
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(g.B + p * g.Ldb + c0, chunk.Length), x[p], chunk, chunk);
            for (int j = 0; j < chunk.Length; j++) Store(g, 0, c0 + j, chunk[j]);
        }
    }

    // C[i, j] = α·dot + β·C[i, j], never reading C when β is 0
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(in GemmProblem g, int i, int j, float dot)
    {
        float* c = g.C + i * g.Ldc + j;
        *c = g.Beta == 0 ? g.Alpha * dot : g.Alpha * dot + g.Beta * *c;
    }

    // Asks for the cache line at start in each of four rows (row stride ld), without waiting for it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchColumn4(float* start, nint ld)
    {
        if (!Sse.IsSupported) return;
        Sse.Prefetch0(start);
        Sse.Prefetch0(start + ld);
        Sse.Prefetch0(start + 2 * ld);
        Sse.Prefetch0(start + 3 * ld);
    }

    // Asks for the cache line at start in each of eight rows (row stride ld), without waiting for it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchColumn(float* start, nint ld)
    {
        PrefetchColumn4(start, ld);
        PrefetchColumn4(start + 4 * ld, ld);
    }
}
