using System.Diagnostics;
using Sharpformer.Kernels;

namespace Sharpformer.Cli.Benchmarks;

/// <summary>Times <c>Gemm.Sgemm</c> on fixed shapes; each case reports the median of single calls.</summary>
internal static class GemmBenchmark
{
    // M × K × N with the transpose flags: squares, then every product of a training step of the `big`
    // configuration (1024 token rows, d_model 256, d_ff 1024, vocabulary 8000): each Linear's forward
    // y = x·Wᵀ and backward dx = g·W and dW = gᵀ·x.
    private static readonly (int M, int K, int N, bool TransA, bool TransB, string Use)[] Shapes =
    [
        (512, 512, 512, false, false, "square"), (1024, 1024, 1024, false, false, "square"), (2048, 2048, 2048, false, false, "square"),
        (1024, 1024, 1024, false, true, "square"),
        .. Linear(256, 768, "attention in-projection"), .. Linear(256, 256, "attention out-projection"),
        .. Linear(256, 1024, "feed-forward 1"), .. Linear(1024, 256, "feed-forward 2"), .. Linear(256, 8000, "output projection"),
    ];

    private static (int, int, int, bool, bool, string)[] Linear(int inFeatures, int outFeatures, string name) =>
    [
        (1024, inFeatures, outFeatures, false, true, name + ": x·Wᵀ"),
        (1024, outFeatures, inFeatures, false, false, name + ": dx = g·W"),
        (outFeatures, 1024, inFeatures, true, false, name + ": dW = gᵀ·x"),
    ];

    private const double WarmupSeconds = 0.1;
    private const double MeasureSeconds = 0.6;

    public static GemmReport Run(int threads, TextWriter progress)
    {
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try
        {
            var cases = new List<GemmCase>();
            foreach (var (m, k, n, transA, transB, use) in Shapes)
            {
                progress.Write($"gemm {m}x{k}x{n} ({use})... ");
                double gflops = Measure(m, n, k, transA, transB);
                progress.WriteLine($"{gflops:0.0} GFLOP/s");
                cases.Add(new GemmCase(m, n, k, transA, transB, use, threads, Math.Round(gflops, 1)));
            }
            return new GemmReport("gemm", threads, "median", cases);
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    private static double Measure(int m, int n, int k, bool transA, bool transB)
    {
        float[] a = Random((long)m * k), b = Random((long)k * n), c = new float[(long)m * n];
        int lda = transA ? m : k, ldb = transB ? k : n;
        void Call() => Gemm.Sgemm(transA, transB, m, n, k, 1, a, lda, b, ldb, 0, c, n);
        Repeat(Call, WarmupSeconds, []);
        var seconds = new List<double>();
        Repeat(Call, MeasureSeconds, seconds);
        seconds.Sort();
        return 2.0 * m * n * k / seconds[seconds.Count / 2] / 1e9;
    }

    // Times single calls until `budget` seconds have passed, at least three calls.
    private static void Repeat(Action call, double budget, List<double> seconds)
    {
        double total = 0;
        for (int i = 0; i < 3 || total < budget; i++)
        {
            long start = Stopwatch.GetTimestamp();
            call();
            double t = Stopwatch.GetElapsedTime(start).TotalSeconds;
            seconds.Add(t);
            total += t;
        }
    }

    private static float[] Random(long count)
    {
        var values = GC.AllocateUninitializedArray<float>(checked((int)count));
        var rng = new Random(1);
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(rng.NextDouble() - 0.5);
        return values;
    }
}
