using Sharpformer.Kernels;

namespace Sharpformer.Tests.Kernels;

public sealed unsafe class GemmTests
{
    // Paths by name: GemmPath is internal, so it cannot appear in public test signatures.
    public static TheoryData<string, int> PathsAndThreads()
    {
        var data = new TheoryData<string, int>();
        foreach (GemmPath path in Enum.GetValues<GemmPath>())
        {
            if (Gemm.IsSupported(path))
            {
                data.Add(path.ToString(), 1);
                data.Add(path.ToString(), 2);
            }
        }
        return data;
    }

    public static TheoryData<string> Paths() => [.. Enum.GetValues<GemmPath>().Where(Gemm.IsSupported).Select(p => p.ToString())];

    // m, n, k: tiny (direct path), odd edges, several K/M blocks, N beyond one N block, both thread splits.
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (2, 5, 13), (5, 2, 1), (16, 16, 16), (13, 31, 33), (33, 65, 31), (65, 100, 257), (100, 65, 31),
        (257, 33, 65), (31, 257, 100), (200, 150, 100), (20, 2100, 60), (97, 129, 520),
    ];

    [Theory]
    [MemberData(nameof(PathsAndThreads))]
    public void MatchesReferenceForAllTransposesAndShapes(string path, int threads)
    {
        WithSettings(path, threads, () =>
        {
            int seed = 1;
            foreach (var (m, n, k) in Shapes)
            {
                foreach (bool transA in new[] { false, true })
                {
                    foreach (bool transB in new[] { false, true })
                        Check(new Case(transA, transB, m, n, k, 1.25f, 0.5f, Seed: seed++));
                }
            }
        });
    }

    // Depth 2048 and more beside a small C is split over the depth (GemmDepthSplit): each transpose, α and β (NaN in C
    // with β = 0), a leading dimension wider than the matrix, an odd depth.
    [Theory]
    [MemberData(nameof(PathsAndThreads))]
    public void LongDepthProductsSplitOverDepthMatchTheReference(string path, int threads)
    {
        WithSettings(path, threads, () =>
        {
            int seed = 40;
            foreach (bool transA in new[] { false, true })
            {
                foreach (bool transB in new[] { false, true })
                    Check(new Case(transA, transB, 37, 70, 4100, 1.25f, 0.5f, Seed: seed++, Pad: 3));
            }
            Check(new Case(false, false, 13, 40, 2049, 1f, 0f, Seed: seed++, NaNInC: true));
            Check(new Case(true, false, 70, 33, 3001, -0.5f, 1f, Seed: seed));
        });
    }

    // The output layer's dh = dz·W of a fused loss block: the same bits on 1, 2 and 4 threads (the depth split is the shape's).
    [Theory]
    [MemberData(nameof(Paths))]
    public void LongDepthProductsGiveTheSameBitsOnAnyThreadCount(string path)
    {
        const int m = 131, n = 256, k = 8000;
        var rng = new Random(9);
        float[] a = Random(rng, m * k), b = Random(rng, k * n);
        float[] Product(int t)
        {
            float[] c = new float[m * n];
            WithSettings(path, t, () =>
            {
                fixed (float* pa = a, pb = b, pc = c)
                    Gemm.Sgemm(false, false, m, n, k, 1f, pa, k, pb, n, 0f, pc, n);
            });
            return c;
        }
        float[] one = Product(1);
        Assert.Equal(one, Product(2));
        Assert.Equal(one, Product(4));
        float[] reference = new float[m * n];
        AssertProduct(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, reference, one, 0, n, "131 x 8000 x 256");
    }

    // Products large enough to be shared out in units of rows (several K blocks; several N blocks) or of columns (several
    // M blocks): against the reference, and the same bits on 1 to 4 threads, whichever thread computed which unit.
    [Theory]
    [MemberData(nameof(Paths))]
    public void ProductsSharedOutInUnitsGiveTheSameBitsOnAnyThreadCount(string path)
    {
        int seed = 70;
        foreach (var (m, n, k) in new[] { (800, 90, 300), (800, 2100, 60), (300, 2100, 300) })
        {
            foreach (bool transA in new[] { false, true })
            {
                foreach (bool transB in new[] { false, true })
                {
                    bool overwrite = seed % 2 == 1;   // β = 0 over NaN, or β = 0.5
                    var t = new Case(transA, transB, m, n, k, -0.75f, overwrite ? 0f : 0.5f, Seed: seed++, NaNInC: overwrite, Pad: 5);
                    if ((long)m * n * k < 50_000_000)
                        WithSettings(path, 2, () => Check(t));
                    float[] one = Product(path, 1, t);
                    foreach (int threads in new[] { 2, 3, 4 })
                        Assert.True(one.AsSpan().SequenceEqual(Product(path, threads, t)), $"{t} on {threads} threads");
                }
            }
        }
    }

    // C after the product of case t on the given number of threads.
    private static float[] Product(string path, int threads, Case t)
    {
        var (a, b, c, lda, ldb, ldc) = Operands(t);
        WithSettings(path, threads, () =>
        {
            fixed (float* pa = a, pb = b, pc = c)
                Gemm.Sgemm(t.TransA, t.TransB, t.M, t.N, t.K, t.Alpha, pa, lda, pb, ldb, t.Beta, pc, ldc);
        });
        return c;
    }

    [Theory]
    [MemberData(nameof(PathsAndThreads))]
    public void HonoursAlphaAndBeta(string path, int threads)
    {
        WithSettings(path, threads, () =>
        {
            foreach (var (m, n, k) in new[] { (7, 9, 11), (61, 70, 300), (150, 140, 120) })
            {
                Check(new Case(false, true, m, n, k, Alpha: 1, Beta: 0, Seed: 3, NaNInC: true));
                Check(new Case(true, false, m, n, k, Alpha: -0.5f, Beta: 0, Seed: 4, NaNInC: true));
                Check(new Case(false, false, m, n, k, Alpha: 1, Beta: 1, Seed: 5));
                Check(new Case(true, true, m, n, k, Alpha: -1.5f, Beta: 0.25f, Seed: 6));
                Check(new Case(false, false, m, n, k, Alpha: 0, Beta: 2, Seed: 7));
            }
        });
    }

    [Theory]
    [MemberData(nameof(PathsAndThreads))]
    public void SingleRowProductsStreamB(string path, int threads)
    {
        // m = 1 (incremental decoding) takes the vector path once the product is past the small size,
        // including products big enough to split over threads (1·3000·1024 ≥ 2M multiply-adds).
        WithSettings(path, threads, () =>
        {
            int seed = 40;
            foreach (var (n, k) in new[] { (70, 90), (41, 256), (24, 1024), (300, 257), (3000, 1024) })
                foreach (bool transA in new[] { false, true })
                    foreach (bool transB in new[] { false, true })
                    {
                        Check(new Case(transA, transB, 1, n, k, 1.25f, 0, Seed: seed++, NaNInC: true));
                        Check(new Case(transA, transB, 1, n, k, -0.5f, 0.75f, Seed: seed++, Pad: 3));
                    }
        });
    }

    [Theory]
    [MemberData(nameof(PathsAndThreads))]
    public void FewRowProductsWithTransposedBStreamB(string path, int threads)
    {
        // 2 to 8 rows against a transposed B (beams decoding together) also stream B: pairs of rows, an odd
        // last row, column tails, K tails, and splits over threads.
        WithSettings(path, threads, () =>
        {
            int seed = 80;
            foreach (var (m, n, k) in new[] { (2, 70, 90), (3, 41, 256), (5, 24, 1024), (8, 300, 257), (7, 3000, 64) })
            {
                Check(new Case(false, true, m, n, k, 1.25f, 0, Seed: seed++, NaNInC: true));
                Check(new Case(false, true, m, n, k, -0.5f, 0.75f, Seed: seed++, Pad: 3));
            }
        });
    }

    [Theory]
    [MemberData(nameof(PathsAndThreads))]
    public void ShortSequenceProductsWithTransposedBReadBInPlace(string path, int threads)
    {
        // 20 to 32 rows against a transposed B (encoding one sentence) take the few-rows path on AVX-512:
        // whole 12-row blocks of B, a partial last block, long K, padded leading dimensions, threads.
        WithSettings(path, threads, () =>
        {
            int seed = 120;
            foreach (var (m, n, k) in new[] { (20, 24, 16), (32, 768, 256), (27, 37, 100), (32, 257, 1024), (23, 3000, 64) })
            {
                Check(new Case(false, true, m, n, k, 1.25f, 0, Seed: seed++, NaNInC: true));
                Check(new Case(false, true, m, n, k, -0.5f, 0.75f, Seed: seed++, Pad: 3));
            }
        });
    }

    [Theory]
    [MemberData(nameof(PathsAndThreads))]
    public void WorksOnSubmatricesWithLargerLeadingDimensions(string path, int threads)
    {
        WithSettings(path, threads, () =>
        {
            foreach (var (m, n, k) in new[] { (5, 3, 9), (37, 45, 29), (130, 100, 270) })
            {
                foreach (bool transA in new[] { false, true })
                {
                    foreach (bool transB in new[] { false, true })
                        Check(new Case(transA, transB, m, n, k, 0.75f, 0.5f, Seed: m + n, Pad: 7));
                }
            }
        });
    }

    [Theory]
    [InlineData(0.0f)]
    [InlineData(3.0f)]
    public void KZeroScalesC(float beta)
    {
        Check(new Case(false, false, 6, 7, 0, 1, beta, Seed: 8, NaNInC: beta == 0));
        Check(new Case(true, true, 40, 50, 0, 1, beta, Seed: 9, NaNInC: beta == 0, Pad: 3));
    }

    [Fact]
    public void EmptyProductsLeaveCUntouched()
    {
        float[] c = [42f];
        fixed (float* pc = c)
        {
            float* none = null;
            Gemm.Sgemm(false, false, 0, 1, 5, 1, none, 5, none, 1, 0, pc, 1);
            Gemm.Sgemm(false, false, 1, 0, 5, 1, none, 5, none, 1, 0, pc, 1);
            Gemm.SgemmBatched(false, false, 1, 1, 1, 1, none, 1, 0, none, 1, 0, 0, pc, 1, 1, batch: 0);
        }
        Assert.Equal(42f, c[0]);
    }

    [Fact]
    public void RejectsLeadingDimensionsSmallerThanTheWidth()
    {
        float* none = null;
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1, none, 2, none, 2, 0, none, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(true, false, 4, 2, 3, 1, none, 3, none, 2, 0, none, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, true, 2, 2, 3, 1, none, 3, none, 2, 0, none, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, 2, 5, 3, 1, none, 3, none, 5, 0, none, 4));
    }

    [Fact]
    public void SpanOverloadsComputeAndCheckLengths()
    {
        float[] a = [1, 2, 3, 4, 5, 6];          // [2, 3]
        float[] b = [1, 0, 0, 1, 1, 1];          // [3, 2]
        float[] c = new float[4];
        Gemm.Sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2);
        Assert.Equal([4f, 5, 10, 11], c);

        float[] batchC = new float[8];
        Gemm.SgemmBatched(false, false, 2, 2, 3, 2, a, 3, 0, b, 2, 0, 0, batchC, 2, 4, 2);
        Assert.Equal([8f, 10, 20, 22, 8, 10, 20, 22], batchC);

        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1, a.AsSpan(1), 3, b, 2, 0, c, 2));
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c.AsSpan(0, 3), 2));
        Assert.Throws<ArgumentException>(() =>
            Gemm.SgemmBatched(false, false, 2, 2, 3, 1, a, 3, 0, b, 2, 0, 0, batchC, 2, 4, 3));
    }

    [Theory]
    [MemberData(nameof(PathsAndThreads))]
    public void BatchedMatchesPerEntryReferenceWithBroadcasting(string path, int threads)
    {
        WithSettings(path, threads, () =>
        {
            // Small entries (spread across the batch) and large ones (each spread over the threads).
            foreach (var (m, n, k, batch) in new[] { (32, 32, 64, 40), (24, 64, 24, 5), (150, 130, 140, 2) })
            {
                foreach (var (broadcastA, broadcastB) in new[] { (false, false), (true, false), (false, true) })
                    CheckBatched(m, n, k, batch, transA: broadcastB, transB: !broadcastA, broadcastA, broadcastB);
            }
        });
    }

    [Theory]
    [MemberData(nameof(PathsAndThreads))]
    public void RoundingBIsTheProductWithBRoundedFirstAndLeavesBAsItWas(string path, int threads)
    {
        WithSettings(path, threads, () =>
        {
            foreach (var t in RouteCases(seed: 40))
            {
                float[] bRounded = (float[])t.B.Clone(), bBefore = (float[])t.B.Clone();
                BFloat16.Round(bRounded, bRounded);
                float[] expected = new float[t.M * t.N], actual = new float[t.M * t.N];
                fixed (float* pa = t.A, pb = t.B, pr = bRounded, pe = expected, pc = actual)
                {
                    Gemm.Sgemm(t.TransA, t.TransB, t.M, t.N, t.K, 1.5f, pa, t.Lda, pr, t.Ldb, 0f, pe, t.N);
                    Gemm.Sgemm(t.TransA, t.TransB, t.M, t.N, t.K, 1.5f, pa, t.Lda, pb, t.Ldb, 0f, pc, t.N, roundB: true);
                }
                Assert.Equal(bBefore, t.B);   // the master weight is never written
                Assert.True(expected.AsSpan().SequenceEqual(actual), t.ToString());
            }
        });
    }

    [Theory]
    [MemberData(nameof(PathsAndThreads))]
    public void ABFloat16BIsWidenedExactly(string path, int threads)
    {
        WithSettings(path, threads, () =>
        {
            foreach (var t in RouteCases(seed: 60))
            {
                var b16 = new ushort[t.B.Length];
                BFloat16.Narrow(t.B, b16);
                var widened = new float[t.B.Length];
                BFloat16.Widen(b16, widened);
                float[] expected = new float[t.M * t.N], actual = new float[t.M * t.N];
                fixed (float* pa = t.A, pw = widened, pe = expected, pc = actual)
                fixed (ushort* pb = b16)
                {
                    Gemm.Sgemm(t.TransA, t.TransB, t.M, t.N, t.K, -0.75f, pa, t.Lda, pw, t.Ldb, 0f, pe, t.N);
                    Gemm.Sgemm(t.TransA, t.TransB, t.M, t.N, t.K, -0.75f, pa, t.Lda, pb, t.Ldb, 0f, pc, t.N);
                }
                Assert.True(expected.AsSpan().SequenceEqual(actual), t.ToString());
            }
        });
    }

    private sealed record RouteCase(bool TransA, bool TransB, int M, int N, int K, float[] A, int Lda, float[] B, int Ldb)
    {
        public override string ToString() => $"{M}x{N}x{K} transA {TransA} transB {TransB}";
    }

    // Every route a product can take: small, one row (vector), few rows with Bᵀ, blocked with one and several K blocks,
    // shared out over threads in units of rows and of columns; both transposes of each, with leading dimensions wider
    // than the matrices.
    private static IEnumerable<RouteCase> RouteCases(int seed)
    {
        foreach (var (m, n, k) in new[] { (3, 5, 7), (1, 300, 70), (24, 100, 64), (65, 100, 257), (200, 150, 600), (800, 90, 300),
            (300, 2100, 60) })
        {
            foreach (bool transA in new[] { false, true })
            {
                foreach (bool transB in new[] { false, true })
                {
                    var rng = new Random(seed++);
                    int lda = (transA ? m : k) + 2, ldb = (transB ? k : n) + 3;
                    yield return new RouteCase(transA, transB, m, n, k, Random(rng, (transA ? k : m) * lda), lda,
                        Random(rng, (transB ? n : k) * ldb), ldb);
                }
            }
        }
    }

    private sealed record Case(bool TransA, bool TransB, int M, int N, int K, float Alpha, float Beta, int Seed,
        bool NaNInC = false, int Pad = 0);

    private static void Check(Case t)
    {
        var (a, b, c, lda, ldb, ldc) = Operands(t);
        float[] c0 = (float[])c.Clone();
        fixed (float* pa = a, pb = b, pc = c)
            Gemm.Sgemm(t.TransA, t.TransB, t.M, t.N, t.K, t.Alpha, pa, Math.Max(1, lda), pb, Math.Max(1, ldb), t.Beta, pc, ldc);

        AssertProduct(t.TransA, t.TransB, t.M, t.N, t.K, t.Alpha, a, 0, lda, b, 0, ldb, t.Beta, c0, c, 0, ldc, t.ToString());
    }

    // A, B and C of case t, from its seed, with its padding; C all NaN where the case says.
    private static (float[] A, float[] B, float[] C, int Lda, int Ldb, int Ldc) Operands(Case t)
    {
        var rng = new Random(t.Seed);
        var (aRows, aCols) = t.TransA ? (t.K, t.M) : (t.M, t.K);
        var (bRows, bCols) = t.TransB ? (t.N, t.K) : (t.K, t.N);
        int lda = aCols + t.Pad, ldb = bCols + t.Pad, ldc = t.N + t.Pad;
        float[] a = Random(rng, Math.Max(1, aRows * lda));
        float[] b = Random(rng, Math.Max(1, bRows * ldb));
        float[] c = Random(rng, Math.Max(1, t.M * ldc));
        if (t.NaNInC)
            Array.Fill(c, float.NaN);
        return (a, b, c, lda, ldb, ldc);
    }

    private static void CheckBatched(int m, int n, int k, int batch, bool transA, bool transB, bool broadcastA, bool broadcastB)
    {
        var rng = new Random(m * 31 + batch);
        int lda = transA ? m : k, ldb = transB ? k : n, ldc = n + 1;
        long strideA = broadcastA ? 0 : (long)m * k, strideB = broadcastB ? 0 : (long)k * n, strideC = (long)m * ldc + 3;
        float[] a = Random(rng, (int)(broadcastA ? m * k : strideA * batch));
        float[] b = Random(rng, (int)(broadcastB ? k * n : strideB * batch));
        float[] c = Random(rng, (int)(strideC * batch));
        float[] c0 = (float[])c.Clone();
        const float alpha = 0.5f, beta = -1;

        fixed (float* pa = a, pb = b, pc = c)
            Gemm.SgemmBatched(transA, transB, m, n, k, alpha, pa, lda, strideA, pb, ldb, strideB, beta, pc, ldc, strideC, batch);

        for (int i = 0; i < batch; i++)
        {
            AssertProduct(transA, transB, m, n, k, alpha, a, (int)(i * strideA), lda, b, (int)(i * strideB), ldb, beta,
                c0, c, (int)(i * strideC), ldc, $"batch entry {i} of {m}x{n}x{k}");
        }
    }

    // Compares C against a float64 reference; elements outside the m × n view must be unchanged.
    private static void AssertProduct(bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float beta,
        float[] cBefore, float[] cAfter, int cOffset, int ldc, string what)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = transA ? a[aOffset + p * lda + i] : a[aOffset + i * lda + p];
                    double bv = transB ? b[bOffset + j * ldb + p] : b[bOffset + p * ldb + j];
                    sum += av * bv;
                    magnitude += Math.Abs(av * bv);
                }
                int at = cOffset + i * ldc + j;
                double expected = alpha * sum;
                magnitude = Math.Abs(alpha) * magnitude;
                if (beta != 0)
                {
                    expected += beta * (double)cBefore[at];
                    magnitude += Math.Abs(beta * (double)cBefore[at]);
                }
                double tolerance = 1e-5 * magnitude + 1e-30;
                double error = Math.Abs(cAfter[at] - expected);
                Assert.True(error <= tolerance,
                    $"{what}: C[{i},{j}] = {cAfter[at]}, expected {expected} (error {error:g3}, tolerance {tolerance:g3})");
            }
            for (int j = n; j < ldc && cOffset + i * ldc + j < cAfter.Length; j++)
                Assert.Equal(cBefore[cOffset + i * ldc + j], cAfter[cOffset + i * ldc + j]);
        }
    }

    private static float[] Random(Random rng, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
            values[i] = (float)(rng.NextDouble() * 2 - 1);
        return values;
    }

    private static void WithSettings(string path, int threads, Action body)
    {
        int savedThreads = Parallelism.Threads;
        try
        {
            Gemm.Path = Enum.Parse<GemmPath>(path);
            Parallelism.Threads = threads;
            body();
        }
        finally
        {
            Gemm.ResetPath();
            Parallelism.Threads = savedThreads;
        }
    }
}
