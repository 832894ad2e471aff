using System.Runtime.InteropServices;

namespace Sharpformer.Benchmarks;

/// <summary>
/// The few OpenBLAS entry points the comparison needs (Debian: libopenblas0-pthread). The library is loaded on
/// first call, so building never needs it; OPENBLAS_CORETYPE must already be in the process environment then.
/// </summary>
internal static unsafe partial class OpenBlas
{
    private const string Library = "libopenblas.so.0";
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    [LibraryImport(Library, EntryPoint = "cblas_sgemm")]
    private static partial void CblasSgemm(int order, int transA, int transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Library, EntryPoint = "openblas_set_num_threads")]
    private static partial void SetNumThreads(int threads);

    [LibraryImport(Library, EntryPoint = "openblas_get_corename")]
    private static partial byte* GetCoreName();

    /// <summary>The threads OpenBLAS uses for the following calls.</summary>
    public static int Threads { set => SetNumThreads(value); }

    /// <summary>The name of the kernel set OpenBLAS chose at load time (e.g. SkylakeX, Haswell).</summary>
    public static string CoreName => Marshal.PtrToStringAnsi((nint)GetCoreName()) ?? "";

    /// <summary>Row-major C = alpha·op(A)·op(B) + beta·C, the same contract as Sharpformer's Gemm.Sgemm.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
        CblasSgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
