using System.Numerics.Tensors;

namespace Sharpformer.Kernels;

/// <summary>
/// Products with a single row of C (vector × matrix, as in incremental decoding). Packing would copy B
/// only to read it once, so B is streamed in place: dot products against its rows when it is stored
/// transposed (a Linear layer's weight), scaled row sums otherwise. Threads split the columns.
/// </summary>
internal static unsafe class GemmVector
{
    private const int ColumnsPerTask = 128;
    private const int MaxStackFloats = 16384;

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
        var job = new Job(g, x);
        int tasks = (g.N + ColumnsPerTask - 1) / ColumnsPerTask;
        if (threads > 1 && g.Work >= Gemm.ParallelWork) WorkerPool.For(tasks, threads, &RunTask, &job);
        else for (int t = 0; t < tasks; t++) RunTask(t, &job);
        GC.KeepAlive(heap);
    }

    private readonly struct Job(GemmProblem g, float* x)
    {
        public readonly GemmProblem G = g;
        public readonly float* X = x;
    }

    private static void RunTask(int task, void* state)
    {
        ref readonly Job job = ref *(Job*)state;
        ref readonly GemmProblem g = ref job.G;
        int j0 = task * ColumnsPerTask, j1 = Math.Min(g.N, j0 + ColumnsPerTask);
        var x = new ReadOnlySpan<float>(job.X, g.K);
        Span<float> sums = stackalloc float[j1 - j0];
        if (g.TransB)
        {
            for (int j = j0; j < j1; j++) sums[j - j0] = TensorPrimitives.Dot(x, new ReadOnlySpan<float>(g.B + j * g.Ldb, g.K));
        }
        else
        {
            sums.Clear();
            for (int p = 0; p < g.K; p++)
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(g.B + p * g.Ldb + j0, j1 - j0), x[p], sums, sums);
        }
        var c = new Span<float>(g.C + j0, j1 - j0);
        if (g.Beta == 0) TensorPrimitives.Multiply(sums, g.Alpha, c);
        else for (int j = 0; j < c.Length; j++) c[j] = g.Alpha * sums[j] + g.Beta * c[j];
    }
}
