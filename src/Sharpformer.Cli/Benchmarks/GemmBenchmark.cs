using System.Diagnostics;
using Sharpformer.Kernels;

namespace Sharpformer.Cli.Benchmarks;

/// <summary>Times <see cref="Gemm.Sgemm"/> on fixed shapes; each case reports the median of single calls.</summary>
internal static class GemmBenchmark
{
    // M × K × N: squares, then the Transformer's projections (d_model 256, d_ff 1024, vocabulary 8000).
    private static readonly (int M, int K, int N)[] Shapes =
    [
        (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
        (1024, 256, 1024), (1024, 1024, 256), (1024, 256, 8000),
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
            foreach (var (m, k, n) in Shapes)
            {
                foreach (bool transB in new[] { false, true })
                {
                    progress.Write($"gemm {m}x{k}x{n}{(transB ? " (B transposed)" : "")}... ");
                    double gflops = Measure(m, n, k, transB);
                    progress.WriteLine($"{gflops:0.0} GFLOP/s");
                    cases.Add(new GemmCase(m, n, k, transB, threads, Math.Round(gflops, 1)));
                }
            }
            return new GemmReport("gemm", threads, "median", cases);
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    private static double Measure(int m, int n, int k, bool transB)
    {
        float[] a = Random((long)m * k), b = Random((long)k * n), c = new float[(long)m * n];
        int ldb = transB ? k : n;
        void Call() => Gemm.Sgemm(false, transB, m, n, k, 1, a, k, b, ldb, 0, c, n);
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
