using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Sharpformer.Benchmarks;
using Sharpformer.Cli.Benchmarks;
using Sharpformer.Kernels;

// Sharpformer's GEMM against OpenBLAS on the same shapes, alternating call by call so that both sides see the
// same machine noise. Run through run-gemm-vs-openblas.sh, which selects OpenBLAS's kernels for the widest vectors
// this CPU has (SkylakeX with AVX-512; its own choice, Haswell or Zen, with AVX2).
// Options: --threads 1,2   --seconds S (timed seconds per side and case)   --out FILE (JSON results)
//          --shape MxKxN[:AB] (repeatable; A, B: N or T, the transpose flags; default: `sharpformer bench gemm`'s
//          shapes, every product of a `big` training step)   --batch B (products per call)
//          --allow-any-core (accept OpenBLAS kernels narrower than Sharpformer's)

// `torch` mode: Sharpformer against TorchSharp (libtorch) on whole training steps and greedy decoding (Torch/TorchBench.cs).
if (args.Length > 0 && args[0] == "torch")
    return Sharpformer.Benchmarks.Torch.TorchBench.Run(args[1..]);

// `attention` mode: Sharpformer's tiled attention against TorchSharp's scaled_dot_product_attention (Torch/AttentionVsTorch.cs).
if (args.Length > 0 && args[0] == "attention")
    return Sharpformer.Benchmarks.Torch.AttentionVsTorch.Run(args[1..]);

// `addnorm` mode: the fused "Add & Norm" against the same ops apart and TorchSharp's (Torch/AddNormVsTorch.cs).
if (args.Length > 0 && args[0] == "addnorm")
    return Sharpformer.Benchmarks.Torch.AddNormVsTorch.Run(args[1..]);

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
// OpenBLAS's kernel sets for the vector width Sharpformer's micro-kernel uses here.
string[] peers = Gemm.Path == GemmPath.Avx512 ? ["SkylakeX", "Cooperlake", "SapphireRapids"] : ["Haswell", "Zen"];
if (!peers.Contains(core, StringComparer.OrdinalIgnoreCase) && !options.AllowAnyCore)
{
    Console.Error.WriteLine($"OpenBLAS chose the {core} kernels, not {string.Join(" or ", peers)} (Sharpformer uses {Gemm.Path}): " +
                            "run benchmarks/run-gemm-vs-openblas.sh.");
    return 1;
}

GemmShape[] shapes = options.Shapes ?? GemmShapes.Default;

Console.Error.WriteLine($"OpenBLAS core: {core}; Sharpformer path: {Gemm.Path}; {options.Seconds:0.##} s per side and case; " +
                        $"GFLOP/s are medians over samples of calls.");
var results = new List<Result>();
Console.WriteLine($"{"M x K x N",-18} {"A",-2} {"B",-2} {"batch",5} {"threads",7} {"Sharpformer",11} {"OpenBLAS",9} {"ratio",6}   use");
foreach (int threads in options.Threads)
{
    foreach (var shape in shapes)
    {
        var r = Measure(shape, threads, options.Batch, options.Seconds);
        results.Add(r);
        Console.WriteLine($"{$"{r.M} x {r.K} x {r.N}",-18} {(r.TransA ? "T" : "N"),-2} {(r.TransB ? "T" : "N"),-2} {r.Batch,5} " +
                          $"{threads,7} {r.SharpformerGflops,11:0.0} {r.OpenBlasGflops,9:0.0} {r.Ratio,6:0.00}   {r.Use}");
    }
}

var report = new Report("gemm-vs-openblas", core, Gemm.Path.ToString(), "median", results);
File.WriteAllText(options.Out, JsonSerializer.Serialize(report, ReportJson.Default.Report));
Console.Error.WriteLine($"wrote {options.Out}");
return 0;

// One call computes `batch` products (Sharpformer: one batched call; OpenBLAS: a loop over the entries).
static unsafe Result Measure(GemmShape shape, int threads, int batch, double seconds)
{
    var (m, k, n, transA, transB, use, accumulate) = shape;
    float beta = accumulate ? 1f : 0f;
    long sa = (long)m * k, sb = (long)k * n, sc = (long)m * n;
    float* a = Alloc(sa * batch), b = Alloc(sb * batch), c = Alloc(sc * batch);
    try
    {
        Parallelism.Threads = threads;
        OpenBlas.Threads = threads;
        int lda = transA ? m : k, ldb = transB ? k : n;
        void Ours()
        {
            if (batch == 1)
                Gemm.Sgemm(transA, transB, m, n, k, 1, a, lda, b, ldb, beta, c, n);
            else
                Gemm.SgemmBatched(transA, transB, m, n, k, 1, a, lda, sa, b, ldb, sb, beta, c, n, sc, batch);
        }
        void Theirs()
        {
            for (int i = 0; i < batch; i++)
                OpenBlas.Sgemm(transA, transB, m, n, k, 1, a + i * sa, lda, b + i * sb, ldb, beta, c + i * sc, n);
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
        double oursGflops = flop / Samples.Median(ours) / 1e9, theirsGflops = flop / Samples.Median(theirs) / 1e9;
        return new Result(m, n, k, batch, transA, transB, use, threads, oursGflops, theirsGflops, oursGflops / theirsGflops);
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

static unsafe float* Alloc(long count)
{
    var p = (float*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(float)), 64);
    var rng = new Random(42);
    for (long i = 0; i < count; i++)
        p[i] = (float)(rng.NextDouble() - 0.5);
    return p;
}

internal sealed record BenchOptions(
    int[] Threads, double Seconds, string Out, bool AllowAnyCore, GemmShape[]? Shapes, int Batch)
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
                        $"bad option '{args[i]}' (options: --threads 1,2 --seconds S --out FILE --shape MxKxN[:AB] --batch B " +
                        "--allow-any-core)");
                    return null;
            }
        }
        return o;
    }

    // MxKxN, optionally followed by :AB with A and B each N (as stored) or T (transposed).
    private static bool TryParseShape(string? text, out GemmShape shape)
    {
        string[] sides = (text ?? "").Split(':');
        string flags = sides.Length == 2 ? sides[1].ToUpperInvariant() : "NN";
        int[] parts = sides[0].Split('x').Select(t => int.TryParse(t, out int v) && v >= 1 ? v : 0).ToArray();
        bool valid = sides.Length <= 2 && parts.Length == 3 && parts.All(v => v >= 1) && flags is "NN" or "NT" or "TN" or "TT";
        shape = valid ? new GemmShape(parts[0], parts[1], parts[2], flags[0] == 'T', flags[1] == 'T', "--shape") : default;
        return valid;
    }

    private static bool TryParseThreads(string text, out int[] threads)
    {
        threads = text.Split(',').Select(t => int.TryParse(t, out int v) && v >= 1 ? v : 0).ToArray();
        return threads.All(t => t >= 1);
    }
}
