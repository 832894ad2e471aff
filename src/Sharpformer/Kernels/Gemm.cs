namespace Sharpformer.Kernels;

/// <summary>
/// Single-precision general matrix multiply: C = α·op(A)·op(B) + β·C, row-major, where op(X) is X or Xᵀ.
/// Every matrix product in Sharpformer goes through here.
/// </summary>
/// <remarks>
/// Products are packed and cache-blocked around a register-tiled micro-kernel (AVX-512, AVX2 + FMA, or
/// portable <see cref="System.Runtime.Intrinsics.Vector128{T}"/>, chosen at run time) and spread over
/// <see cref="Parallelism.Threads"/> threads; small products take a direct path with no packing.
/// </remarks>
public static unsafe class Gemm
{
    // Up to this many multiply-adds packing does not pay for itself (measured: at 16·64·16 packing already wins).
    internal const long SmallWork = 4096;

    // Below this many multiply-adds one thread finishes before others could be woken and joined.
    internal const long ParallelWork = 1L << 21;

    /// <summary>
    /// C[m,n] = α·op(A)[m,k]·op(B)[k,n] + β·C. Leading dimensions are row strides in elements.
    /// When β is 0, C is only written (it may hold anything, NaN included); when k is 0 or α is 0, C = β·C.
    /// </summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0)
            return;
        var g = new GemmProblem(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        Run(g, Parallelism.Threads, Path);
    }

    /// <summary>
    /// <see cref="Sgemm(bool, bool, int, int, int, float, float*, int, float*, int, float, float*, int)"/> with every value of
    /// op(B) rounded to the nearest bfloat16 as it is read, when <paramref name="roundB"/> is set: a float32 master weight
    /// multiplied as its bfloat16 working copy (bf16 mixed precision), which is made one packed block at a time in cache
    /// instead of written out whole. Accumulation stays float32.
    /// </summary>
    internal static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, bool roundB)
    {
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0)
            return;
        var g = new GemmProblem(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, roundB);
        Run(g, Parallelism.Threads, Path);
    }

    /// <summary>
    /// C[m,n] = α·op(A)[m,k]·op(B)[k,n] + β·C with B given as bfloat16 values (<paramref name="b"/>, row stride
    /// <paramref name="ldb"/>): each is widened as it is packed (exactly), so bf16 mixed precision multiplies an
    /// activation kept packed for the backward pass without writing it out as float32 first.
    /// </summary>
    internal static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, ushort* b, int ldb, float beta, float* c, int ldc)
    {
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0)
            return;
        var g = new GemmProblem(transA, transB, m, n, k, alpha, a, lda, null, ldb, beta, c, ldc, b16: b);
        Run(g, Parallelism.Threads, Path);
    }

    /// <summary>
    /// A batch of independent products: matrix i of A, B and C starts at <c>i·stride</c> elements.
    /// A stride of 0 reuses one matrix for every batch entry (broadcasting); with a C stride of 0 the entries
    /// are applied to the one C in order. Distinct C matrices must not overlap.
    /// </summary>
    public static void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, long strideA, float* b, int ldb, long strideB, float beta,
        float* c, int ldc, long strideC, int batch)
    {
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (m == 0 || n == 0 || batch == 0)
            return;

        var batched = new Batched(new GemmProblem(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc),
            strideA, strideB, strideC, Path);
        int threads = Parallelism.Threads;
        long work = batched.First.Work;
        // Small products, or many of them: one thread per product. Otherwise each product uses every thread.
        bool acrossBatch = threads > 1 && batch > 1 && strideC != 0 && work * batch >= ParallelWork
            && (work < 8 * ParallelWork || batch >= 4 * threads);
        if (acrossBatch)
        {
            WorkerPool.For(batch, threads, &RunBatchEntry, &batched);
            return;
        }
        for (int i = 0; i < batch; i++)
            Run(batched.Entry(i), threads, batched.Path);
    }

    /// <summary>
    /// Span form of <see cref="Sgemm(bool, bool, int, int, int, float, float*, int, float*, int, float, float*, int)"/>;
    /// checks that every matrix fits its span.
    /// </summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        CheckFits(a.Length, Extent(transA ? k : m, transA ? m : k, lda), nameof(a));
        CheckFits(b.Length, Extent(transB ? n : k, transB ? k : n, ldb), nameof(b));
        CheckFits(c.Length, Extent(m, n, ldc), nameof(c));
        fixed (float* pa = a, pb = b, pc = c)
            Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    /// <summary>
    /// Span form of
    /// <see cref="SgemmBatched(bool, bool, int, int, int, float, float*, int, long, float*, int, long, float, float*, int, long, int)"/>;
    /// checks that every matrix fits its span.
    /// </summary>
    public static void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB, float beta,
        Span<float> c, int ldc, long strideC, int batch)
    {
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(strideA);
        ArgumentOutOfRangeException.ThrowIfNegative(strideB);
        ArgumentOutOfRangeException.ThrowIfNegative(strideC);
        if (batch > 0)
        {
            CheckFits(a.Length, BatchExtent(Extent(transA ? k : m, transA ? m : k, lda), strideA, batch), nameof(a));
            CheckFits(b.Length, BatchExtent(Extent(transB ? n : k, transB ? k : n, ldb), strideB, batch), nameof(b));
            CheckFits(c.Length, BatchExtent(Extent(m, n, ldc), strideC, batch), nameof(c));
        }
        fixed (float* pa = a, pb = b, pc = c)
            SgemmBatched(transA, transB, m, n, k, alpha, pa, lda, strideA, pb, ldb, strideB, beta, pc, ldc, strideC, batch);
    }

    // Elements spanned by a rows × cols matrix with row stride ld (0 when it is empty).
    private static long Extent(int rows, int cols, int ld) => rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;

    private static long BatchExtent(long extent, long stride, int batch) => extent == 0 ? 0 : (batch - 1) * stride + extent;

    private static void CheckFits(int length, long needed, string name)
    {
        if (length < needed)
            throw new ArgumentException($"The span holds {length} elements; the matrix needs {needed}.", name);
    }

    /// <summary>The micro-kernel family used by this thread's calls: the best supported one unless forced.</summary>
    internal static GemmPath Path
    {
        get => t_forcedPath ?? BestPath;
        set => t_forcedPath = IsSupported(value) ? value
            : throw new PlatformNotSupportedException($"GEMM path {value} is not supported here.");
    }

    /// <summary>Restores the automatic choice of micro-kernel on this thread.</summary>
    internal static void ResetPath() => t_forcedPath = null;

    [ThreadStatic]
    private static GemmPath? t_forcedPath;

    private static readonly GemmPath BestPath =
        GemmKernelAvx512.IsSupported ? GemmPath.Avx512 : GemmKernelAvx2.IsSupported ? GemmPath.Avx2 : GemmPath.Portable;

    internal static bool IsSupported(GemmPath path) => path switch
    {
        GemmPath.Avx512 => GemmKernelAvx512.IsSupported,
        GemmPath.Avx2 => GemmKernelAvx2.IsSupported,
        _ => true,
    };

    /// <summary>Computes one product with the given thread budget and micro-kernel family.</summary>
    internal static void Run(in GemmProblem g, int threads, GemmPath path)
    {
        if (g.K == 0 || g.Alpha == 0)
        {
            GemmSmall.Scale(g);
            return;
        }
        long work = g.Work;
        bool direct = work <= SmallWork || GemmVector.Handles(g) || (path == GemmPath.Avx512 && GemmFewRows.Handles(g));
        if ((direct && g.RoundB) || (g.B16 is not null && (direct || g.TransB)))
        {
            RunWithFloat32B(g, threads, path);
            return;
        }
        if (work <= SmallWork)
        {
            GemmSmall.Run(g);
            return;
        }
        if (GemmVector.Handles(g))
        {
            GemmVector.Run(g, threads);
            return;
        }
        if (path == GemmPath.Avx512 && GemmFewRows.Handles(g))
        {
            GemmFewRows.Run(g, threads);
            return;
        }
        if (GemmDepthSplit.Applies(g))
        {
            GemmDepthSplit.Run(g, threads, path);
            return;
        }
        RunBlocked(g, threads, path);
    }

    /// <summary>Computes one product with the packed, cache-blocked loop nest, split over rows or columns.</summary>
    internal static void RunBlocked(in GemmProblem g, int threads, GemmPath path)
    {
        bool parallel = threads > 1 && g.Work >= ParallelWork;
        switch (path)
        {
            case GemmPath.Avx512 when parallel: GemmBlocked<GemmKernelAvx512>.RunParallel(g, threads); break;
            case GemmPath.Avx512: GemmBlocked<GemmKernelAvx512>.Run(g); break;
            case GemmPath.Avx2 when parallel: GemmBlocked<GemmKernelAvx2>.RunParallel(g, threads); break;
            case GemmPath.Avx2: GemmBlocked<GemmKernelAvx2>.Run(g); break;
            case GemmPath.Portable when parallel: GemmBlocked<GemmKernelPortable>.RunParallel(g, threads); break;
            default: GemmBlocked<GemmKernelPortable>.Run(g); break;
        }
    }

    // The paths that read B in place (no packing), and bfloat16 Bᵀ, get B as stored in float32, rounded or widened.
    private static void RunWithFloat32B(in GemmProblem g, int threads, GemmPath path)
    {
        int rows = g.TransB ? g.N : g.K, columns = g.TransB ? g.K : g.N;   // B: [rows, columns], row stride Ldb
        var values = GC.AllocateUninitializedArray<float>(checked(rows * columns), pinned: true);
        fixed (float* copy = values)
        {
            for (int r = 0; r < rows; r++)
            {
                var row = values.AsSpan(r * columns, columns);
                if (g.B16 is not null) BFloat16.Widen(new ReadOnlySpan<ushort>(g.B16 + r * g.Ldb, columns), row);
                else BFloat16.Round(new ReadOnlySpan<float>(g.B + r * g.Ldb, columns), row);
            }
            Run(g.WithB(copy, columns), threads, path);
        }
    }

    private readonly struct Batched(GemmProblem first, long strideA, long strideB, long strideC, GemmPath path)
    {
        public readonly GemmProblem First = first;
        public readonly GemmPath Path = path;

        public GemmProblem Entry(int i) => new(First.TransA, First.TransB, First.M, First.N, First.K, First.Alpha,
            First.A + i * strideA, First.Lda, First.B + i * strideB, First.Ldb, First.Beta, First.C + i * strideC, First.Ldc);
    }

    private static void RunBatchEntry(int i, void* state)
    {
        ref readonly Batched batched = ref *(Batched*)state;
        Run(batched.Entry(i), 1, batched.Path);
    }

    private static void Validate(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(lda, Math.Max(1, transA ? m : k));
        ArgumentOutOfRangeException.ThrowIfLessThan(ldb, Math.Max(1, transB ? k : n));
        ArgumentOutOfRangeException.ThrowIfLessThan(ldc, Math.Max(1, n));
    }
}

/// <summary>The micro-kernel families, from the most portable to the widest.</summary>
internal enum GemmPath
{
    /// <summary>128-bit vectors, any hardware.</summary>
    Portable,

    /// <summary>256-bit AVX2 with FMA.</summary>
    Avx2,

    /// <summary>512-bit AVX-512F.</summary>
    Avx512,
}
