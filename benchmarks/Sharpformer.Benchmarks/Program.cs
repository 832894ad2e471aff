using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Sharpformer.Benchmarks;
using Sharpformer.Kernels;

// Sharpformer's GEMM against OpenBLAS on the same shapes, alternating call by call so that both sides see the
// same machine noise. Run through run-gemm-vs-openblas.sh, which selects OpenBLAS's SkylakeX kernels.
// Options: --threads 1,2   --seconds S (timed seconds per side and case)   --out FILE (JSON results)
//          --shape MxKxN (repeatable; default: the CLI's shapes)   --batch B (products per call)
//          --allow-any-core (accept other OpenBLAS kernels)

// `torch` mode: Sharpformer against TorchSharp (libtorch) on whole training steps and greedy decoding (Torch/TorchBench.cs).
if (args.Length > 0 && args[0] == "torch")
    return Sharpformer.Benchmarks.Torch.TorchBench.Run(args[1..]);

// `attention` mode: Sharpformer's tiled attention against TorchSharp's scaled_dot_product_attention (Torch/AttentionVsTorch.cs).
if (args.Length > 0 && args[0] == "attention")
    return Sharpformer.Benchmarks.Torch.AttentionVsTorch.Run(args[1..]);

// `onnx` mode: greedy decoding with Sharpformer's key/value cache against the exported graphs in ONNX Runtime.
if (args.Length > 0 && args[0] == "onnx")
    return Sharpformer.Benchmarks.Onnx.DecodeVsOnnxRuntime.Run(args[1..]);

const int Rounds = 3;             // alternating blocks per side and case
const int RestMilliseconds = 250; // pause after each block

var options = BenchOptions.Parse(args);
if (options is null)
    return 2;

string core;
try
{
    core = OpenBlas.CoreName;
}
catch (DllNotFoundException)
{
    Console.Error.WriteLine("OpenBLAS (libopenblas.so.0) not found: install libopenblas0-pthread.");
    return 1;
}
if (!core.Equals("SkylakeX", StringComparison.OrdinalIgnoreCase) && !options.AllowAnyCore)
{
    Console.Error.WriteLine($"OpenBLAS chose the {core} kernels, not SkylakeX: run benchmarks/run-gemm-vs-openblas.sh.");
    return 1;
}

(int M, int K, int N)[] shapes = options.Shapes ??
[
    (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
    (1024, 256, 1024), (1024, 1024, 256), (1024, 256, 8000),
];

Console.Error.WriteLine($"OpenBLAS core: {core}; Sharpformer path: {Gemm.Path}; {options.Seconds:0.##} s per side and case; " +
                        $"GFLOP/s are medians over samples of calls.");
var results = new List<Result>();
Console.WriteLine($"{"M x K x N",-18} {"batch",5} {"transB",6} {"threads",7} {"Sharpformer",11} {"OpenBLAS",9} {"ratio",6}");
foreach (int threads in options.Threads)
{
    foreach (var (m, k, n) in shapes)
    {
        foreach (bool transB in new[] { false, true })
        {
            var r = Measure(m, n, k, transB, threads, options.Batch, options.Seconds);
            results.Add(r);
            Console.WriteLine($"{$"{m} x {k} x {n}",-18} {options.Batch,5} {(transB ? "yes" : "no"),6} {threads,7} " +
                              $"{r.SharpformerGflops,11:0.0} {r.OpenBlasGflops,9:0.0} {r.Ratio,6:0.00}");
        }
    }
}

var report = new Report("gemm-vs-openblas", core, Gemm.Path.ToString(), "median", results);
File.WriteAllText(options.Out, JsonSerializer.Serialize(report, ReportJson.Default.Report));
Console.Error.WriteLine($"wrote {options.Out}");
return 0;

// One call computes `batch` products (Sharpformer: one batched call; OpenBLAS: a loop over the entries).
static unsafe Result Measure(int m, int n, int k, bool transB, int threads, int batch, double seconds)
{
    long sa = (long)m * k, sb = (long)k * n, sc = (long)m * n;
    float* a = Alloc(sa * batch), b = Alloc(sb * batch), c = Alloc(sc * batch);
    try
    {
        Parallelism.Threads = threads;
        OpenBlas.Threads = threads;
        int ldb = transB ? k : n;
        void Ours()
        {
            if (batch == 1)
                Gemm.Sgemm(false, transB, m, n, k, 1, a, k, b, ldb, 0, c, n);
            else
                Gemm.SgemmBatched(false, transB, m, n, k, 1, a, k, sa, b, ldb, sb, 0, c, n, sc, batch);
        }
        void Theirs()
        {
            for (int i = 0; i < batch; i++)
                OpenBlas.Sgemm(false, transB, m, n, k, 1, a + i * sa, k, b + i * sb, ldb, 0, c + i * sc, n);
        }

        int reps = Block(Ours, [], 0.1, 1);
        Block(Theirs, [], 0.1, reps);
        // Alternate in blocks, resting between them: OpenBLAS's idle workers spin for about 0.1 s after a
        // call and would otherwise steal the second core from whichever side runs next.
        var ours = new List<double>();
        var theirs = new List<double>();
        for (int round = 0; round < Rounds; round++)
        {
            Block(Ours, ours, seconds / Rounds, reps);
            Thread.Sleep(RestMilliseconds);
            Block(Theirs, theirs, seconds / Rounds, reps);
            Thread.Sleep(RestMilliseconds);
        }
        double flop = 2.0 * m * n * k * batch;
        double oursGflops = flop / Median(ours) / 1e9, theirsGflops = flop / Median(theirs) / 1e9;
        return new Result(m, n, k, batch, transB, threads, oursGflops, theirsGflops, oursGflops / theirsGflops);
    }
    finally
    {
        NativeMemory.AlignedFree(a);
        NativeMemory.AlignedFree(b);
        NativeMemory.AlignedFree(c);
    }
}

// Times samples of `reps` calls until `seconds` have passed (at least two samples), recording seconds per
// call. Returns how many calls make a sample of about 50 µs, so that tiny products outlast the timer's grain.
static int Block(Action action, List<double> times, double seconds, int reps)
{
    double total = 0;
    int samples = 0;
    for (; samples < 2 || total < seconds; samples++)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < reps; i++)
            action();
        double t = Stopwatch.GetElapsedTime(start).TotalSeconds;
        times.Add(t / reps);
        total += t;
    }
    return (int)Math.Clamp(Math.Ceiling(50e-6 * samples * reps / total), 1, 1_000_000);
}

static double Median(List<double> values)
{
    values.Sort();
    int h = values.Count / 2;
    return values.Count % 2 == 1 ? values[h] : (values[h - 1] + values[h]) / 2;
}

static unsafe float* Alloc(long count)
{
    var p = (float*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(float)), 64);
    var rng = new Random(42);
    for (long i = 0; i < count; i++)
        p[i] = (float)(rng.NextDouble() - 0.5);
    return p;
}

internal sealed record BenchOptions(
    int[] Threads, double Seconds, string Out, bool AllowAnyCore, (int M, int K, int N)[]? Shapes, int Batch)
{
    public static BenchOptions? Parse(string[] args)
    {
        var o = new BenchOptions([1, 2], 0.6, "gemm-vs-openblas.json", false, null, 1);
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--threads" when value is not null && TryParseThreads(value, out int[] threads):
                    o = o with { Threads = threads };
                    i++;
                    break;
                case "--seconds" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0:
                    o = o with { Seconds = s };
                    i++;
                    break;
                case "--out" when !string.IsNullOrEmpty(value):
                    o = o with { Out = value };
                    i++;
                    break;
                case "--shape" when TryParseShape(value, out var shape):
                    o = o with { Shapes = [.. o.Shapes ?? [], shape] };
                    i++;
                    break;
                case "--batch" when int.TryParse(value, out int batch) && batch >= 1:
                    o = o with { Batch = batch };
                    i++;
                    break;
                case "--allow-any-core":
                    o = o with { AllowAnyCore = true };
                    break;
                default:
                    Console.Error.WriteLine(
                        $"bad option '{args[i]}' (options: --threads 1,2 --seconds S --out FILE --shape MxKxN --batch B --allow-any-core)");
                    return null;
            }
        }
        return o;
    }

    private static bool TryParseShape(string? text, out (int M, int K, int N) shape)
    {
        int[] parts = (text ?? "").Split('x').Select(t => int.TryParse(t, out int v) && v >= 1 ? v : 0).ToArray();
        shape = parts.Length == 3 ? (parts[0], parts[1], parts[2]) : default;
        return parts.Length == 3 && parts.All(v => v >= 1);
    }

    private static bool TryParseThreads(string text, out int[] threads)
    {
        threads = text.Split(',').Select(t => int.TryParse(t, out int v) && v >= 1 ? v : 0).ToArray();
        return threads.All(t => t >= 1);
    }
}
