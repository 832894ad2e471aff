namespace Sharpformer.Kernels;

/// <summary>
/// The arguments of one C = alpha·op(A)·op(B) + beta·C product, with views onto sub-blocks. With
/// <paramref name="roundB"/> every value of op(B) is rounded to bfloat16 as it is read (bf16 mixed precision).
/// </summary>
internal unsafe readonly struct GemmProblem(bool transA, bool transB, int m, int n, int k, float alpha,
    float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc, bool roundB = false)
{
    public readonly bool TransA = transA, TransB = transB, RoundB = roundB;
    public readonly int M = m, N = n, K = k;
    public readonly float Alpha = alpha, Beta = beta;
    public readonly float* A = a, B = b, C = c;
    public readonly nint Lda = lda, Ldb = ldb, Ldc = ldc;

    /// <summary>Multiply-adds in the product.</summary>
    public long Work => (long)M * N * K;

    /// <summary>The product restricted to rows [i0, i1) of C.</summary>
    public GemmProblem Rows(int i0, int i1) =>
        new(TransA, TransB, i1 - i0, N, K, Alpha, TransA ? A + i0 : A + i0 * Lda, Lda, B, Ldb, Beta, C + i0 * Ldc, Ldc, RoundB);

    /// <summary>The product restricted to columns [j0, j1) of C.</summary>
    public GemmProblem Columns(int j0, int j1) =>
        new(TransA, TransB, M, j1 - j0, K, Alpha, A, Lda, TransB ? B + j0 * Ldb : B + j0, Ldb, Beta, C + j0, Ldc, RoundB);

    /// <summary>The same product with B read as it is from <paramref name="b"/> (laid out as B, row stride ldb).</summary>
    public GemmProblem WithB(float* b, nint ldb) => new(TransA, TransB, M, N, K, Alpha, A, Lda, b, ldb, Beta, C, Ldc);

    /// <summary>op(A)[i, p] as a pointer.</summary>
    public float* AAt(int i, int p) => TransA ? A + p * Lda + i : A + i * Lda + p;

    /// <summary>op(B)[p, j] as a pointer.</summary>
    public float* BAt(int p, int j) => TransB ? B + j * Ldb + p : B + p * Ldb + j;
}
