using System.Diagnostics;
using System.Text.Json.Serialization;
using Sharpformer.Generation;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Cli.Benchmarks;

/// <summary>
/// Greedy decoding speed with the key/value cache (float32 and int8 weights of the same model, alternating) and
/// without it (float32), in new target tokens per second.
/// </summary>
internal sealed record DecodeReport(
    [property: JsonPropertyName("benchmark")] string Benchmark,
    [property: JsonPropertyName("config")] string Config,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("source_length")] int SourceLength,
    [property: JsonPropertyName("new_tokens")] int NewTokens,
    [property: JsonPropertyName("target_tokens_per_s")] double TargetTokensPerSecond,
    [property: JsonPropertyName("int8_target_tokens_per_s")] double Int8TargetTokensPerSecond,
    [property: JsonPropertyName("uncached_target_tokens_per_s")] double UncachedTargetTokensPerSecond,
    [property: JsonPropertyName("float32_weight_bytes")] long Float32WeightBytes,
    [property: JsonPropertyName("int8_weight_bytes")] long Int8WeightBytes)
{
    [JsonPropertyName("cache_speedup")]
    public double CacheSpeedup => TargetTokensPerSecond / UncachedTargetTokensPerSecond;

    [JsonPropertyName("int8_speedup")]
    public double Int8Speedup => Int8TargetTokensPerSecond / TargetTokensPerSecond;

    public void WriteTable(TextWriter output)
    {
        output.WriteLine($"greedy decoding, {Config} model, batch {Batch}, source {SourceLength}, {NewTokens} new tokens, " +
                         $"{Threads} thread(s); median of runs");
        output.WriteLine($"  with the key/value cache : {TargetTokensPerSecond,9:F1} tokens/s  " +
                         $"(float32 weights, {Float32WeightBytes / 1e6:F1} MB)");
        output.WriteLine($"  int8 weights, cached     : {Int8TargetTokensPerSecond,9:F1} tokens/s  " +
                         $"({Int8WeightBytes / 1e6:F1} MB; {Int8Speedup:F2}x float32)");
        output.WriteLine($"  without (whole prefix)   : {UncachedTargetTokensPerSecond,9:F1} tokens/s");
        output.WriteLine($"  cache speedup            : {CacheSpeedup,9:F1}x");
    }
}

internal static class DecodeBenchmark
{
    public const int SourceLength = 32, NewTokens = 32;

    public static DecodeReport Run(string configName, int threads, TextWriter progress)
    {
        var config = (configName == "big" ? TransformerConfig.Big() : TransformerConfig.Small()) with { MaxLength = 128 };
        var model = new Transformer(config, new Rng(1));
        var int8 = new Transformer(config, new Rng(1));                 // the same weights, then quantized
        long floatBytes = 4 * model.ParameterCount();
        int8.QuantizeWeights();
        long int8Bytes = 4 * int8.ParameterCount() + int8.NamedInt8Weights().Sum(w => w.Blocks.Sum(b => b.Bytes));
        var rng = new Rng(2);
        var source = Tensor.FromArray([.. Enumerable.Range(0, SourceLength)
            .Select(_ => (float)(SpecialTokens.Count + rng.NextInt(config.SourceVocab - SpecialTokens.Count)))], 1, SourceLength);
        progress.WriteLine($"bench decode: {configName} ({model.ParameterCount():N0} parameters), {threads} thread(s)");
        var cached = Measure([() => Decode(model, source, useCache: true), () => Decode(int8, source, useCache: true)]);
        double uncached = Measure([() => Decode(model, source, useCache: false)])[0];
        return new DecodeReport("decode", configName, threads, 1, SourceLength, NewTokens, cached[0], cached[1], uncached,
            floatBytes, int8Bytes);
    }

    // Tokens per second of each decode (exactly NewTokens tokens, the most likely each step, eos or not), run in
    // turn round after round; the median of timed rounds after 1.5 s of untimed ones (the JIT recompiles hot methods
    // optimized after about a second).
    private static double[] Measure(Action[] decodes)
    {
        var warmUp = Stopwatch.StartNew();
        for (int run = 0; run < 3 || warmUp.Elapsed.TotalSeconds < 1.5; run++)
            foreach (var decode in decodes) decode();
        var rates = decodes.Select(_ => new List<double>()).ToArray();
        var clock = Stopwatch.StartNew();
        for (int run = 0; run < 3 || (clock.Elapsed.TotalSeconds < 3 * decodes.Length && run < 50); run++)
            for (int d = 0; d < decodes.Length; d++)
            {
                var start = Stopwatch.GetTimestamp();
                decodes[d]();
                rates[d].Add(NewTokens / Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        return [.. rates.Select(r => r.Order().ElementAt(r.Count / 2))];
    }

    private static readonly TensorArena s_arena = new();

    // As Greedy.Decode: with the cache, the decode's tensors come from an arena and go back when it ends.
    private static void Decode(Transformer model, Tensor source, bool useCache)
    {
        using var memory = useCache ? s_arena.Activate() : default(TensorArena.Scope?);
        var decoder = new IncrementalDecoder(model, source, useCache);
        int[]? last = null;
        for (int step = 0; step < NewTokens; step++)
        {
            var logits = decoder.NextLogits(last);
            last = [SpecialTokens.Count + ArgMax(logits.AsSpan(SpecialTokens.Count))];
        }
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
