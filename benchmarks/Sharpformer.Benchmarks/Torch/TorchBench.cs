using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.Json;
using Sharpformer.Cli.Benchmarks;
using Sharpformer.Generation;
using Sharpformer.Kernels;
using Sharpformer.Losses;
using Sharpformer.NN;
using Sharpformer.Optim;
using Sharpformer.Tensors;
using Sharpformer.Text;
using TorchSharp;
using static TorchSharp.torch;
using SfTensor = Sharpformer.Tensors.Tensor;

namespace Sharpformer.Benchmarks.Torch;

internal sealed record TorchRound(
    [property: JsonPropertyName("round")] int Round,
    [property: JsonPropertyName("sharpformer_target_tokens_per_s")] double Sharpformer,
    [property: JsonPropertyName("torchsharp_target_tokens_per_s")] double TorchSharp,
    [property: JsonPropertyName("ratio")] double Ratio);

internal sealed record TorchCase(
    [property: JsonPropertyName("benchmark")] string Benchmark,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("sharpformer_target_tokens_per_s")] double Sharpformer,
    [property: JsonPropertyName("torchsharp_target_tokens_per_s")] double TorchSharp,
    [property: JsonPropertyName("ratio")] double Ratio,
    [property: JsonPropertyName("rounds")] List<TorchRound> Rounds);

internal sealed record TorchReport(
    [property: JsonPropertyName("benchmark")] string Benchmark,
    [property: JsonPropertyName("config")] string Config,
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("length")] int Length,
    [property: JsonPropertyName("train_steps_per_round")] int Steps,
    [property: JsonPropertyName("decode_new_tokens")] int NewTokens,
    [property: JsonPropertyName("decode_source_length")] int DecodeSourceLength,
    [property: JsonPropertyName("sharpformer_gemm_path")] string GemmPath,
    [property: JsonPropertyName("torch_version")] string TorchVersion,
    [property: JsonPropertyName("statistic")] string Statistic,
    [property: JsonPropertyName("cases")] List<TorchCase> Cases);

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(TorchReport))]
internal sealed partial class TorchReportJson : JsonSerializerContext;

/// <summary>
/// Sharpformer against TorchSharp (libtorch, CPU) on the same model, alternating round by round: training steps
/// (forward, cross-entropy, backward, Adam) and greedy decoding at batch 1 (TorchSharp re-running the decoder on
/// the whole prefix, Sharpformer with its key/value cache). Target tokens per second; the ratio is Sharpformer/TorchSharp.
/// </summary>
internal static class TorchBench
{
    private const int NewTokens = 32, DecodeSource = 32;

    public static int Run(string[] args)
    {
        string config = "big", output = "benchmarks/results/train-vs-torchsharp.json";
        string? only = null;
        int[] threadCounts = [1, 2];
        int rounds = 3, steps = 0, decodeRuns = 5;
        for (int i = 0; i < args.Length; i++)
        {
            string? v = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--config" when v is "big" or "small": config = v; i++; break;
                case "--threads" when v is not null: threadCounts = [.. v.Split(',').Select(int.Parse)]; i++; break;
                case "--rounds" when int.TryParse(v, out int r) && r >= 1: rounds = r; i++; break;
                case "--steps" when int.TryParse(v, out int s) && s >= 1: steps = s; i++; break;
                case "--decode-runs" when int.TryParse(v, out int d) && d >= 1: decodeRuns = d; i++; break;
                case "--out" when !string.IsNullOrEmpty(v): output = v; i++; break;
                case "--only" when v is "sharpformer" or "torchsharp": only = v; i++; break;
                default:
                    Console.Error.WriteLine($"bad option '{args[i]}' (torch options: --config big|small --threads 1,2 --rounds N " +
                                            $"--steps K --decode-runs D --out FILE --only sharpformer|torchsharp)");
                    return 2;
            }
        }
        bool big = config == "big";
        var sfConfig = (big ? TransformerConfig.Big() : TransformerConfig.Small()) with { MaxLength = 128 };
        int batch = big ? 32 : 64, length = big ? 32 : 24;
        if (steps == 0) steps = big ? 8 : 10;
        int vocab = sfConfig.TargetVocab;

        // The same random batches on both sides (ids above the special tokens: no padding).
        var rng = new Random(2);
        long[] Ids(int count) => [.. Enumerable.Range(0, count).Select(_ => (long)rng.Next(SpecialTokens.Count, vocab))];
        long[] src = Ids(batch * length), tgt = Ids(batch * length), expected = Ids(batch * length), decodeSrc = Ids(DecodeSource);
        SfTensor Sf(long[] ids, params int[] shape) => SfTensor.FromArray([.. ids.Select(x => (float)x)], shape);

        torch.manual_seed(1);
        var ours = new Transformer(sfConfig, new Rng(1));
        var oursAdam = new Adam(ours.Parameters(), lr: 1e-4f);
        var theirs = new TorchModel(vocab, sfConfig.DModel, sfConfig.Heads, sfConfig.DimFeedForward, sfConfig.EncoderLayers,
            sfConfig.Dropout, sfConfig.MaxLength);
        var theirsAdam = torch.optim.Adam(theirs.parameters(), 1e-4);
        long theirsCount = theirs.parameters().Sum(p => p.numel());
        Console.Error.WriteLine($"{config}: Sharpformer {ours.ParameterCount():N0} parameters, TorchSharp {theirsCount:N0}; " +
                                $"batch {batch} × {length}+{length}; {steps} training steps and {decodeRuns} decodes " +
                                $"per side and round; Sharpformer GEMM path {Gemm.Path}");

        var (sSrc, sTgt, sExp, sDec) =
            (Sf(src, batch, length), Sf(tgt, batch, length), Sf(expected, batch, length), Sf(decodeSrc, 1, DecodeSource));
        var (tSrc, tTgt, tExp, tDec) = (torch.tensor(src).reshape(batch, length), torch.tensor(tgt).reshape(batch, length),
            torch.tensor(expected), torch.tensor(decodeSrc).reshape(1, DecodeSource));

        var arena = new TensorArena();
        void OursStep()
        {
            using var memory = arena.Activate();
            ours.Train();
            var loss = CrossEntropy.Loss(ours.Forward(sSrc, sTgt), sExp);
            oursAdam.ZeroGrad();
            loss.Backward();
            oursAdam.Step();
        }
        void TheirsStep()
        {
            using var scope = torch.NewDisposeScope();
            theirs.train();
            var loss = nn.functional.cross_entropy(theirs.Logits(tSrc, tTgt).reshape(-1, vocab), tExp);
            theirsAdam.zero_grad();
            loss.backward();
            theirsAdam.step();
        }
        var decodeArena = new TensorArena();
        void OursDecode()
        {
            using var memory = decodeArena.Activate();   // as Greedy.Decode does
            var decoder = new IncrementalDecoder(ours, sDec, useCache: true);
            int[]? last = null;
            for (int step = 0; step < NewTokens; step++)
            {
                var logits = decoder.NextLogits(last);
                last = [SpecialTokens.Count + ArgMax(logits.AsSpan(SpecialTokens.Count))];
            }
        }
        void TheirsDecode()
        {
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            theirs.eval();
            var memory = theirs.Encode(tDec);
            var prefix = torch.full(1, 1, SpecialTokens.Bos, dtype: ScalarType.Int64);
            for (int step = 0; step < NewTokens; step++)
            {
                var logits = theirs.Decode(prefix, memory, tDec);                       // [1, T, V]
                var next = logits[0, -1].narrow(0, SpecialTokens.Count, vocab - SpecialTokens.Count).argmax() + SpecialTokens.Count;
                prefix = torch.cat([prefix, next.reshape(1, 1)], 1);
            }
        }

        double trainTokens = (double)batch * length * steps, decodeTokens = (double)NewTokens * decodeRuns;
        double Rate(Action action, int times, double tokens)
        {
            Thread.Sleep(300);   // let the other side's threads (libtorch's OpenMP pool spins for a while) go idle
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < times; i++) action();
            return tokens / Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        if (only is not null)
            return MemoryOnly(only == "sharpformer" ? OursStep : TheirsStep, only, config, threadCounts[0], steps * rounds);

        var cases = new List<TorchCase>();
        foreach (int threads in threadCounts)
        {
            Parallelism.Threads = threads;
            torch.set_num_threads(threads);
            // Warm-up: JIT (hot methods are recompiled optimized after about a second), optimizer state,
            // libtorch's allocator and thread pool.
            foreach (var action in new[] { OursStep, TheirsStep, OursDecode, TheirsDecode })
            {
                var warmUp = Stopwatch.StartNew();
                for (int i = 0; i < 3 || warmUp.Elapsed.TotalSeconds < 1.5; i++) action();
            }
            var train = new List<TorchRound>();
            var decode = new List<TorchRound>();
            for (int round = 1; round <= rounds; round++)
            {
                // Alternate which side goes first, so neither always follows the other's heat.
                double oT, tT, oD, tD;
                if (round % 2 == 1) { oT = Rate(OursStep, steps, trainTokens); tT = Rate(TheirsStep, steps, trainTokens); }
                else { tT = Rate(TheirsStep, steps, trainTokens); oT = Rate(OursStep, steps, trainTokens); }
                if (round % 2 == 1) { oD = Rate(OursDecode, decodeRuns, decodeTokens); tD = Rate(TheirsDecode, decodeRuns, decodeTokens); }
                else { tD = Rate(TheirsDecode, decodeRuns, decodeTokens); oD = Rate(OursDecode, decodeRuns, decodeTokens); }
                train.Add(new TorchRound(round, oT, tT, oT / tT));
                decode.Add(new TorchRound(round, oD, tD, oD / tD));
                Console.Error.WriteLine($"  threads {threads} round {round}: train {oT:F0} vs {tT:F0} tok/s ({oT / tT:F2}x); " +
                                        $"decode {oD:F1} vs {tD:F1} tok/s ({oD / tD:F2}x)");
            }
            cases.Add(Summarize($"train-{config}", threads, train));
            cases.Add(Summarize($"decode-{config}-greedy32-batch1", threads, decode));
        }

        Console.WriteLine($"{"benchmark",-28} {"threads",7} {"Sharpformer",12} {"TorchSharp",11} {"ratio",7}   " +
                          $"(target tokens/s, medians over rounds; ratio = median of per-round ratios)");
        foreach (var c in cases)
            Console.WriteLine($"{c.Benchmark,-28} {c.Threads,7} {c.Sharpformer,12:F1} {c.TorchSharp,11:F1} {c.Ratio,7:F2}");
        var report = new TorchReport("sharpformer-vs-torchsharp", config, batch, length, steps, NewTokens, DecodeSource,
            Gemm.Path.ToString(), "libtorch (TorchSharp-cpu 0.107.0)", "median over rounds", cases);
        string? dir = Path.GetDirectoryName(output);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllText(output, JsonSerializer.Serialize(report, TorchReportJson.Default.TorchReport));
        Console.Error.WriteLine($"wrote {output}");
        return 0;
    }

    // One side alone, in a process of its own: training steps, then the peak working set of the process.
    private static int MemoryOnly(Action step, string side, string config, int threads, int steps)
    {
        Parallelism.Threads = threads;
        torch.set_num_threads(threads);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < steps; i++) step();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        using var process = Process.GetCurrentProcess();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"side\": \"{side}\", \"config\": \"{config}\", \"threads\": {threads}, \"steps\": {steps}, \"seconds\": {
                seconds:F2}, \"peak_working_set_mb\": {process.PeakWorkingSet64 / 1048576.0:F0}}}"));
        return 0;
    }

    private static TorchCase Summarize(string name, int threads, List<TorchRound> rounds) =>
        new(name, threads, Samples.Median(rounds.Select(r => r.Sharpformer)), Samples.Median(rounds.Select(r => r.TorchSharp)),
            Samples.Median(rounds.Select(r => r.Ratio)), rounds);

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
