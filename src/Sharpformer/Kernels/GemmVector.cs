using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Sharpformer.Kernels;

/// <summary>
/// Products with a single row of C (vector × matrix, as in incremental decoding). Each element of B is
/// read once for one multiply-add, so the speed is the speed at which B streams in: B is read in place,
/// never packed. When B is stored transposed (a Linear layer's weight [n, k]) blocks of eight rows are
/// dotted with x at once while the block two ahead is prefetched line by line (on one core of a 2-core
/// AVX-512 EPYC, decoder weights stream from L3 at about 85 GB/s this way, against 40 GB/s for one dot
/// product at a time); otherwise scaled rows of B are summed. Threads split the columns into ranges.
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

    // c: [1, n] = α·x[1, k]·op(B)[k, n] + β·c
    public static void Run(in GemmProblem g, int threads)
    {
        float* gathered = stackalloc float[g.TransA && g.K <= MaxStackFloats ? g.K : 0];
        float[]? heap = g.TransA && g.K > MaxStackFloats ? GC.AllocateUninitializedArray<float>(g.K, pinned: true) : null;
        float* x = g.A;
        if (g.TransA)
        {
            // A is stored [k, 1]-strided: gather op(A)'s single row.
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
        if (job.G.TransB) RowDots(job.G, job.X, j0, j1);
        else RowSums(job.G, job.X, j0, j1);
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
            float* ahead = j + (PrefetchBlocks + 2) * BlockRows <= j1 ? block + PrefetchBlocks * BlockRows * ld + PrefetchSkew : block;
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
            Store(g, j, Vector.Sum(s0) + TailDot(x, block, p, k));
            Store(g, j + 1, Vector.Sum(s1) + TailDot(x, block + ld, p, k));
            Store(g, j + 2, Vector.Sum(s2) + TailDot(x, block + 2 * ld, p, k));
            Store(g, j + 3, Vector.Sum(s3) + TailDot(x, block + 3 * ld, p, k));
            Store(g, j + 4, Vector.Sum(s4) + TailDot(x, block + 4 * ld, p, k));
            Store(g, j + 5, Vector.Sum(s5) + TailDot(x, block + 5 * ld, p, k));
            Store(g, j + 6, Vector.Sum(s6) + TailDot(x, block + 6 * ld, p, k));
            Store(g, j + 7, Vector.Sum(s7) + TailDot(x, block + 7 * ld, p, k));
        }
        for (; j < j1; j++)
            Store(g, j, TensorPrimitives.Dot(new ReadOnlySpan<float>(x, k), new ReadOnlySpan<float>(g.B + j * ld, k)));
    }

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
            for (int j = 0; j < chunk.Length; j++) Store(g, c0 + j, chunk[j]);
        }
    }

    // c[j] = α·dot + β·c[j], never reading c when β is 0
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(in GemmProblem g, int j, float dot) => g.C[j] = g.Beta == 0 ? g.Alpha * dot : g.Alpha * dot + g.Beta * g.C[j];

    // Asks for the cache line at start in each of eight rows (row stride ld), without waiting for it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchColumn(float* start, nint ld)
    {
        if (!Sse.IsSupported) return;
        Sse.Prefetch0(start);
        Sse.Prefetch0(start + ld);
        Sse.Prefetch0(start + 2 * ld);
        Sse.Prefetch0(start + 3 * ld);
        Sse.Prefetch0(start + 4 * ld);
        Sse.Prefetch0(start + 5 * ld);
        Sse.Prefetch0(start + 6 * ld);
        Sse.Prefetch0(start + 7 * ld);
    }
}
