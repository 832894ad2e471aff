using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sharpformer.Cli.Benchmarks;
using Sharpformer.Kernels;
using Sharpformer.Tensors;
using TorchSharp;
using SfTensor = Sharpformer.Tensors.Tensor;

namespace Sharpformer.Benchmarks.Torch;

internal sealed record AddNormCase(
    [property: JsonPropertyName("rows")] int Rows,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("fused_ms")] double Fused,
    [property: JsonPropertyName("apart_ms")] double Apart,
    [property: JsonPropertyName("torchsharp_ms")] double TorchSharp,
    [property: JsonPropertyName("apart_over_fused")] double ApartRatio,
    [property: JsonPropertyName("torchsharp_over_fused")] double TorchRatio);

internal sealed record AddNormReport(
    [property: JsonPropertyName("benchmark")] string Benchmark,
    [property: JsonPropertyName("dropout")] float Dropout,
    [property: JsonPropertyName("calls")] int Calls,
    [property: JsonPropertyName("torch_version")] string TorchVersion,
    [property: JsonPropertyName("statistic")] string Statistic,
    [property: JsonPropertyName("cases")] List<AddNormCase> Cases);

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(AddNormReport))]
internal sealed partial class AddNormJson : JsonSerializerContext;

/// <summary>
/// A post-norm layer's "Add &amp; Norm", LayerNorm(x + dropout(s)), forward + backward, three ways alternating call by call:
/// Sharpformer's fused op (Tensor.AddNorm), Sharpformer's Dropout, Add and LayerNorm one after another, and TorchSharp's
/// dropout, add and layer_norm. Ratios are the other side's median time over the fused op's (above 1: fused is faster).
/// </summary>
internal static class AddNormVsTorch
{
    private const float P = 0.1f;

    public static int Run(string[] args)
    {
        (int Rows, int Width)[] shapes = [(1024, 256), (4096, 512)];   // `big`'s batch of 32 × 32 tokens; a wider model
        int[] threadCounts = [1, 2];
        int calls = 300;
        string output = "benchmarks/results/addnorm-vs-torchsharp.json";
        for (int i = 0; i < args.Length; i++)
        {
            string? v = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--threads" when v is not null: threadCounts = [.. v.Split(',').Select(int.Parse)]; i++; break;
                case "--calls" when int.TryParse(v, out int c) && c >= 1: calls = c; i++; break;
                case "--out" when !string.IsNullOrEmpty(v): output = v; i++; break;
                default:
                    Console.Error.WriteLine($"bad option '{args[i]}' (addnorm options: --threads 1,2 --calls N --out FILE)");
                    return 2;
            }
        }
        Console.Error.WriteLine($"LayerNorm(x + dropout(s)), dropout {P}, forward + backward; {calls} calls per side, alternating; " +
                                $"medians; torch {torch.__version__}");
        Console.WriteLine($"{"rows x width",14} {"threads",7} {"fused ms",9} {"apart ms",9} {"torch ms",9} {"apart/fused",11} " +
                          $"{"torch/fused",11}");
        var cases = new List<AddNormCase>();
        foreach (int threads in threadCounts)
        {
            Parallelism.Threads = threads;
            torch.set_num_threads(threads);
            foreach (var (rows, width) in shapes)
            {
                var c = Measure(rows, width, threads, calls);
                cases.Add(c);
                Console.WriteLine($"{$"{rows} x {width}",14} {threads,7} {c.Fused,9:F3} {c.Apart,9:F3} {c.TorchSharp,9:F3} " +
                                  $"{c.ApartRatio,11:F2} {c.TorchRatio,11:F2}");
            }
        }
        var report = new AddNormReport("addnorm-vs-torchsharp", P, calls, torch.__version__, "median", cases);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllText(output, JsonSerializer.Serialize(report, AddNormJson.Default.AddNormReport));
        Console.Error.WriteLine($"wrote {output}");
        return 0;
    }

    private static AddNormCase Measure(int rows, int width, int threads, int calls)
    {
        var random = new Random(rows + width);
        float[] Values(int count) => [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        float[] x = Values(rows * width), s = Values(rows * width), g = Values(rows * width);
        float[] gamma = Values(width), beta = Values(width);

        SfTensor Leaf(float[] values, params int[] shape) => SfTensor.FromArray(values, shape).RequireGrad();
        var (sx, ss, sGamma, sBeta) = (Leaf(x, rows, width), Leaf(s, rows, width), Leaf(gamma, width), Leaf(beta, width));
        var sg = SfTensor.FromArray(g, rows, width);
        var rng = new Rng(1);
        var arena = new TensorArena();
        double Ours(Func<SfTensor> op)
        {
            var start = Stopwatch.GetTimestamp();
            using (arena.Activate()) op().Backward(sg);
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            foreach (var leaf in new[] { sx, ss, sGamma, sBeta }) leaf.ZeroGrad();
            return elapsed;
        }
        double Fused() => Ours(() => sx.AddNorm(ss, sGamma, sBeta, 1e-5f, P, rng));
        double Apart() => Ours(() => sx.Add(ss.Dropout(P, rng)).LayerNorm(sGamma, sBeta, 1e-5f));

        torch.Tensor TorchLeaf(float[] values, params long[] shape) => torch.tensor(values).reshape(shape).requires_grad_(true);
        var (tx, ts, tGamma, tBeta) = (TorchLeaf(x, rows, width), TorchLeaf(s, rows, width), TorchLeaf(gamma, width),
            TorchLeaf(beta, width));
        var tg = torch.tensor(g).reshape(rows, width);
        double Theirs()
        {
            var start = Stopwatch.GetTimestamp();
            using (torch.NewDisposeScope())
            {
                var y = torch.nn.functional.layer_norm(tx + torch.nn.functional.dropout(ts, P, training: true), [width], tGamma, tBeta,
                    1e-5);
                y.backward([tg]);
            }
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            foreach (var t in new[] { tx, ts, tGamma, tBeta }) t.grad?.zero_();
            return elapsed;
        }

        for (int i = 0; i < 5; i++)                                         // warm-up: JIT, arena, libtorch's first calls
        {
            Fused();
            Apart();
            Theirs();
        }
        List<double> fused = [], apart = [], theirs = [];
        // Rounds of ten calls a side: the fused op and the ops apart alternate call by call (which goes first alternates too),
        // torch's calls come in a block of their own after a rest, since libtorch's threads spin a while after its calls and
        // would slow whatever ran next.
        for (int call = 0; call < calls; call += 10)
        {
            Thread.Sleep(20);
            for (int i = 0; i < 10; i++)
            {
                if (i % 2 == 0) fused.Add(Fused());
                apart.Add(Apart());
                if (i % 2 == 1) fused.Add(Fused());
            }
            for (int i = 0; i < 10; i++) theirs.Add(Theirs());
        }
        double f = Samples.Median(fused), a = Samples.Median(apart), t = Samples.Median(theirs);
        return new AddNormCase(rows, width, threads, f, a, t, a / f, t / f);
    }
}
