using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.OnnxRuntime;
using Sharpformer.Generation;
using Sharpformer.Kernels;
using Sharpformer.NN;
using Sharpformer.Onnx;
using Sharpformer.Tensors;

namespace Sharpformer.Benchmarks.Onnx;

internal sealed record OnnxCase(
    [property: JsonPropertyName("weights")] string Weights,
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("sharpformer_tokens_per_s")] double Sharpformer,
    [property: JsonPropertyName("onnxruntime_tokens_per_s")] double OnnxRuntime,
    [property: JsonPropertyName("ratio")] double Ratio,
    [property: JsonPropertyName("round_ratios")] List<double> RoundRatios);

internal sealed record OnnxReport(
    [property: JsonPropertyName("benchmark")] string Benchmark,
    [property: JsonPropertyName("config")] string Config,
    [property: JsonPropertyName("source_length")] int SourceLength,
    [property: JsonPropertyName("new_tokens")] int NewTokens,
    [property: JsonPropertyName("sharpformer_gemm_path")] string GemmPath,
    [property: JsonPropertyName("int8_direct")] bool Int8Direct,
    [property: JsonPropertyName("statistic")] string Statistic,
    [property: JsonPropertyName("cases")] List<OnnxCase> Cases);

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(OnnxReport))]
internal sealed partial class OnnxReportJson : JsonSerializerContext;

/// <summary>
/// Decoding one model two ways, alternating round by round: Sharpformer's cached decoder (<see cref="IncrementalDecoder"/>)
/// and the exported graphs in ONNX Runtime (encoder.onnx once, then decoder_with_past.onnx a token at a time, its present
/// keys and values fed back), for the float32 model and its int8 quantization. Both encode the source and then take a
/// fixed number of greedy steps (the argmax is taken, eos ignored, so both do the same work on random weights). Target
/// tokens per second; the ratio is Sharpformer / ONNX Runtime.
/// </summary>
internal static class DecodeVsOnnxRuntime
{
    public static int Run(string[] args)
    {
        string config = "big", output = "benchmarks/results/decode-vs-onnxruntime.json";
        int rounds = 5, newTokens = 64, sourceLength = 32;
        int[] threads = [1, 2], batches = [1, 8];
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--config": config = args[i + 1]; break;
                case "--rounds": rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--tokens": newTokens = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--threads": threads = [.. args[i + 1].Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture))]; break;
                case "--batch": batches = [.. args[i + 1].Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture))]; break;
                case "--out": output = args[i + 1]; break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}; known: --config small|big --rounds N --tokens N --threads 1,2 " +
                                            "--batch 1,8 --out FILE");
                    return 2;
            }
        }
        var shape = config == "small" ? TransformerConfig.Small(8000) : TransformerConfig.Big(8000);
        shape = shape with { MaxLength = sourceLength + newTokens + 2, Dropout = 0f };
        var cases = new List<OnnxCase>();
        Console.WriteLine($"{config}: source {sourceLength} tokens, {newTokens} new tokens; GEMM {Gemm.Path}, int8 direct {
            Int8Gemm.DirectSupported}");
        Console.WriteLine($"{"weights",-8} {"batch",5} {"threads",7} {"Sharpformer tok/s",18} {"ONNX Runtime tok/s",19} {"ratio",6}");
        foreach (string weights in new[] { "float32", "int8" })
        {
            var model = new Transformer(shape, new Rng(1));
            if (weights == "int8") model.QuantizeWeights();
            model.Eval();
            string directory = Directory.CreateTempSubdirectory("sharpformer-onnx-bench-").FullName;
            try
            {
                OnnxExport.Write(model, directory);
                foreach (int batch in batches)
                    foreach (int t in threads)
                    {
                        var result = Measure(model, directory, weights, batch, t, sourceLength, newTokens, rounds);
                        cases.Add(result);
                        Console.WriteLine($"{weights,-8} {batch,5} {t,7} {result.Sharpformer,18:F0} {result.OnnxRuntime,19:F0} {
                            result.Ratio,6:F2}");
                    }
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        var report = new OnnxReport("decode-vs-onnxruntime", config, sourceLength, newTokens, Gemm.Path.ToString(),
            Int8Gemm.DirectSupported, "median over rounds", cases);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllText(output, JsonSerializer.Serialize(report, OnnxReportJson.Default.OnnxReport));
        Console.Error.WriteLine($"wrote {output}");
        return 0;
    }

    private static OnnxCase Measure(Transformer model, string directory, string weights, int batch, int threads, int sourceLength,
        int newTokens, int rounds)
    {
        var rng = new Rng(7);
        var ids = new long[batch * sourceLength];
        for (int i = 0; i < ids.Length; i++) ids[i] = 4 + rng.NextInt(model.Config.SourceVocab - 4);
        var source = Tensor.FromArray([.. ids.Select(v => (float)v)], batch, sourceLength);
        Parallelism.Threads = threads;
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        using var encoder = new InferenceSession(Path.Combine(directory, OnnxExport.EncoderFile), sessionOptions);
        using var decoder = new InferenceSession(Path.Combine(directory, OnnxExport.DecoderWithPastFile), sessionOptions);

        double Sharpformer()
        {
            var clock = Stopwatch.StartNew();
            var decoding = new IncrementalDecoder(model, source);
            int[]? last = null;
            for (int step = 0; step < newTokens; step++)
            {
                var logits = decoding.NextLogits(last);
                last = ArgMaxes(logits, batch);
            }
            return batch * newTokens / clock.Elapsed.TotalSeconds;
        }

        double OnnxRuntime()
        {
            var clock = Stopwatch.StartNew();
            int layers = model.Config.DecoderLayers, heads = model.Config.Heads, headSize = model.Config.DModel / heads;
            string[] cache = [.. Enumerable.Range(0, layers).SelectMany(i => new[] { $"{i}.key", $"{i}.value" })];
            string[] inputs = ["memory", "source_ids", "target_ids", .. cache.Select(n => "past_key_values." + n)];
            string[] outputs = ["logits", .. cache.Select(n => "present." + n)];
            using var runOptions = new RunOptions();
            using var sourceIds = OrtValue.CreateTensorValueFromMemory(ids, [batch, sourceLength]);
            using var memory = encoder.Run(runOptions, ["source_ids"], [sourceIds], ["memory"]);
            var past = cache.Select(_ => OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), [batch, heads, 0, headSize])).ToList();
            long[] next = [.. Enumerable.Repeat((long)model.Config.BosId, batch)];
            IDisposableReadOnlyCollection<OrtValue>? previous = null;
            for (int step = 0; step < newTokens; step++)
            {
                using var targetIds = OrtValue.CreateTensorValueFromMemory(next, [batch, 1]);
                var results = decoder.Run(runOptions, inputs, [memory[0], sourceIds, targetIds, .. past], outputs);
                next = [.. ArgMaxes(results[0].GetTensorDataAsSpan<float>().ToArray(), batch).Select(id => (long)id)];
                if (step == 0) foreach (var value in past) value.Dispose();
                previous?.Dispose();
                (previous, past) = (results, [.. results.Skip(1)]);
            }
            previous?.Dispose();
            return batch * newTokens / clock.Elapsed.TotalSeconds;
        }

        Sharpformer();
        OnnxRuntime();   // warm-up: JIT, ONNX Runtime's first-run allocations
        var ours = new List<double>();
        var theirs = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            ours.Add(Sharpformer());
            theirs.Add(OnnxRuntime());
        }
        double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        return new OnnxCase(weights, batch, threads, Median(ours), Median(theirs), Median(ours) / Median(theirs),
            [.. ours.Zip(theirs, (a, b) => Math.Round(a / b, 3))]);
    }

    // The argmax of each row of logits [batch·vocab].
    private static int[] ArgMaxes(float[] logits, int batch)
    {
        int vocab = logits.Length / batch;
        var best = new int[batch];
        for (int r = 0; r < batch; r++)
        {
            var row = logits.AsSpan(r * vocab, vocab);
            for (int i = 1; i < vocab; i++) if (row[i] > row[best[r]]) best[r] = i;
        }
        return best;
    }
}
