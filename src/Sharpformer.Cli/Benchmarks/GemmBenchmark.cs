using System.Diagnostics;
using Sharpformer.Kernels;

namespace Sharpformer.Cli.Benchmarks;

/// <summary>Times <c>Gemm.Sgemm</c> on fixed shapes; each case reports the median of single calls.</summary>
internal static class GemmBenchmark
{
    private const double WarmupSeconds = 0.1;
    private const double MeasureSeconds = 0.6;

    public static GemmReport Run(int threads, TextWriter progress)
    {
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try
        {
            var (peak, lanes) = FmaPeak.Measure(threads);
            progress.WriteLine($"FMA peak: {peak:0.0} GFLOP/s on {threads} thread(s) ({lanes}-lane fused multiply-adds on registers)");
            var cases = new List<GemmCase>();
            foreach (var (m, k, n, transA, transB, use, accumulate) in GemmShapes.Default)
            {
                progress.Write($"gemm {m}x{k}x{n} ({use})... ");
                double gflops = Measure(m, n, k, transA, transB, accumulate ? 1f : 0f);
                progress.WriteLine($"{gflops:0.0} GFLOP/s");
                cases.Add(new GemmCase(m, n, k, transA, transB, use, threads, Math.Round(gflops, 1)));
            }
            return new GemmReport("gemm", threads, "median", Math.Round(peak, 1), cases);
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    private static double Measure(int m, int n, int k, bool transA, bool transB, float beta)
    {
        float[] a = Random((long)m * k), b = Random((long)k * n), c = new float[(long)m * n];
        int lda = transA ? m : k, ldb = transB ? k : n;
        void Call() => Gemm.Sgemm(transA, transB, m, n, k, 1, a, lda, b, ldb, beta, c, n);
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
