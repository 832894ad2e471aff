namespace Sharpformer.Kernels;

/// <summary>
/// Single-precision general matrix multiply: C = α·op(A)·op(B) + β·C, row-major, where op(X) is X or Xᵀ.
/// Every matrix product in Sharpformer goes through here.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>C[m,n] = α·op(A)[m,k]·op(B)[k,n] + β·C. Leading dimensions are row strides in elements.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[(long)p * lda + i] : a[(long)i * lda + p];
                    float bv = transB ? b[(long)j * ldb + p] : b[(long)p * ldb + j];
                    sum += av * bv;
                }
                float* cij = c + (long)i * ldc + j;
                *cij = beta == 0 ? alpha * sum : alpha * sum + beta * *cij;
            }
        }
    }

    /// <summary>
    /// A batch of independent products: matrix i of A, B and C starts at <c>i·stride</c> elements.
    /// A stride of 0 reuses one matrix for every batch entry (broadcasting).
    /// </summary>
    public static void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, long strideA, float* b, int ldb, long strideB, float beta,
        float* c, int ldc, long strideC, int batch)
    {
        for (int i = 0; i < batch; i++)
            Sgemm(transA, transB, m, n, k, alpha, a + i * strideA, lda, b + i * strideB, ldb, beta, c + i * strideC, ldc);
    }
}
