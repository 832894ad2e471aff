namespace Sharpformer.Kernels;

/// <summary>
/// Products whose depth k is long beside a small C (an output layer's dh = dz·W over a vocabulary of 8000: C [131, 256],
/// k 8000) split over k into two halves computed apart and then added: C = (α·A₀·B₀ + β·C) + α·A₁·B₁. Split by rows or
/// columns instead, each thread would pack and stream the whole of the long B; split by depth, each packs half.
/// </summary>
/// <remarks>
/// The split is a property of the shape, never of the thread count: one thread computes both halves and adds them in the
/// same order as two threads do, so the result has the same bits on any number of threads.
/// </remarks>
internal static unsafe class GemmDepthSplit
{
    // Depths from here up, with C at most this many elements (1 MB), are split.
    private const int MinDepth = 2048;
    private const long MaxOutputs = 1 << 18;

    public static bool Applies(in GemmProblem g) => g.K >= MinDepth && (long)g.M * g.N <= MaxOutputs;

    /// <summary>Computes the product as two halves of its depth (on two threads when there are two or three).</summary>
    public static void Run(in GemmProblem g, int threads, GemmPath path)
    {
        int half = (g.K / 2 + 255) / 256 * 256;   // whole 256-deep blocks in the first half
        float* partial = GemmWorkspace.Partials.Get((nint)g.M * g.N);   // α·A₁·B₁: [M, N]
        var halves = new Halves(g.Depth(0, half, g.Beta, g.C, g.Ldc), g.Depth(half, g.K, 0f, partial, g.N), path);
        if (threads >= 4)   // enough threads to split each half by rows or columns too
        {
            Gemm.RunBlocked(halves.First, threads, path);
            Gemm.RunBlocked(halves.Second, threads, path);
        }
        else
        {
            WorkerPool.For(2, threads, &RunHalf, &halves);
        }
        var add = new AddJob(g.C, g.Ldc, partial, g.N);   // C += partial, row by row
        ParallelRange.For(g.M, Math.Max(1, (1 << 15) / Math.Max(1, g.N)), ref add);
    }

    private readonly struct Halves(GemmProblem first, GemmProblem second, GemmPath path)
    {
        public readonly GemmProblem First = first, Second = second;
        public readonly GemmPath Path = path;
    }

    private static void RunHalf(int i, void* state)
    {
        ref readonly Halves h = ref *(Halves*)state;
        Gemm.RunBlocked(i == 0 ? h.First : h.Second, 1, h.Path);
    }

    // Rows [start, end): C[r, :] += partial[r, :].
    private readonly struct AddJob(float* c, nint ldc, float* partial, int n) : IRangeJob
    {
        public void Run(int start, int end)
        {
            for (int r = start; r < end; r++)
            {
                var row = new Span<float>(c + r * ldc, n);
                System.Numerics.Tensors.TensorPrimitives.Add(row, new ReadOnlySpan<float>(partial + (nint)r * n, n), row);
            }
        }
    }
}
