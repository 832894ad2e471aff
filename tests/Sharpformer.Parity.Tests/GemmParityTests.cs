using Sharpformer.Kernels;
using TorchSharp;
using static Sharpformer.Parity.Tests.TorchOracle;

namespace Sharpformer.Parity.Tests;

/// <summary>Gemm.Sgemm / SgemmBatched against torch.matmul computed in float64.</summary>
public unsafe class GemmParityTests
{
    /// <summary>Size ranges per seed: tiny, small, medium, long k (crosses any k blocking), wide m·n with short k.</summary>
    static (int M, int N, int K) SizesFor(int seed, Random rng) => seed switch
    {
        1 => (rng.Next(1, 9), rng.Next(1, 9), rng.Next(1, 9)),
        2 => (rng.Next(1, 41), rng.Next(1, 41), rng.Next(1, 41)),
        3 => (rng.Next(30, 131), rng.Next(30, 131), rng.Next(30, 131)),
        4 => (rng.Next(1, 65), rng.Next(1, 65), rng.Next(257, 601)),
        _ => (rng.Next(90, 201), rng.Next(90, 201), rng.Next(1, 31)),
    };

    static readonly (float Alpha, float Beta)[] Scalings = [(1f, 0f), (1f, 1f), (0.5f, 0f), (-1.5f, 0.25f), (2f, -1f)];

    public static TheoryData<int, bool, bool> Cases()
    {
        var data = new TheoryData<int, bool, bool>();
        for (int seed = 1; seed <= 5; seed++)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    data.Add(seed, ta, tb);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SgemmMatchesTorch(int seed, bool transA, bool transB)
    {
        var rng = new Random(seed * 7919 + (transA ? 2 : 0) + (transB ? 1 : 0));
        var (m, n, k) = SizesFor(seed, rng);
        var (alpha, beta) = Scalings[rng.Next(Scalings.Length)];
        int padA = rng.Next(0, 4), padB = rng.Next(0, 4), padC = rng.Next(0, 4);
        RunAndCompare(seed, transA, transB, m, n, k, alpha, beta, padA, padB, padC);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void SgemmWithBetaZeroIgnoresNaNInC(bool transA, bool transB)
    {
        // BLAS convention: β = 0 means C is written, not read, so garbage (NaN) in C must not leak through.
        RunAndCompare(11, transA, transB, 13, 17, 19, 1f, 0f, 1, 2, 3, fillC: float.NaN);
    }

    static void RunAndCompare(int seed, bool transA, bool transB, int m, int n, int k, float alpha, float beta,
        int padA, int padB, int padC, float? fillC = null)
    {
        // Stored layouts (row-major): op(A) = A is [m,k]; op(A) = Aᵀ means A is stored [k,m]. Likewise for B.
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + padA, ldb = bCols + padB, ldc = n + padC;

        float[] a = RandomFloats(seed * 31 + 1, aRows * lda);
        float[] b = RandomFloats(seed * 31 + 2, bRows * ldb);
        float[] c = fillC is float f ? Enumerable.Repeat(f, m * ldc).ToArray() : RandomFloats(seed * 31 + 3, m * ldc);
        float[] c0 = (float[])c.Clone();

        fixed (float* pa = a, pb = b, pc = c)
            Gemm.Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);

        using var scope = torch.NewDisposeScope();
        var ta = ToTorch(a, [aRows, lda], float64: true)[.., ..aCols];
        var tb = ToTorch(b, [bRows, ldb], float64: true)[.., ..bCols];
        var opA = transA ? ta.t() : ta;
        var opB = transB ? tb.t() : tb;
        var tc = ToTorch(c0, [m, ldc], float64: true);
        var product = torch.matmul(opA, opB) * alpha;
        var expected = tc.clone();
        expected[.., ..n] = beta == 0 ? product : product + beta * tc[.., ..n];

        // Products of k terms in [-1, 1] grow like √k; so does float32 rounding in the sum.
        double atol = 1e-5 * Math.Sqrt(k) * Math.Max(1, Math.Abs(alpha)) + 1e-6 * Math.Abs(beta);
        string what = $"Sgemm(transA={transA}, transB={transB}, m={m}, n={n}, k={k}, α={alpha}, β={beta}, lda={lda}, ldb={ldb}, " +
            $"ldc={ldc}) C (padding columns must stay untouched)";
        AssertClose(expected, c, [m, ldc], 1e-5, atol, what);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    public void SgemmBatchedWithBroadcastBMatchesTorch(int seed, bool transB)
    {
        var rng = new Random(seed);
        int batch = rng.Next(2, 6), m = rng.Next(1, 30), n = rng.Next(1, 30), k = rng.Next(1, 30);
        int bRows = transB ? n : k, bCols = transB ? k : n;
        float[] a = RandomFloats(seed * 17 + 1, batch * m * k);
        float[] b = RandomFloats(seed * 17 + 2, bRows * bCols); // one B shared by every batch entry (stride 0)
        float[] c = new float[batch * m * n];

        fixed (float* pa = a, pb = b, pc = c)
            Gemm.SgemmBatched(false, transB, m, n, k, 1f, pa, k, (long)m * k, pb, bCols, 0, 0f, pc, n, (long)m * n, batch);

        using var scope = torch.NewDisposeScope();
        var tb = ToTorch(b, [bRows, bCols], float64: true);
        var expected = torch.matmul(ToTorch(a, [batch, m, k], float64: true), transB ? tb.t() : tb);
        AssertClose(expected, c, [batch, m, n], 1e-5, 1e-5 * Math.Sqrt(k),
            $"SgemmBatched(batch={batch}, m={m}, n={n}, k={k}, transB={transB}, strideB=0)");
    }
}
