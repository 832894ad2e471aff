namespace Sharpformer.Kernels;

/// <summary>
/// The arguments of one C = alpha·op(A)·op(B) + beta·C product, with views onto sub-blocks. For bf16 mixed
/// precision B may be read two other ways: float32 rounded to bfloat16 as it is read (<paramref name="roundB"/>),
/// or bfloat16 values widened as they are read (<paramref name="b16"/> instead of <paramref name="b"/>).
/// </summary>
internal unsafe readonly struct GemmProblem(bool transA, bool transB, int m, int n, int k, float alpha,
    float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc, bool roundB = false, ushort* b16 = null)
{
    public readonly bool TransA = transA, TransB = transB, RoundB = roundB;
    public readonly int M = m, N = n, K = k;
    public readonly float Alpha = alpha, Beta = beta;
    public readonly float* A = a, B = b, C = c;
    public readonly ushort* B16 = b16;
    public readonly nint Lda = lda, Ldb = ldb, Ldc = ldc;

    /// <summary>Multiply-adds in the product.</summary>
    public long Work => (long)M * N * K;

    /// <summary>The product restricted to rows [i0, i1) of C.</summary>
    public GemmProblem Rows(int i0, int i1) =>
        new(TransA, TransB, i1 - i0, N, K, Alpha, TransA ? A + i0 : A + i0 * Lda, Lda, B, Ldb, Beta, C + i0 * Ldc, Ldc, RoundB, B16);

    /// <summary>The product restricted to columns [j0, j1) of C.</summary>
    public GemmProblem Columns(int j0, int j1)
    {
        nint shift = TransB ? j0 * Ldb : j0;
        return new(TransA, TransB, M, j1 - j0, K, Alpha, A, Lda, B is null ? null : B + shift, Ldb, Beta, C + j0, Ldc, RoundB,
            B16 is null ? null : B16 + shift);
    }

    /// <summary>The product over steps [p0, p1) of the depth only, written to <paramref name="c"/> with <paramref name="beta"/>.</summary>
    public GemmProblem Depth(int p0, int p1, float beta, float* c, nint ldc) =>
        new(TransA, TransB, M, N, p1 - p0, Alpha, AAt(0, p0), Lda, B is null ? null : BAt(p0, 0), Ldb, beta, c, ldc, RoundB,
            B16 is null ? null : B16At(p0, 0));

    /// <summary>The same product with B read as it is from <paramref name="b"/> (laid out as B, row stride ldb).</summary>
    public GemmProblem WithB(float* b, nint ldb) => new(TransA, TransB, M, N, K, Alpha, A, Lda, b, ldb, Beta, C, Ldc);

    /// <summary>op(A)[i, p] as a pointer.</summary>
    public float* AAt(int i, int p) => TransA ? A + p * Lda + i : A + i * Lda + p;

    /// <summary>op(B)[p, j] as a pointer.</summary>
    public float* BAt(int p, int j) => TransB ? B + j * Ldb + p : B + p * Ldb + j;

    /// <summary>op(B)[p, j] as a pointer into bfloat16 B (<see cref="B16"/>).</summary>
    public ushort* B16At(int p, int j) => TransB ? B16 + j * Ldb + p : B16 + p * Ldb + j;
}
