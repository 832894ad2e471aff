using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sharpformer.Cli.Benchmarks;

/// <summary>
/// The machine's fused multiply-add peak, measured: each thread runs chains of FMAs on registers alone (no loads or
/// stores), twelve independent accumulators of the widest vector this CPU has, enough to hide the FMA's latency on
/// every core this runs on. No product can beat it; the GEMM and a training step are reported as shares of it.
/// </summary>
internal static class FmaPeak
{
    private const int Iterations = 1 << 22;   // per call: 12 FMAs each, about 10–50 ms
    internal static float Sink;                // keeps the accumulators live

    /// <summary>
    /// Float32 GFLOP/s of <paramref name="threads"/> threads started together, each timed alone and the slowest counted
    /// (as a parallel region waits for it), best of a few rounds; and the vector width.
    /// </summary>
    public static (double Gflops, int Lanes) Measure(int threads)
    {
        int lanes = Avx512F.IsSupported ? 16 : Fma.IsSupported ? 8 : 0;
        if (lanes == 0) return (0, 0);
        double best = double.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            var seconds = new double[threads];
            using var start = new Barrier(threads);
            var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
            {
                start.SignalAndWait();
                long begin = Stopwatch.GetTimestamp();
                if (Avx512F.IsSupported) Chains512();
                else Chains256();
                seconds[i] = Stopwatch.GetElapsedTime(begin).TotalSeconds;
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            best = Math.Min(best, seconds.Max());
        }
        return (2.0 * 12 * lanes * Iterations * threads / best / 1e9, lanes);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Chains512()
    {
        var m = Vector512.Create(0.999999f);
        var a = Vector512.Create(1e-7f);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(c0, m, a); c1 = Avx512F.FusedMultiplyAdd(c1, m, a);
            c2 = Avx512F.FusedMultiplyAdd(c2, m, a); c3 = Avx512F.FusedMultiplyAdd(c3, m, a);
            c4 = Avx512F.FusedMultiplyAdd(c4, m, a); c5 = Avx512F.FusedMultiplyAdd(c5, m, a);
            c6 = Avx512F.FusedMultiplyAdd(c6, m, a); c7 = Avx512F.FusedMultiplyAdd(c7, m, a);
            c8 = Avx512F.FusedMultiplyAdd(c8, m, a); c9 = Avx512F.FusedMultiplyAdd(c9, m, a);
            c10 = Avx512F.FusedMultiplyAdd(c10, m, a); c11 = Avx512F.FusedMultiplyAdd(c11, m, a);
        }
        Sink = Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Chains256()
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(1e-7f);
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector256<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Fma.MultiplyAdd(c0, m, a); c1 = Fma.MultiplyAdd(c1, m, a);
            c2 = Fma.MultiplyAdd(c2, m, a); c3 = Fma.MultiplyAdd(c3, m, a);
            c4 = Fma.MultiplyAdd(c4, m, a); c5 = Fma.MultiplyAdd(c5, m, a);
            c6 = Fma.MultiplyAdd(c6, m, a); c7 = Fma.MultiplyAdd(c7, m, a);
            c8 = Fma.MultiplyAdd(c8, m, a); c9 = Fma.MultiplyAdd(c9, m, a);
            c10 = Fma.MultiplyAdd(c10, m, a); c11 = Fma.MultiplyAdd(c11, m, a);
        }
        Sink = Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}
