using System.Diagnostics;
using System.Text.Json.Serialization;
using Sharpformer.Generation;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Cli.Benchmarks;

/// <summary>Greedy decoding speed with and without the key/value cache, in new target tokens per second.</summary>
internal sealed record DecodeReport(
    [property: JsonPropertyName("benchmark")] string Benchmark,
    [property: JsonPropertyName("config")] string Config,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("source_length")] int SourceLength,
    [property: JsonPropertyName("new_tokens")] int NewTokens,
    [property: JsonPropertyName("target_tokens_per_s")] double TargetTokensPerSecond,
    [property: JsonPropertyName("uncached_target_tokens_per_s")] double UncachedTargetTokensPerSecond)
{
    [JsonPropertyName("cache_speedup")]
    public double CacheSpeedup => TargetTokensPerSecond / UncachedTargetTokensPerSecond;

    public void WriteTable(TextWriter output)
    {
        output.WriteLine($"greedy decoding, {Config} model, batch {Batch}, source {SourceLength}, {NewTokens} new tokens, " +
                         $"{Threads} thread(s); median of runs");
        output.WriteLine($"  with the key/value cache : {TargetTokensPerSecond,9:F1} tokens/s");
        output.WriteLine($"  without (whole prefix)   : {UncachedTargetTokensPerSecond,9:F1} tokens/s");
        output.WriteLine($"  speedup                  : {CacheSpeedup,9:F1}x");
    }
}

internal static class DecodeBenchmark
{
    public const int SourceLength = 32, NewTokens = 32;

    public static DecodeReport Run(string configName, int threads, TextWriter progress)
    {
        var config = (configName == "big" ? TransformerConfig.Big() : TransformerConfig.Small()) with { MaxLength = 128 };
        var model = new Transformer(config, new Rng(1));
        var rng = new Rng(2);
        var source = Tensor.FromArray([.. Enumerable.Range(0, SourceLength)
            .Select(_ => (float)(SpecialTokens.Count + rng.NextInt(config.SourceVocab - SpecialTokens.Count)))], 1, SourceLength);
        progress.WriteLine($"bench decode: {configName} ({model.ParameterCount():N0} parameters), {threads} thread(s)");
        double cached = Measure(model, source, useCache: true);
        double uncached = Measure(model, source, useCache: false);
        return new DecodeReport("decode", configName, threads, 1, SourceLength, NewTokens, cached, uncached);
    }

    // Tokens per second of decoding exactly NewTokens tokens (the most likely each step, eos or not), median
    // of timed runs after 1.5 s of untimed ones: the JIT recompiles hot methods optimized after about a second.
    private static double Measure(Transformer model, Tensor source, bool useCache)
    {
        var warmUp = Stopwatch.StartNew();
        for (int run = 0; run < 3 || warmUp.Elapsed.TotalSeconds < 1.5; run++) Decode(model, source, useCache);
        var rates = new List<double>();
        var clock = Stopwatch.StartNew();
        for (int run = 0; run < 3 || (clock.Elapsed.TotalSeconds < 3 && run < 50); run++)
        {
            var start = Stopwatch.GetTimestamp();
            Decode(model, source, useCache);
            rates.Add(NewTokens / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        rates.Sort();
        return rates[rates.Count / 2];
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
