using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sharpformer.Cli.Benchmarks;
using Sharpformer.Kernels;
using Sharpformer.Tensors;
using TorchSharp;
using SfTensor = Sharpformer.Tensors.Tensor;

namespace Sharpformer.Benchmarks.Torch;

internal sealed record AttentionVsTorchCase(
    [property: JsonPropertyName("seq")] int Length,
    [property: JsonPropertyName("causal")] bool Causal,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("sharpformer_ms")] double Sharpformer,
    [property: JsonPropertyName("torchsharp_ms")] double TorchSharp,
    [property: JsonPropertyName("ratio")] double Ratio);

internal sealed record AttentionVsTorchReport(
    [property: JsonPropertyName("benchmark")] string Benchmark,
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("heads")] int Heads,
    [property: JsonPropertyName("head_size")] int HeadSize,
    [property: JsonPropertyName("rounds")] int Rounds,
    [property: JsonPropertyName("torch_version")] string TorchVersion,
    [property: JsonPropertyName("statistic")] string Statistic,
    [property: JsonPropertyName("cases")] List<AttentionVsTorchCase> Cases);

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(AttentionVsTorchReport))]
internal sealed partial class AttentionVsTorchJson : JsonSerializerContext;

/// <summary>
/// Sharpformer's tiled attention (Tensor.FlashAttention) against TorchSharp's scaled_dot_product_attention
/// (libtorch's CPU flash kernel), forward + backward on the same inputs, alternating call by call. The ratio
/// is TorchSharp's median time over Sharpformer's (above 1: Sharpformer is faster).
/// </summary>
internal static class AttentionVsTorch
{
    private const int Batch = 4, Heads = 8, HeadSize = 64;

    public static int Run(string[] args)
    {
        int[] lengths = [1024, 2048, 4096], threadCounts = [1, 2];
        bool[] causals = [false, true];
        int rounds = 5;
        string output = "benchmarks/results/attention-vs-torchsharp.json";
        for (int i = 0; i < args.Length; i++)
        {
            string? v = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--seq" when v is not null: lengths = [.. v.Split(',').Select(int.Parse)]; i++; break;
                case "--threads" when v is not null: threadCounts = [.. v.Split(',').Select(int.Parse)]; i++; break;
                case "--causal" when v is "yes" or "no" or "both": causals = v == "both" ? [false, true] : [v == "yes"]; i++; break;
                case "--rounds" when int.TryParse(v, out int r) && r >= 1: rounds = r; i++; break;
                case "--out" when !string.IsNullOrEmpty(v): output = v; i++; break;
                default:
                    Console.Error.WriteLine($"bad option '{args[i]}' (attention options: --seq 1024,2048 --threads 1,2 " +
                                            "--causal yes|no|both --rounds N --out FILE)");
                    return 2;
            }
        }
        Console.Error.WriteLine($"attention forward + backward, batch {Batch}, {Heads} heads of {HeadSize}; {rounds} alternating " +
                                $"rounds per case; Sharpformer GEMM path {Gemm.Path}, torch {torch.__version__}");
        Console.WriteLine($"{"seq",6} {"causal",6} {"threads",7} {"Sharpformer ms",14} {"TorchSharp ms",13} {"ratio",6}");
        var cases = new List<AttentionVsTorchCase>();
        foreach (int threads in threadCounts)
        {
            Parallelism.Threads = threads;
            torch.set_num_threads(threads);
            foreach (int t in lengths)
                foreach (bool causal in causals)
                {
                    var c = Measure(t, causal, threads, rounds);
                    cases.Add(c);
                    Console.WriteLine($"{t,6} {(causal ? "yes" : "no"),6} {threads,7} {c.Sharpformer,14:F1} {c.TorchSharp,13:F1} " +
                                      $"{c.Ratio,6:F2}");
                }
        }
        var report = new AttentionVsTorchReport("attention-vs-torchsharp", Batch, Heads, HeadSize, rounds, torch.__version__,
            "median", cases);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllText(output, JsonSerializer.Serialize(report, AttentionVsTorchJson.Default.AttentionVsTorchReport));
        Console.Error.WriteLine($"wrote {output}");
        return 0;
    }

    private static AttentionVsTorchCase Measure(int t, bool causal, int threads, int rounds)
    {
        var random = new Random(t);
        float[] Values() => [.. Enumerable.Range(0, Batch * Heads * t * HeadSize).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        float[] q = Values(), k = Values(), v = Values(), g = Values();
        int[] shape = [Batch, Heads, t, HeadSize];
        long[] longShape = [.. shape.Select(x => (long)x)];

        SfTensor Leaf(float[] x) => SfTensor.FromArray(x, shape).RequireGrad();
        var (sq, sk, sv, sg) = (Leaf(q), Leaf(k), Leaf(v), SfTensor.FromArray(g, shape));
        var arena = new TensorArena();
        double Ours()
        {
            var start = Stopwatch.GetTimestamp();
            using (arena.Activate()) SfTensor.FlashAttention(sq, sk, sv, causal: causal).Backward(sg);
            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        torch.Tensor TorchLeaf(float[] x) => torch.tensor(x).reshape(longShape).requires_grad_(true);
        var (tq, tk, tv, tg) = (TorchLeaf(q), TorchLeaf(k), TorchLeaf(v), torch.tensor(g).reshape(longShape));
        double Theirs()
        {
            var start = Stopwatch.GetTimestamp();
            using (torch.NewDisposeScope())
            {
                var output = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, null, 0.0, causal);
                output.backward([tg]);
            }
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            foreach (var x in new[] { tq, tk, tv }) x.grad?.zero_();
            return elapsed;
        }

        Ours();                                                             // warm-up: JIT, scratch, libtorch's first call
        Theirs();
        var ours = new List<double>();
        var theirs = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            Thread.Sleep(50);   // libtorch's threads spin a while after its calls: let them go idle before ours run
            ours.Add(Ours());
            theirs.Add(Theirs());
        }
        double a = Samples.Median(ours), b = Samples.Median(theirs);
        return new AttentionVsTorchCase(t, causal, threads, a, b, b / a);
    }
}
